import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AAMI_CLASSES, type Beat, type MitdbDataset } from '../../src/datasets/mitdb/index.js';
import { ConfigError } from '../../src/errors.js';
import type { DatasetEntry } from '../../src/datasets/types.js';
import * as F from '../../src/engine/ops.js';
import { noGrad } from '../../src/engine/autograd.js';
import { scope } from '../../src/engine/scope.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import type { EcgRecord } from '../../src/io/record.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import { beatModelConfig, EfficientEcgBeat, rrTokenRows } from '../../src/models/beats.js';
import { CLASS_OFFSETS_KEY, ensembleCheckpoint } from '../../src/models/ensemble.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import type { LogLine } from '../../src/train/index.js';
import {
  beatGeometry,
  beatLogits,
  epochBeats,
  epochClassWeights,
  flatLeadContext,
  beatInputSpec,
  loadBeatSet,
  stretchAround,
  trainBeats,
  zeroExtraLeads,
  type BeatSet,
} from '../../src/train/beats.js';
import { contextFeatureNames } from '../../src/signal/beat-context.js';
import { CLUSTER_DEFAULTS } from '../../src/signal/beat-clusters.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { beatsOfPeaks } from '../../src/infer/detected-beats.js';
import { seededRandom } from '../../src/train/random.js';
import { standardize } from '../../src/signal/normalize.js';
import { tempDir, tinyConfig, TINY_MODEL } from './helpers.js';

const FS = 100;

/**
 * Records of synthetic beats: N (narrow spike, regular), V (wide, inverted, premature) and S (narrow but premature:
 * only the RR context tells it from N). 8 records, 2 for validation.
 */
function syntheticMitdb(options: { fibrillationFrom?: number } = {}): MitdbDataset {
  const random = seededRandom(11);
  const entries: DatasetEntry[] = [];
  const beats = new Map<string, Beat[]>();
  const records = new Map<string, EcgRecord>();
  for (let r = 0; r < 8; r++) {
    const id = `R${r}`;
    const base = 0.7 + 0.3 * random.next(); // s, this patient's RR
    const samples: Array<{ sample: number; aami: 'N' | 'S' | 'V' }> = [];
    let t = 0.5;
    while (t < 58) {
      const u = random.next();
      // From `fibrillationFrom` s on (an option): atrial fibrillation, fast irregular N beats (0.3-0.8 s).
      const fibrillation = t > (options.fibrillationFrom ?? Infinity);
      const aami = fibrillation ? 'N' : u < 0.15 ? 'V' : u < 0.3 ? 'S' : 'N';
      t += fibrillation ? 0.3 + 0.5 * random.next() : aami === 'N' ? base : 0.6 * base;
      samples.push({ sample: Math.round(t * FS), aami });
    }
    const signal = new Float32Array(60 * FS);
    for (let i = 0; i < signal.length; i++) signal[i] = 0.05 * random.normal();
    for (const { sample, aami } of samples) {
      const width = aami === 'V' ? 6 : 2;
      const sign = aami === 'V' ? -1 : 1;
      for (let k = -3 * width; k <= 3 * width; k++) {
        const i = sample + k;
        if (i >= 0 && i < signal.length) signal[i] = signal[i]! + sign * Math.exp(-0.5 * (k / width) ** 2);
      }
    }
    const list: Beat[] = samples.map(({ sample, aami }, b) => {
      const previous = (sample - (samples[b - 1]?.sample ?? sample - base * FS)) / FS;
      const next = ((samples[b + 1]?.sample ?? sample + base * FS) - sample) / FS;
      return {
        sample,
        symbol: aami,
        aami,
        rrPrevious: previous,
        rrNext: next,
        rrLocal: base,
        rrRecord: base,
      };
    });
    beats.set(id, list);
    records.set(id, {
      name: id,
      fs: FS,
      leads: ['MLII'],
      units: ['mV'],
      signals: [signal],
      age: null,
      sex: 'unknown',
      metadata: {},
    });
    entries.push({
      id,
      patientId: id,
      fold: null,
      split: r < 6 ? 'train' : 'val',
      labels: [0, 1, 2],
      patient: { age: null, sex: 'unknown', ageCapped: false },
    });
  }
  return {
    name: 'mitdb',
    root: '<memory>',
    classes: [...AAMI_CLASSES],
    labelKind: 'multi-label',
    entries,
    skipped: [],
    split: { method: 'synthetic', parameters: {} },
    beats,
    sourceFiles: () => [],
    load: async (id) => ({ entry: entries.find((e) => e.id === id)!, record: records.get(id)! }),
    beatWindows: async () => [],
  };
}

