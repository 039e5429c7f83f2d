// The beats `predict` classifies on a record without annotations: detected R peaks, RR features and the model's
// inputs from every peak, and the beats whose QRS complex the record's edge cuts left out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { onnx } from '../../src/export/onnx/graph.js';
import { beatModelInputs, selectBeatInputs, shiftLogits, voteLogits } from '../../src/infer/beat-inputs.js';
import {
  classifiableBeats,
  EDGE_QRS_SECONDS,
  predictDetectedBeats,
  type ClassifiableBeats,
} from '../../src/infer/detected-beats.js';
import { prepareRecord } from '../../src/infer/prepare.js';
import {
  Predictor,
  type BeatInput,
  type BeatPrediction,
  type PredictOptions,
} from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';
import { qrsClusters } from '../../src/signal/beat-clusters.js';
import { contextFeatureNames } from '../../src/signal/beat-context.js';
import { detectQrs } from '../../src/signal/qrs.js';

const EXAMPLE = new URL('../../examples/mitdb/208.hea', import.meta.url).pathname;
const BUNDLED = new URL('../../models/mitdb-beat-2lead-local-gate-vote-ens11.onnx', import.meta.url);

test('beats whose R peak lies within 0.1 s of either end are left out; the others keep their true intervals', () => {
  assert.equal(EDGE_QRS_SECONDS, 0.1);
  // 100 Hz, 1000 samples: the margin is 10 samples at each end (9.9 s and later is cut).
  const peaks = [5, 50, 150, 250, 989, 990, 995];
  const { detected, classify, beats, partial, notice } = classifiableBeats(peaks, 100, 1000);
  assert.deepEqual(
    beats.map((b) => b.sample),
    [50, 150, 250, 989],
  );
  assert.deepEqual(
    detected.map((b) => b.sample),
    peaks,
  );
  assert.deepEqual(classify, [false, true, true, true, true, false, false]);
  assert.equal(partial, 3);
  // Beat 50 follows the left-out peak at 5: its previous interval is the real 0.45 s, not a borrowed one.
  assert.ok(Math.abs(beats[0]!.rrPrevious! - 0.45) < 1e-9);
  assert.ok(Math.abs(beats[3]!.rrNext! - 0.01) < 1e-9);
  assert.match(notice, /^7 beats found by the QRS detector .*; 3 of them not classified: their QRS is cut/);
});

test('no peak near an edge: every beat is classified and the notice only counts them', () => {
  const { beats, partial, notice } = classifiableBeats([100, 200, 300], 100, 1000);
  assert.equal(beats.length, 3);
  assert.equal(partial, 0);
  assert.equal(notice, '3 beats found by the QRS detector (src/signal/qrs)');
  assert.equal(classifiableBeats([], 100, 1000).beats.length, 0);
});

test('predict classifies exactly the classifiable beats of the detected peaks, the notice first', async () => {
  const record = await readRecord(EXAMPLE);
  // Cut the excerpt 0.04 s after a detected peak, so that the last beat's QRS is cut by the end.
  const peaks = detectQrs(record.signals, record.fs).rPeaks;
  const end = peaks[peaks.length - 3]! + Math.round(0.04 * record.fs);
  const cut = { ...record, signals: record.signals.map((s) => s.slice(0, end)) };
  const seen: Array<[BeatInput[], PredictOptions | undefined]> = [];
  const fake = {
    predictBeats: async (
      _: unknown,
      beats: readonly BeatInput[],
      options?: PredictOptions,
    ): Promise<BeatPrediction> => {
      seen.push([[...beats], options]);
      return { beats: [], notices: ['model notice'] } as unknown as BeatPrediction;
    },
  };
  const prediction = await predictDetectedBeats(fake, cut);
  const expected = classifiableBeats(detectQrs(cut.signals, cut.fs).rPeaks, cut.fs, end);
  assert.ok(expected.partial >= 1, 'the cut beat is found and left out');
  // Every detected beat reaches the model's inputs; the mask says which are classified.
  assert.deepEqual(seen, [[expected.detected, { classify: expected.classify }]]);
  assert.deepEqual(prediction.notices, [expected.notice, 'model notice']);
  const margin = EDGE_QRS_SECONDS * cut.fs;
  expected.detected.forEach((beat, b) =>
    assert.equal(expected.classify[b], beat.sample >= margin && beat.sample < end - margin),
  );
});

test('a beat after a left-out edge beat reads its context from every peak (a premature beat is not read as late)', () => {
  // 360 Hz: a peak at sample 20 (cut by the start), then a premature beat 0.5 s later, its compensatory pause
  // (1.1 s) and a steady 0.8 s rhythm.
  const fs = 360;
  const peaks = [20, 200, 596, ...Array.from({ length: 12 }, (_, k) => 596 + 288 * (k + 1))];
  const signal = new Float32Array(peaks.at(-1)! + fs);
  for (const peak of peaks) for (let t = -20; t <= 20; t++) signal[peak + t] = Math.exp(-((t / 6) ** 2));
  const { detected, classify } = classifiableBeats(peaks, fs, signal.length);
  assert.deepEqual(classify, [false, ...peaks.slice(1).map(() => true)]);
  const names = contextFeatureNames(1);
  const spec = { before: 45, after: 81, context: names, residualChannels: true };
  const all = beatModelInputs(
    [signal],
    fs,
    detected.map((b) => b.sample),
    fs,
    spec,
  );
  // As predictBeats does: inputs from every peak, then the classified beats' rows.
  const rows = classify.flatMap((kept, b) => (kept ? [b] : []));
  const classified = selectBeatInputs(all, rows);
  const k = names.length;
  const premature = Array.from(classified.context.subarray(0, k));
  assert.deepEqual(premature, Array.from(all.context.subarray(k, 2 * k)));
  const rhythm = (name: string) => premature[names.indexOf(name)]!;
  // Before the fix: 1.375, 1.375 and 1.000 (the missing previous interval borrowed the next one).
  assert.ok(Math.abs(rhythm('rrPreviousLocal') - 0.5 / 0.8) < 1e-5);
  assert.ok(Math.abs(rhythm('rrNextLocal') - 1.1 / 0.8) < 1e-5);
  assert.ok(Math.abs(rhythm('rrPreviousNext') - 0.5 / 1.1) < 1e-5);
  assert.deepEqual(
    Array.from(classified.windows),
    Array.from(all.windows.subarray(all.windows.length / peaks.length)),
  );
});

