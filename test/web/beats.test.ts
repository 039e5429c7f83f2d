/**
 * The page's beat classification (web/src/beats.ts) in Node, on onnxruntime-node: batching must not change any
 * beat's class, and the counts must be those `efficientecg predict` gives (src/infer/predict-file.ts) for the same
 * record and bundled model. Record: 60 s of MIT-BIH record 208 (test/fixtures/wfdb/208x, many V beats).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Predictor } from '../../src/infer/predictor.js';
import { predictFile, PredictorCache } from '../../src/infer/predict-file.js';
import { readRecord } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { batchSize, beatQuality, classifyBeats } from '../../web/src/beats.js';
import { classifiableBeats } from '../../src/infer/detected-beats.js';
import { diagnose } from '../../src/infer/diagnose.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RECORD = here('../fixtures/wfdb/208x.hea');
const MODEL = here('../../models/mitdb-beat-w0.25.onnx');

let predictor: Predictor;
let record: EcgRecord;
let rPeaks: Int32Array;

before(async () => {
  predictor = await Predictor.load(MODEL, { backend: 'node', threads: 1, name: 'mitdb-beat-w0.25' });
  record = await readRecord(RECORD);
  rPeaks = detectQrs(record.signals, record.fs).rPeaks;
});

after(() => predictor?.release());

test('batches are large and few: at least minBeats, at most maxBatches', () => {
  assert.equal(batchSize(106), 256);
  assert.equal(batchSize(3180), 398);
  assert.equal(batchSize(10, { minBeats: 4, maxBatches: 2 }), 5);
});

test('classified in small batches: the classes of one predictBeats call and the counts predict gives', async () => {
  const progress: Array<[number, number]> = [];
  const result = await classifyBeats(predictor, record, rPeaks, {
    onProgress: (done, total) => progress.push([done, total]) > 0,
    batching: { minBeats: 16, maxBatches: 100 },
  });
  assert.ok(result);
  const { detected, classify } = classifiableBeats(rPeaks, record.fs, record.signals[0]!.length);
  const whole = await predictor.predictBeats(record, detected, { classify });
  assert.deepEqual(
    result.beats,
    whole.beats.map(({ sample, label }) => ({ sample, label })),
  );
  const total = whole.beats.length;
  assert.deepEqual(
    progress,
    [0, 16, 32, 48, 64, 80, 96, total].map((done) => [done, total]),
  );

  const cache = new PredictorCache();
  const cli = await predictFile(
    RECORD,
    { kind: 'fixed', model: { name: 'mitdb-beat-w0.25', path: MODEL, leads: ['MLII'] } },
    cache,
  );
  await cache.close();
  assert.ok(cli.ok && cli.beats);
  assert.equal(total, cli.beats.total);
  assert.deepEqual(result.counts, cli.beats.counts);
  assert.deepEqual(result.notices, cli.notices);
  // The record's reference annotations hold 106 beats, 30 of them V (and 12 F, which this model calls N or V).
  assert.ok(Math.abs(total - 106) <= 2, `${total} beats`);
  assert.ok(result.counts.V! >= 25 && result.counts.V! <= 45, `V ${result.counts.V}`);
});

test('a newer request stops the run between batches', async () => {
  let calls = 0;
  const result = await classifyBeats(predictor, record, rPeaks, {
    onProgress: () => ++calls < 2,
    batching: { minBeats: 16, maxBatches: 100 },
  });
  assert.equal(result, null);
  assert.equal(calls, 2);
});

test("the quality gate reads only the model's leads, as diagnose() does: a flat V1 never blocks an MLII model", async () => {
  const leadV1 = record.leads.indexOf('V1');
  assert.ok(leadV1 >= 0, record.leads.join(', '));
  const flatV1 = {
    ...record,
    signals: record.signals.map((s, i) => (i === leadV1 ? new Float32Array(s.length) : s)),
  };
  const quality = beatQuality(flatV1, predictor.info);
  const reference = await diagnose({ name: 'mitdb-beat-w0.25', info: predictor.info }, predictor, flatV1, {
    measurements: false,
  });
  assert.equal(quality.diagnosable, true, quality.summary);
  assert.deepEqual(quality, reference.quality);
});

test('a context model (templates, cluster vote, gate) gets the same classes in small runs as in one', async () => {
  // The bundled default reads each beat against the record's templates and votes within its QRS clusters: runs of
  // 16 beats must not cut the record into pieces (the page once called predictBeats per batch: 168 of 208's 2,948
  // beats then changed class).
  const model = await Predictor.load(here('../../models/mitdb-beat-2lead-local-gate-vote-ens11.onnx'), {
    backend: 'node',
    threads: 1,
  });
  try {
    const progress: number[] = [];
    const result = await classifyBeats(model, record, rPeaks, {
      onProgress: (done) => progress.push(done) > 0,
      batching: { minBeats: 16, maxBatches: 100 },
    });
    const { detected, classify } = classifiableBeats(rPeaks, record.fs, record.signals[0]!.length);
    const whole = await model.predictBeats(record, detected, { classify });
    assert.ok(result);
    assert.deepEqual(
      result.beats,
      whole.beats.map(({ sample, label }) => ({ sample, label })),
    );
    assert.ok(progress.length > 3, `${progress.length} progress calls`);
    // Stopping after the first run gives null, not a partial result.
    const stopped = await classifyBeats(model, record, rPeaks, {
      onProgress: (done) => done === 0,
      batching: { minBeats: 16, maxBatches: 100 },
    });
    assert.equal(stopped, null);
  } finally {
    await model.release();
  }
});