function beatConfig(
  out: string,
  rrContext: 'tokens' | 'none',
  epochs = 6,
  beats: Record<string, unknown> = {},
) {
  return tinyConfig(out, {
    dataset: 'mitdb',
    model: 'efficientecg-w0.25',
    epochs,
    lr: 1e-2,
    batchSize: 32,
    preprocess: { fs: null, bandpass: null, standardize: true },
    beats: {
      beforeSeconds: 0.3,
      afterSeconds: 0.34,
      shiftSeconds: 0.02,
      rrContext,
      normalPerEpoch: 200,
      ...beats,
    },
  });
}

test('epochs keep every non-N beat, sample N beats, and weight classes over that mix', () => {
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 2, 2, 3]);
  const set = { labels, count: labels.length } as unknown as BeatSet;
  const first = epochBeats(set, 2, 0, 0);
  assert.equal(first.length, 6);
  assert.deepEqual(first.filter((i) => i >= 6).sort(), [6, 7, 8, 9]);
  assert.deepEqual(epochBeats(set, 2, 0, 0), first, 'seeded');
  assert.notDeepEqual(epochBeats(set, 2, 0, 1), first, 'another sample next epoch');
  // 6 beats: N 2, S 1, V 2, F 1, Q 0 -> 6 / (5 * count), capped at 1.1; absent Q gets 1.
  assert.deepEqual(epochClassWeights(set, first, 1.1), [0.6, 1.1, 0.6, 1.1, 1]);
});

test('a per-record class cap keeps at most that many beats of one class from one record, a fresh sample per epoch', () => {
  // Record 0: 2 N, 5 V, 1 S; record 1: 2 N, 2 V, 3 F.
  const labels = Int32Array.from([0, 0, 2, 2, 2, 2, 2, 1, 0, 0, 2, 2, 3, 3, 3]);
  const recordOf = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  const set = { labels, recordOf, count: labels.length } as unknown as BeatSet;
  const count = (beats: number[], record: number, label: number) =>
    beats.filter((i) => recordOf[i] === record && labels[i] === label).length;
  const first = epochBeats(set, 10, 0, 0, 2);
  assert.deepEqual(
    [count(first, 0, 2), count(first, 0, 1), count(first, 1, 2), count(first, 1, 3), count(first, 0, 0)],
    [2, 1, 2, 2, 2],
    'V of record 0 and F of record 1 capped at 2; groups under the cap and N untouched',
  );
  assert.equal(first.length, 11, '4 N, 2 + 1 + 2 + 2 abnormal');
  assert.deepEqual(epochBeats(set, 10, 0, 0, 2), first, 'seeded');
  const seenV = new Set(
    [0, 1, 2, 3, 4, 5]
      .flatMap((epoch) => epochBeats(set, 10, 0, epoch, 2))
      .filter((i) => i < 7 && labels[i] === 2),
  );
  assert.ok(seenV.size > 2, 'other epochs draw other V beats of record 0');
  assert.deepEqual(
    epochBeats(set, 10, 0, 0, 0),
    epochBeats(set, 10, 0, 0),
    'cap 0 keeps every beat, as before',
  );
  assert.equal(epochBeats(set, 10, 0, 0, 0).length, 15);
});

test('the RR tokens computed in the graph equal the fusion encoding of the same rows', () => {
  const config = beatModelConfig({ leads: 1, classes: 5, variant: 'w0.25', backbone: TINY_MODEL });
  const model = new EfficientEcgBeat(config);
  model.eval();
  try {
    const rr = Float32Array.from([0.8, 0.8, 0.8, 0.8, 0.5, 1.1, 0.85, 0.9, 1.2, 0.7, 0.75, 0.72]);
    const [inGraph, fromRows] = noGrad(() =>
      scope(() => {
        const ecg = F.randn([3, 1, 64]);
        const direct = model.forward(ecg, F.tensor(rr, [3, 4])).data();
        const encoded = model.fusion!.encodePatients(rrTokenRows(rr));
        return [direct, model.fusion!.forward(ecg, encoded).data()];
      }),
    );
    inGraph.forEach((v, i) => assert.ok(Math.abs(v - fromRows[i]!) < 1e-5, `${v} vs ${fromRows[i]}`));
    scope(() => {
      assert.throws(() => model.forward(F.randn([3, 1, 64])), ConfigError);
      assert.throws(() => model.forward(F.randn([3, 1, 64]), F.randn([3, 3])), /rr must be \[3, 4\]/);
    });
  } finally {
    model.dispose();
  }
});