/** 60 s of MIT-BIH 208 cut so that its first and last detected beats are cut by the edges (left out). */
async function edgeCutRecord(): Promise<EcgRecord> {
  const record = await readRecord(new URL('../fixtures/wfdb/208x.hea', import.meta.url).pathname);
  const peaks = detectQrs(record.signals, record.fs).rPeaks;
  const start = peaks[0]! - Math.round(0.05 * record.fs);
  const end = peaks[peaks.length - 2]! + Math.round(0.04 * record.fs);
  return { ...record, signals: record.signals.map((s) => s.slice(start, end)) };
}

/** The bundled two-lead model with its beats metadata edited. */
async function editedBeatModel(edit: (beats: Record<string, unknown>) => void): Promise<Predictor> {
  const model = onnx.ModelProto.decode(readFileSync(BUNDLED));
  const entry = model.metadataProps.find((p) => p.key === 'beats')!;
  const beats = JSON.parse(entry.value!) as Record<string, unknown>;
  edit(beats);
  entry.value = JSON.stringify(beats);
  return Predictor.load(onnx.ModelProto.encode(model).finish(), { backend: 'node', threads: 1 });
}

interface EdgeCase {
  cut: EcgRecord;
  found: ClassifiableBeats;
  /** The bundled model, and the same without its cluster vote. */
  voting: Predictor;
  plain: Predictor;
}

let edgeCase: Promise<EdgeCase> | undefined;
/** Loaded once, by the tests that need it. */
const loadEdgeCase = () =>
  (edgeCase ??= (async () => {
    const cut = await edgeCutRecord();
    const found = classifiableBeats(detectQrs(cut.signals, cut.fs).rPeaks, cut.fs, cut.signals[0]!.length);
    const voting = await Predictor.load(BUNDLED, { backend: 'node', threads: 1 });
    const plain = await editedBeatModel((beats) => delete beats.clusterVote);
    return { cut, found, voting, plain };
  })());

after(async () => {
  if (edgeCase === undefined) return;
  const { voting, plain } = await edgeCase;
  await Promise.all([voting.release(), plain.release()]);
});

test('predict: the classified beats get the classes of a run whose inputs read every detected peak', async () => {
  const { cut, found, plain } = await loadEdgeCase();
  assert.deepEqual([found.classify[0], found.classify.at(-1), found.partial], [false, false, 2]);
  // Without the vote (which the left-out beats must not join), every input of a classified beat is the same
  // whether or not the edge beats are classified too.
  const detected = await predictDetectedBeats(plain, cut);
  const every = await plain.predictBeats(cut, found.detected);
  const kept = every.beats.filter((_, b) => found.classify[b]);
  assert.deepEqual(
    detected.beats.map((b) => [b.sample, b.label, b.fibrillation]),
    kept.map((b) => [b.sample, b.label, b.fibrillation]),
  );
  detected.beats.forEach((beat, b) =>
    beat.probabilities.forEach((p, c) => assert.ok(Math.abs(p - kept[b]!.probabilities[c]!) < 1e-5)),
  );
  await assert.rejects(plain.predictBeats(cut, found.detected, { classify: [true] }), ConfigError);
});

test('predict: the cluster vote groups the classified beats alone', async () => {
  const { cut, found, voting, plain } = await loadEdgeCase();
  const spec = voting.info.beats!;
  const voted = await predictDetectedBeats(voting, cut);
  // The vote by hand on the unvoted classes, over the clusters of the classified beats' QRS complexes only (the
  // edge beats would head clusters that others join).
  const unvoted = (await predictDetectedBeats(plain, cut)).beats;
  const logits = Float32Array.from(
    unvoted.flatMap((b) => b.probabilities.map((p, c) => Math.log(p) - spec.classOffsets![c]!)),
  );
  const prepared = prepareRecord(cut, voting.info);
  const raw = { before: spec.before, after: spec.after, context: [], residualChannels: false };
  const samples = found.beats.map((b) => b.sample);
  const windows = beatModelInputs(prepared.signals, voting.info.fs, samples, cut.fs, raw);
  const clusters = qrsClusters(
    { data: windows.windows, count: windows.count, channels: windows.channels, width: windows.width },
    voting.info.leads.length,
    spec.before,
    voting.info.fs,
    spec.clusterVote!,
  );
  voteLogits(logits, clusters, voting.info.labels, spec.clusterVote!.weight);
  shiftLogits(logits, spec.classOffsets!);
  const classes = voting.info.labels.length;
  voted.beats.forEach((beat, b) => {
    const expected = voting.activate(Array.from(logits.subarray(b * classes, (b + 1) * classes)));
    beat.probabilities.forEach((p, c) => assert.ok(Math.abs(p - expected[c]!) < 1e-4, `beat ${b}`));
  });
});
