/**
 * Predictor: engine vs onnxruntime parity on a real CinC 2017 record through the whole path (resampling, filters,
 * windows, aggregation), aggregation modes, thresholds, lead matching and errors, NaN handling, occlusion
 * saliency, fusion inputs and attention, and the onnxruntime-web backend. Models are tiny and untrained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, ops as F, scope } from '../../src/engine/index.js';
import { preprocessorFromConfig } from '../../src/datasets/cache/preprocess.js';
import { ConfigError, PredictionStoppedError, SignalError } from '../../src/errors.js';
import { readRecord, type EcgRecord } from '../../src/io/index.js';
import { Predictor, UNTRAINED_NOTICE } from '../../src/infer/predictor.js';
import { ABSENT_LEAD, prepareRecord, selectLeads, windowStarts } from '../../src/infer/prepare.js';
import { EfficientEcgFusion } from '../../src/models/fusion.js';
import { devModel } from './dev-models.js';

const CINC = new URL('../fixtures/datasets/cinc2017/A05493.hea', import.meta.url).pathname;
const TOLERANCE = 1e-4;

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

function synthetic(leads: string[], fs: number, seconds: number, name = 'synthetic'): EcgRecord {
  const n = Math.round(fs * seconds);
  const signals = leads.map((_, l) =>
    Float32Array.from(
      { length: n },
      (_, i) => Math.sin((2 * Math.PI * 1.2 * i) / fs + l) + 0.1 * Math.sin(i),
    ),
  );
  return { name, fs, leads, units: leads.map(() => 'mV'), signals, age: 50, sex: 'female', metadata: {} };
}

const cincModel = devModel({
  leads: ['ECG'],
  labels: ['N', 'A', 'O', '~'],
  fs: 100,
  windowSamples: 300,
  hopSamples: 150,
});

test('parity: engine vs onnxruntime through the Predictor on a real CinC 2017 record (300 Hz -> 100 Hz, 3 s windows)', async () => {
  const record = await readRecord(CINC);
  const predictor = await Predictor.load(cincModel.onnx);
  const prediction = await predictor.predict(record);
  // Reference: the training preprocessing and windows, the engine's forward, mean logits, softmax.
  const pre = await preprocessorFromConfig({ resampleTo: 100, bandpass: [0.5, 40], standardize: true }).apply(
    record,
  );
  const signal = pre.signals[0]!.map((v) => (Number.isFinite(v) ? v : 0));
  const starts = windowStarts(signal.length, 300, 150);
  assert.equal(prediction.windows.length, starts.length);
  assert.deepEqual(
    prediction.windows.map((w) => w.start),
    starts.map((s) => s / 100),
  );
  const logits = scope(() => {
    const batch = new Float32Array(starts.length * 300);
    starts.forEach((start, w) => batch.set(signal.subarray(start, start + 300), w * 300));
    return noGrad(() => Array.from(cincModel.model.forward(F.tensor(batch, [starts.length, 1, 300])).data()));
  });
  const mean = [0, 1, 2, 3].map((c) => starts.reduce((s, _, w) => s + logits[w * 4 + c]!, 0) / starts.length);
  const expected = softmax(mean);
  ['N', 'A', 'O', '~'].forEach((label, c) => {
    assert.ok(
      Math.abs(prediction.probabilities[label]! - expected[c]!) < TOLERANCE,
      `${label}: ${prediction.probabilities[label]} vs ${expected[c]}`,
    );
  });
  assert.ok(prediction.notices.some((n) => n.includes("resampled from 300 Hz to the model's 100 Hz")));
  assert.ok(prediction.notices.includes(UNTRAINED_NOTICE));
  assert.equal(prediction.untrained, true);
  assert.deepEqual(prediction.labels, [prediction.top[0]!.label]);
  await predictor.release();
});

test('windows as training validates them; aggregation modes follow from the window probabilities', async () => {
  assert.deepEqual(windowStarts(1000, 300, 150), [0, 150, 300, 450, 600, 700]);
  assert.deepEqual(windowStarts(1000, 300, 150, false), [0, 150, 300, 450, 600]);
  assert.deepEqual(windowStarts(200, 300, 300), [0]);
  const predictor = await Predictor.load(cincModel.onnx);
  const record = synthetic(['ECG'], 100, 10.5);
  const max = await predictor.predict(record, { aggregate: 'max' });
  const meanP = await predictor.predict(record, { aggregate: 'mean-probabilities' });
  assert.equal(max.windows.length, 6); // 0, 1.5, ..., 6 s and one aligned to the end (7.5 s)
  assert.equal(max.windows.at(-1)!.start, 7.5);
  ['N', 'A', 'O', '~'].forEach((label, c) => {
    const column = max.windows.map((w) => w.probabilities[c]!);
    assert.ok(Math.abs(max.probabilities[label]! - Math.max(...column)) < 1e-6);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    assert.ok(Math.abs(meanP.probabilities[label]! - mean) < 1e-6);
  });
  const short = await predictor.predict(synthetic(['ECG'], 100, 2));
  assert.equal(short.windows.length, 1, 'a record shorter than the window is one zero-padded window');
  await predictor.release();
});

test('multi-label: sigmoid probabilities and labels at the validation thresholds', async () => {
  const { onnx } = devModel({
    leads: ['I', 'II'],
    labels: ['NORM', 'MI', 'STTC'],
    fs: 100,
    windowSamples: 200,
    labelKind: 'multi-label',
    extra: { thresholds: { NORM: 0, MI: 1, STTC: null } },
  });
  const predictor = await Predictor.load(onnx);
  const p = await predictor.predict(synthetic(['I', 'II'], 100, 4));
  assert.equal(predictor.info.activation, 'sigmoid');
  assert.deepEqual(predictor.info.thresholds, [0, 1, 0.5]);
  const expected = ['NORM', ...(p.probabilities.STTC! >= 0.5 ? ['STTC'] : [])];
  assert.deepEqual(p.labels, expected);
  await predictor.release();
});

test('leads: a lead of alternatives reads the first the record has, a zero lead when none; the others are required', () => {
  const model = ['MLII', 'V1|V2|V5|V4'];
  assert.deepEqual(selectLeads(['MLII', 'V1'], model).indices, [0, 1]);
  assert.deepEqual(selectLeads(['V5', 'MLII'], model).indices, [1, 0]); // MIT-BIH 114
  assert.deepEqual(selectLeads(['II', 'V5', 'V2', 'V1'], model).indices, [0, 3]); // V1 first whatever the order
  assert.match(selectLeads(['MLII', 'V4'], model).notices.join(), /record lead V4 used as V1\|V2\|V5\|V4/);
  const one = selectLeads(['MLII'], model);
  assert.deepEqual(one.indices, [0, ABSENT_LEAD]);
  assert.match(one.notices.join(), /no lead V1\/V2\/V5\/V4: read as a zero lead/);
  assert.deepEqual(selectLeads(['I', 'II', 'III', 'V1'], model).indices, [1, 3]);
  assert.throws(
    () => selectLeads(['V1', 'V5'], model),
    (e: unknown) => e instanceof ConfigError && /no lead named MLII or an alias of it/.test(e.message),
  );
  assert.throws(
    () => selectLeads(['II', 'V1'], ['II', 'II|V1']),
    /one record lead would stand for two model leads/,
  );
  const record = {
    name: 'r',
    fs: 100,
    leads: ['MLII'],
    units: ['mV'],
    signals: [Float32Array.from({ length: 300 }, (_, i) => Math.sin(i / 5))],
    age: null,
    sex: 'unknown' as const,
    metadata: {},
  };
  const prepared = prepareRecord(record, { leads: model, fs: 50, bandpass: null, standardize: true });
  assert.equal(prepared.signals.length, 2);
  assert.equal(prepared.signals[1]!.length, prepared.signals[0]!.length);
  assert.ok(prepared.signals[1]!.every((v) => v === 0));
});

test('leads: reordered by name, MLII used as II by a one-lead model, clear errors otherwise', async () => {
  assert.deepEqual(selectLeads(['II', 'I'], ['I', 'II']).indices, [1, 0]);
  assert.deepEqual(selectLeads(['MLII', 'V1'], ['II']).indices, [0]);
  assert.match(selectLeads(['MLII', 'V1'], ['II']).notices[0]!, /record lead MLII used as II/);
  // Every model lead found by name: the extra record lead is left out (with a notice, test/infer/extra-leads.test.ts).
  assert.deepEqual(selectLeads(['I', 'II', 'III'], ['I', 'II']).indices, [0, 1]);
  assert.throws(
    () => selectLeads(['I', 'V1', 'III'], ['I', 'II']),
    (e: unknown) =>
      e instanceof ConfigError &&
      /record has 3 lead\(s\) but the model expects 2: record leads \[I, V1, III\], model leads \[I, II\] \(no lead named II or an alias of it\)/.test(
        e.message,
      ),
  );
  assert.throws(() => selectLeads(['V1', 'V5'], ['II']), /no lead named II or an alias of it/);
  const { onnx } = devModel({ leads: ['II'], labels: ['N', 'S', 'V'], fs: 100, windowSamples: 200 });
  const predictor = await Predictor.load(onnx);
  const p = await predictor.predict(synthetic(['MLII', 'V1'], 360, 5));
  assert.ok(p.notices.some((n) => n.includes('record lead MLII used as II')));
  const twelve = await readRecord(
    new URL('../fixtures/datasets/ptbxl/records100/00000/00001_lr.hea', import.meta.url).pathname,
  );
  assert.ok((await predictor.predict(twelve)).notices.some((n) => n.includes('record lead II used as II')));
  await predictor.release();
  const ecgOnly = await Predictor.load(cincModel.onnx);
  await assert.rejects(
    ecgOnly.predict(twelve),
    (e: unknown) =>
      e instanceof ConfigError &&
      /record 00001_lr has 12 lead\(s\) but the model expects 1/.test(e.message) &&
      /model leads \[ECG\]/.test(e.message),
  );
  await ecgOnly.release();
});

test('leads: European chest names C1-C6 match V1-V6; record order only when no name matches, else a ConfigError', () => {
  const model = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
  const european = ['I', 'II', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'III', 'aVR', 'aVL', 'aVF'];
  const selected = selectLeads(european, model);
  assert.deepEqual(selected.indices, [0, 1, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7]);
  assert.match(selected.notices.join(), /leads reordered by name/);
  const generic = selectLeads(['ECG1', 'ECG2'], ['I', 'II']);
  assert.deepEqual(generic.indices, [0, 1]);
  assert.match(generic.notices.join(), /lead names differ, leads used in record order/);
  const partial = ['I', 'II', 'X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'III', 'aVR', 'aVL', 'aVF'];
  assert.throws(
    () => selectLeads(partial, model),
    (e: unknown) =>
      e instanceof ConfigError &&
      /lacks model lead\(s\) V1, V2, V3, V4, V5, V6/.test(e.message) &&
      e.message.includes(`record leads [${partial.join(', ')}], model leads [${model.join(', ')}]`),
  );
});

test('NaN gaps are bridged with a notice; a lead with no valid sample is a SignalError', async () => {
  const predictor = await Predictor.load(cincModel.onnx);
  const record = synthetic(['ECG'], 100, 6);
  record.signals[0]!.fill(NaN, 100, 150);
  const p = await predictor.predict(record);
  assert.ok(p.notices.some((n) => /lead ECG: 50 NaN sample\(s\) bridged/.test(n)));
  assert.ok(Object.values(p.probabilities).every(Number.isFinite));
  record.signals[0]!.fill(NaN);
  await assert.rejects(
    predictor.predict(record),
    (e: unknown) => e instanceof SignalError && /lead ECG has no valid sample/.test(e.message),
  );
  await predictor.release();
});

test('occlusion saliency: one extra pass per window segment, importance per segment of the record', async () => {
  const predictor = await Predictor.load(cincModel.onnx);
  const p = await predictor.predict(synthetic(['ECG'], 100, 6), { saliency: { segmentSeconds: 0.5 } });
  const s = p.saliency!;
  assert.equal(s.label, p.top[0]!.label);
  assert.equal(s.forwardPasses, p.windows.length * 6);
  assert.equal(s.times.length, 12);
  assert.equal(s.importance.length, 12);
  assert.ok(s.importance.every(Number.isFinite));
  assert.equal((await predictor.predict(synthetic(['ECG'], 100, 6))).saliency, null, 'off by default');
  await assert.rejects(
    predictor.predict(synthetic(['ECG'], 100, 6), { saliency: { label: 'X' } }),
    /saliency.label: X is not one of N, A, O, ~/,
  );
  await predictor.release();
});

test('record progress counts the windows then the occluded windows; returning false stops the saliency', async () => {
  const predictor = await Predictor.load(cincModel.onnx);
  const record = synthetic(['ECG'], 100, 6);
  const calls: Array<[number, number]> = [];
  const options = { saliency: { segmentSeconds: 0.5 }, batchSize: 2 };
  const p = await predictor.predict(record, {
    ...options,
    onProgress: (done, total) => {
      calls.push([done, total]);
      return true;
    },
  });
  const windows = p.windows.length;
  const total = windows * (1 + 6);
  assert.ok(
    calls.every(([, t]) => t === total),
    'one total for the whole prediction',
  );
  assert.deepEqual(calls.at(-1), [total, total]);
  assert.ok(
    calls.every(([done], i) => i === 0 || done > calls[i - 1]![0]),
    'done only grows',
  );
  assert.deepEqual(
    p.saliency,
    (await predictor.predict(record, options)).saliency,
    'progress changes no figure',
  );
  await assert.rejects(
    predictor.predict(record, { ...options, onProgress: (done) => done <= windows }),
    (e: unknown) => e instanceof PredictionStoppedError && /stopped after/.test(e.message),
  );
  await predictor.release();
});

test('fusion: patient inputs from the record, logits as the engine, attention summaries by token', async () => {
  const { model, onnx } = devModel({
    leads: ['ECG'],
    labels: ['N', 'A'],
    fs: 100,
    windowSamples: 320,
    fusion: true,
  });
  const predictor = await Predictor.load(onnx);
  const record = synthetic(['ECG'], 100, 3.2);
  const p = await predictor.predict(record);
  const fusion = model as unknown as EfficientEcgFusion;
  const pre = await preprocessorFromConfig({ resampleTo: 100, bandpass: [0.5, 40], standardize: true }).apply(
    record,
  );
  const logits = scope(() =>
    noGrad(() =>
      Array.from(
        fusion
          .forward(
            F.tensor(pre.signals[0]!, [1, 1, 320]),
            fusion.encodePatients([{ age: 50, sex: 'female' }]),
          )
          .data(),
      ),
    ),
  );
  const expected = softmax(logits);
  assert.ok(
    Math.abs(p.probabilities.N! - expected[0]!) < TOLERANCE,
    `${p.probabilities.N} vs ${expected[0]}`,
  );
  assert.deepEqual(p.attention!.tokens, ['_null', 'age', 'sex']);
  const shares = Object.values(p.attention!.ecgToPatient ?? p.attention!.patientToEcg ?? {});
  assert.equal(shares.length, 3);
  // The same ECG with another age gives other probabilities: the patient input reaches the graph.
  const older = await predictor.predict(record, { patient: { age: 90, sex: 'male' } });
  assert.notEqual(older.probabilities.N, p.probabilities.N);
  // A header age outside 0-130 (readers keep up to 149) is unknown to the model, as on the page and the server.
  const unknown = await predictor.predict({ ...record, age: null });
  const implausible = await predictor.predict({ ...record, age: 140 });
  assert.deepEqual(implausible.probabilities, unknown.probabilities);
  assert.ok(implausible.notices.includes("the header's age 140 is outside 0-130 years: read as unknown"));
  assert.ok(!unknown.notices.some((notice) => notice.includes('age')));
  await predictor.release();
});

test("onnxruntime-web (wasm) gives the node backend's probabilities", async () => {
  const record = synthetic(['ECG'], 100, 5);
  const node = await Predictor.load(cincModel.onnx, { backend: 'node' });
  const web = await Predictor.load(cincModel.onnx, { backend: 'web' });
  assert.equal(web.backend, 'web');
  const [a, b] = [await node.predict(record), await web.predict(record)];
  for (const label of ['N', 'A', 'O', '~'])
    assert.ok(Math.abs(a.probabilities[label]! - b.probabilities[label]!) < 1e-5);
  await node.release();
  await web.release();
});