test('beat training learns S beats from the RR tokens, checkpoints a beat model, and its ONNX export agrees', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticMitdb();
    const lines: LogLine[] = [];
    const result = await trainBeats(beatConfig(join(dir, 'tokens'), 'tokens'), dataset, {
      onLog: (line) => lines.push(line),
    });
    const epochs = lines.filter((line) => line.type === 'epoch');
    assert.equal(epochs.length, 6);
    const validation = result.validation!;
    assert.equal(validation.metric, 'aami_nsv_f1');
    assert.ok((validation.details.S_f1 as number) > 0.8, JSON.stringify(validation.details));
    assert.ok((validation.details.V_f1 as number) > 0.8, JSON.stringify(validation.details));

    const checkpoint = readCheckpoint(result.lastPath);
    const { metadata } = checkpoint;
    assert.equal(metadata.model.name, 'efficientecg-beat');
    assert.deepEqual(metadata.labels, ['N', 'S', 'V', 'F', 'Q']);
    assert.equal(metadata.extra!.task, 'beats');
    assert.deepEqual(metadata.extra!.beats, {
      before: 30,
      after: 34,
      rr: ['rrPrevious', 'rrNext', 'rrLocal', 'rrRecord'],
    });
    assert.equal((metadata.preprocessing as { windowSamples: number }).windowSamples, 64);

    // The exported model, run by the Predictor on a validation record, gives the engine's probabilities.
    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'beat checkpoint', 'beats'));
    const { record } = await dataset.load('R6');
    const beats = dataset.beats.get('R6')!;
    const prediction = await predictor.predictBeats(record, beats);
    const model = modelFromCheckpoint(checkpoint) as EfficientEcgBeat;
    model.eval();
    const engine = noGrad(() =>
      scope(() => {
        const ecg = new Float32Array(beats.length * 64);
        const signal = standardize(record.signals[0]!);
        beats.forEach((beat, b) => {
          for (let k = 0; k < 64; k++)
            ecg[b * 64 + k] = signal[Math.min(signal.length - 1, Math.max(0, beat.sample - 30 + k))]!;
        });
        const rr = Float32Array.from(beats.flatMap((b) => [b.rrPrevious, b.rrNext, b.rrLocal, b.rrRecord]));
        return F.softmax(
          model.forward(F.tensor(ecg, [beats.length, 1, 64]), F.tensor(rr, [beats.length, 4])),
          1,
        ).data();
      }),
    );
    model.dispose();
    let worst = 0;
    prediction.beats.forEach((row, b) =>
      row.probabilities.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - engine[b * 5 + c]!)))),
    );
    assert.ok(worst < 1e-4, `ONNX vs engine max |diff| ${worst}`);
    await predictor.release();
  } finally {
    dispose();
  }
});

test('without RR tokens the same beats are harder: S beats look like N beats', async () => {
  const { dir, dispose } = tempDir();
  try {
    const result = await trainBeats(beatConfig(join(dir, 'none'), 'none'), syntheticMitdb());
    const details = result.validation!.details;
    assert.ok((details.V_f1 as number) > 0.8, JSON.stringify(details));
    assert.ok((details.S_f1 as number) < 0.8, JSON.stringify(details));
    const metadata = readCheckpoint(result.lastPath).metadata;
    assert.deepEqual((metadata.extra!.beats as { rr: string[] }).rr, []);
  } finally {
    dispose();
  }
});

const VOTE = { ...CLUSTER_DEFAULTS, weight: 1 };

for (const template of ['record', 'local', 'both'] as const)
  test(`context model (${template} template): predict (detected peaks) feeds the ONNX model exactly what training cut from the same peaks`, async () => {
    const { dir, dispose } = tempDir();
    try {
      const dataset = syntheticMitdb();
      const context = {
        context: 'rhythm-morphology',
        residualChannels: true,
        stretch: 0.1,
        invert: 0.2,
        template,
        leadNoise: 0.3,
        slowRhythm: template === 'both', // one of the three also reads the slow-rhythm ratio
        ...(template === 'local' ? { localTemplateSeconds: 20 } : {}), // and one a shorter local span
        ...(template === 'local' ? { clusterVote: VOTE } : {}), // and the QRS clusters' vote
        // and the fusion rule, at a share that always applies here (F leaves every decision on both paths)
        ...(template === 'local' ? { fusionRule: { minVentricularShare: 1 } } : {}),
      };
      const config = beatConfig(join(dir, 'context'), 'tokens', 1, context);
      const result = await trainBeats(config, dataset);
      const checkpoint = readCheckpoint(result.lastPath);
      assert.deepEqual(checkpoint.metadata.extra!.beats, {
        before: 30,
        after: 34,
        rr: ['rrPrevious', 'rrNext', 'rrLocal', 'rrRecord'],
        context: contextFeatureNames(1, template).filter(
          (name) => template === 'both' || name !== 'rrPreviousSlow',
        ),
        residualChannels: true,
        ...(template !== 'record' ? { template } : {}),
        ...(template === 'local'
          ? { localTemplateSeconds: 20, clusterVote: VOTE, fusionRule: { minVentricularShare: 1 } }
          : {}),
      });
      // Predict's path: R peaks from the QRS detector, beats (and RR) from those peaks.
      const { record } = await dataset.load('R6');
      const detected = beatsOfPeaks(detectQrs(record.signals, record.fs).rPeaks, record.fs);
      assert.ok(detected.length > 50);
      const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'context checkpoint', 'beats'));
      const prediction = await predictor.predictBeats(record, detected);
      await predictor.release();
      // Training's path on the same peaks: a dataset whose annotations are the detected peaks.
      const asAnnotated = new Map([['R6', detected.map((b) => ({ ...b, symbol: 'N', aami: 'N' as const }))]]);
      const geometry = beatGeometry(config, record.fs);
      const set = await loadBeatSet({ ...dataset, beats: asAnnotated as never }, ['R6'], config, geometry);
      assert.equal(set.leads, template === 'both' ? 3 : 2);
      const model = modelFromCheckpoint(checkpoint) as EfficientEcgBeat;
      const { logits } = beatLogits(model, set, geometry);
      if (template === 'local') {
        // The vote ran on both paths and changed the decision's inputs: without it the CV logits differ.
        assert.ok(set.vote !== null && new Set(set.vote.clusters).size > 1, 'several QRS clusters');
        const { logits: unvoted } = beatLogits(model, { ...set, vote: null }, geometry);
        assert.ok(
          unvoted.some((v, i) => Math.abs(v - logits[i]!) > 1e-3),
          'the vote moved some beat',
        );
        // The fusion rule applied on both paths: no F probability left in the prediction, some without the rule.
        assert.ok(prediction.beats.every((row) => row.probabilities[3]! < 1e-6));
        const { logits: withF } = beatLogits(model, { ...set, fusionRule: null }, geometry);
        assert.ok(
          withF.some((v, i) => i % 5 === 3 && v > logits[i]! + 1e3),
          'the rule lowered F',
        );
      }
      model.dispose();
      const engine = noGrad(() => scope(() => F.softmax(F.tensor(logits, [set.count, 5]), 1).data()));
      let worst = 0;
      prediction.beats.forEach((row, b) =>
        row.probabilities.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - engine[b * 5 + c]!)))),
      );
      assert.ok(worst < 1e-4, `predict vs training inputs: max |diff| ${worst}`);
    } finally {
      dispose();
    }
  });

test('fibrillation gate: training and predict gate the same beats, and a gated beat is never S', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticMitdb({ fibrillationFrom: 40 });
    const config = beatConfig(join(dir, 'gate'), 'tokens', 1, { fibrillationGate: true });
    const result = await trainBeats(config, dataset);
    const checkpoint = readCheckpoint(result.lastPath);
    assert.equal((checkpoint.metadata.extra!.beats as { fibrillationGate?: boolean }).fibrillationGate, true);
    const { record } = await dataset.load('R6');
    const detected = beatsOfPeaks(detectQrs(record.signals, record.fs).rPeaks, record.fs);
    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'gated checkpoint', 'beats'));
    const prediction = await predictor.predictBeats(record, detected);
    await predictor.release();
    // Training's path on the same peaks gates the same beats: the fibrillation stretch, not the sinus part.
    const asAnnotated = new Map([['R6', detected.map((b) => ({ ...b, symbol: 'N', aami: 'N' as const }))]]);
    const geometry = beatGeometry(config, record.fs);
    const set = await loadBeatSet({ ...dataset, beats: asAnnotated as never }, ['R6'], config, geometry);
    assert.deepEqual(
      prediction.beats.map((b) => (b.fibrillation ? 1 : 0)),
      Array.from(set.gate),
    );
    const gated = prediction.beats.filter((b) => b.fibrillation);
    assert.ok(
      prediction.notices.some((n) =>
        n.startsWith(
          `${gated.length} of ${detected.length} beats have RR intervals as irregular as atrial fibrillation`,
        ),
      ),
    );
    const late = (b: { sample: number }) => b.sample > 42 * record.fs;
    assert.ok(gated.length > 20 && gated.filter(late).length / gated.length > 0.9, `${gated.length} gated`);
    assert.ok(
      prediction.beats.filter(late).filter((b) => b.fibrillation).length >
        0.8 * prediction.beats.filter(late).length,
    );
    const s = AAMI_CLASSES.indexOf('S');
    for (const beat of gated) {
      assert.notEqual(beat.label, 'S');
      assert.ok(beat.probabilities[s]! < 1e-6);
    }
    // And the CV path (beatLogits) masks them the same way.
    const model = modelFromCheckpoint(checkpoint) as EfficientEcgBeat;
    const { logits } = beatLogits(model, set, geometry);
    model.dispose();
    set.gate.forEach((g, b) => g && assert.ok(logits[b * AAMI_CLASSES.length + s]! < -1000));

    // Decision offsets (bundle-model --class-offsets) ship in the beat metadata, not in the graph, and predict adds
    // them after the gate, as the CV offsets were fitted on gated logits: probabilities = softmax(log p + offsets).
    const offsets = [0, -1.5, 0.3, 0, 0];
    const shifted = ensembleCheckpoint([checkpoint], ['gated'], offsets);
    assert.equal(shifted.state.has(CLASS_OFFSETS_KEY), false);
    assert.deepEqual((shifted.metadata.extra!.beats as { classOffsets?: number[] }).classOffsets, offsets);
    const offsetPredictor = await Predictor.load(exportCheckpoint(shifted, 'offset checkpoint', 'beats'));
    assert.deepEqual(offsetPredictor.info.beats!.classOffsets, offsets);
    const withOffsets = await offsetPredictor.predictBeats(record, detected);
    await offsetPredictor.release();
    let worst = 0;
    prediction.beats.forEach((row, b) => {
      const moved = row.probabilities.map((p, c) => Math.exp(Math.log(p) + offsets[c]!));
      const total = moved.reduce((a, x) => a + x, 0);
      moved.forEach(
        (m, c) => (worst = Math.max(worst, Math.abs(m / total - withOffsets.beats[b]!.probabilities[c]!))),
      );
      if (row.fibrillation) assert.notEqual(withOffsets.beats[b]!.label, 'S');
    });
    assert.ok(worst < 1e-4, `offsets after the gate: max |diff| ${worst}`);
  } finally {
    dispose();
  }
});

test('the fibrillation gate leaves training unchanged: same weights with and without it', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticMitdb({ fibrillationFrom: 40 });
    const weights = async (gate: boolean) => {
      const config = beatConfig(join(dir, String(gate)), 'tokens', 1, { fibrillationGate: gate });
      const state = readCheckpoint((await trainBeats(config, dataset)).lastPath).state;
      // Every trained tensor, in name order (optimiser state left out).
      return [...state.keys()]
        .filter((name) => !name.startsWith('optimizer/'))
        .sort()
        .flatMap((name) => Array.from(state.get(name)!.data as Float32Array));
    };
    assert.deepEqual(await weights(true), await weights(false));
  } finally {
    dispose();
  }
});

/** The synthetic records with a second lead (V1: the beats at half the amplitude, inverted, with their own noise). */
function twoLeadMitdb(): MitdbDataset {
  const dataset = syntheticMitdb();
  const random = seededRandom(12);
  return {
    ...dataset,
    load: async (id) => {
      const { entry, record } = await dataset.load(id);
      const v1 = Float32Array.from(record.signals[0]!, (v) => -0.5 * v + 0.02 * random.normal());
      return {
        entry,
        record: { ...record, leads: ['MLII', 'V1'], units: ['mV', 'mV'], signals: [record.signals[0]!, v1] },
      };
    },
  };
}

test('second lead: the chest lead is read when the record has it, a one-lead record reads as training zeroed it', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = twoLeadMitdb();
    const beats = {
      context: 'rhythm-morphology',
      residualChannels: true,
      leads: ['MLII', 'V1|V2|V5|V4'],
      zeroExtraLeads: 0.3,
    };
    const config = beatConfig(join(dir, 'two'), 'tokens', 1, beats);
    const result = await trainBeats(config, dataset);
    const checkpoint = readCheckpoint(result.lastPath);
    assert.deepEqual((checkpoint.metadata.preprocessing as { leads: string[] }).leads, [
      'MLII',
      'V1|V2|V5|V4',
    ]);
    const geometry = beatGeometry(config, FS);
    const { record } = await dataset.load('R6');
    const oneLead = { ...record, leads: ['MLII'], units: ['mV'], signals: [record.signals[0]!] };
    const annotated = dataset.beats.get('R6')!;
    const setOf = (r: EcgRecord) =>
      loadBeatSet(
        { ...dataset, load: async () => ({ entry: dataset.entries[6]!, record: r }) },
        ['R6'],
        config,
        geometry,
      );
    const [two, one] = [await setOf(record), await setOf(oneLead)];
    assert.equal(two.leads, 4); // MLII, V1 and their residuals
    // Training's one-lead imitation (extra leads zeroed, their context flat) is what a one-lead record gives.
    const flat = flatLeadContext(two.contextFeatures, 2, beatInputSpec(config, geometry), FS);
    assert.equal(flat.length, 4);
    const per = two.leads * two.width;
    const k = two.contextFeatures.length;
    let worst = 0;
    for (let b = 0; b < two.count; b++) {
      const windows = two.windows.slice(b * per, (b + 1) * per);
      zeroExtraLeads(windows, 2, two.leads, two.width);
      const context = two.context.slice(b * k, (b + 1) * k);
      flat.forEach(({ column, value }) => (context[column] = value));
      windows.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - one.windows[b * per + i]!))));
      context.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - one.context[b * k + i]!))));
    }
    assert.equal(worst, 0);
    // The ONNX model through the Predictor: the notices name the lead used, and both records score as the engine does.
    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'two-lead checkpoint', 'beats'));
    const model = modelFromCheckpoint(checkpoint) as EfficientEcgBeat;
    for (const [input, set] of [
      [record, two],
      [oneLead, one],
    ] as const) {
      const prediction = await predictor.predictBeats(input, annotated);
      const { logits } = beatLogits(model, set, geometry);
      const engine = noGrad(() => scope(() => F.softmax(F.tensor(logits, [set.count, 5]), 1).data()));
      let gap = 0;
      prediction.beats.forEach((row, b) =>
        row.probabilities.forEach((p, c) => (gap = Math.max(gap, Math.abs(p - engine[b * 5 + c]!)))),
      );
      assert.ok(gap < 1e-4, `${input.leads.join('+')}: predict vs training inputs, max |diff| ${gap}`);
      const notices = prediction.notices.join('; ');
      assert.match(
        notices,
        input.leads.length === 2
          ? /record lead V1 used as V1\|V2/
          : /no lead V1\/V2\/V5\/V4: read as a zero lead/,
      );
    }
    model.dispose();
    await predictor.release();
  } finally {
    dispose();
  }
});

test('time-stretch keeps the R peak in place and widens the beat', () => {
  const x = Float32Array.from({ length: 21 }, (_, k) => Math.exp(-0.5 * ((k - 10) / 2) ** 2));
  const stretched = Float32Array.from(x);
  stretchAround(stretched, 10, 2);
  assert.equal(stretched[10], x[10]);
  assert.ok(Math.abs(stretched[14]! - x[12]!) < 1e-6); // 4 samples out now reads 2 samples out
  assert.ok(stretched[14]! > x[14]!);
});
