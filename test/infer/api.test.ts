// The public inference API (efficientecg/infer): loadModel by bundled name, path or bytes; what the model tells;
// predict gives the same EcgResult as diagnose (the CLI's and server's path); predictBeats; dispose.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigError, DisposedError, MissingFileError } from '../../src/errors.js';
import { diagnose } from '../../src/infer/diagnose.js';
import { ecgResultSchema, listModels, loadModel } from '../../src/infer/index.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/read.js';
import { filePathOf } from '../../src/io/source.js';

const WFDB = new URL('../fixtures/wfdb/', import.meta.url).pathname;

test('a bundled model by name tells its classes (spelled out), leads, rate, window and thresholds', async () => {
  const model = await loadModel('ptbxl-w0.25');
  try {
    assert.equal(model.name, 'ptbxl-w0.25');
    assert.equal(model.task, 'records');
    assert.deepEqual(
      model.classes.map((c) => c.label),
      ['NORM', 'MI', 'STTC', 'CD', 'HYP'],
    );
    assert.equal(model.classes[1]!.name, 'myocardial infarction');
    assert.equal(model.leads.length, 12);
    assert.equal(model.fs, 100);
    assert.equal(model.windowSeconds, 10);
    assert.equal(model.backend, 'node');
    const catalogued = listModels().find((m) => m.name === 'ptbxl-w0.25')!;
    assert.deepEqual(model.leads, catalogued.leads);
    for (const c of model.classes) assert.ok(c.threshold !== null && c.threshold > 0 && c.threshold < 1);
    assert.deepEqual(Object.keys(model.thresholds), catalogued.classes);
  } finally {
    await model.dispose();
  }
});

test('predict gives the EcgResult that diagnose gives through the Predictor (five probabilities)', async () => {
  const record = await readRecord(`${WFDB}00001_lr.hea`);
  const path = listModels().find((m) => m.name === 'ptbxl-w0.25')!.paths.onnx;
  const model = await loadModel(path, { name: 'ptbxl-w0.25' });
  const predictor = await Predictor.load(path);
  try {
    const result = await model.predict(record);
    ecgResultSchema.parse(result);
    assert.equal(result.classes.length, 5);
    for (const c of result.classes) assert.ok(c.probability >= 0 && c.probability <= 1);
    const reference = await diagnose({ name: 'ptbxl-w0.25', info: predictor.info }, predictor, record);
    assert.deepEqual(result, reference);
    const [first, second] = await model.predict([record, { ...record, name: 'again' }]);
    assert.deepEqual(first, result);
    assert.equal(second!.record.name, 'again');
  } finally {
    await model.dispose();
    await predictor.release();
  }
});

test('model bytes load too; a disposed model refuses to predict', async () => {
  const path = listModels().find((m) => m.name === 'cinc2017-w0.25')!.paths.onnx;
  const model = await loadModel(new Uint8Array(readFileSync(path)));
  const record = await readRecord(`${WFDB}A00001.hea`);
  const result = await model.predict(record);
  assert.equal(result.classes.length, 4);
  await model.dispose();
  await assert.rejects(model.predict(record), DisposedError);
  await assert.rejects(loadModel('no-such-model'), ConfigError);
});

test('file: URLs (strings or URL objects) name a model or a record like their path', async () => {
  const path = listModels().find((m) => m.name === 'cinc2017-w0.25')!.paths.onnx;
  const header = `${WFDB}A00001.hea`;
  const byPath = await readRecord(header);
  for (const url of [pathToFileURL(header), pathToFileURL(header).href]) {
    const record = await readRecord(url);
    assert.deepEqual(record.signals, byPath.signals, String(url));
  }
  const fromPath = await loadModel(path);
  const expected = await fromPath.predict(byPath);
  await fromPath.dispose();
  for (const url of [pathToFileURL(path), pathToFileURL(path).href]) {
    const model = await loadModel(url);
    assert.deepEqual((await model.predict(byPath)).classes, expected.classes, String(url));
    await model.dispose();
  }
  // An HDF5 exam's name keeps its fragment.
  assert.equal(filePathOf('file:///data/exams_part0.hdf5#1169160'), '/data/exams_part0.hdf5#1169160');
  // A file URL with a remote host cannot be opened here: a typed error naming it, for a record and a model.
  const remote = 'file://elsewhere/records/A00001.hea';
  await assert.rejects(
    readRecord(remote),
    (e: unknown) => e instanceof MissingFileError && e.message.includes(remote),
  );
  await assert.rejects(loadModel('file://elsewhere/m.onnx'), MissingFileError);
});

test('predictBeats: beat models classify detected or given beats; record models refuse', async () => {
  const model = await loadModel('mitdb-beat-w0.25');
  const record = await readRecord(`${WFDB}208x.hea`);
  try {
    const detected = await model.predictBeats(record);
    assert.ok(detected.beats.length > 60);
    const beat = {
      sample: detected.beats[5]!.sample,
      rrPrevious: 0.8,
      rrNext: 0.8,
      rrLocal: 0.8,
      rrRecord: 0.8,
    };
    const given = await model.predictBeats(record, [beat]);
    assert.equal(given.beats.length, 1);
    assert.equal(given.beats[0]!.probabilities.length, 5);
    const result = await model.predict(record);
    assert.equal(result.beats?.total, detected.beats.length);
  } finally {
    await model.dispose();
  }
  const records = await loadModel('cinc2017-w0.25');
  await assert.rejects(records.predictBeats(record), /classifies whole records/);
  await records.dispose();
});

test('predictBeats refuses beats outside the record, naming it (they were scored on repeated edge samples)', async () => {
  const model = await loadModel('mitdb-beat-w0.25');
  const record = await readRecord(`${WFDB}208x.hea`);
  try {
    const length = record.signals[0]!.length;
    const beat = (sample: number) => ({ sample, rrPrevious: 0.8, rrNext: 0.8, rrLocal: 0.8, rrRecord: 0.8 });
    await assert.rejects(
      model.predictBeats(record, [beat(1000), beat(length + 360)]),
      (e: unknown) =>
        e instanceof ConfigError &&
        new RegExp(`^record 208x: beat 2 at sample ${length + 360} is not in its ${length} samples`).test(
          e.message,
        ),
    );
    assert.equal((await model.predictBeats(record, [beat(1000)])).beats.length, 1);
  } finally {
    await model.dispose();
  }
});

test('a gated beat model marks the beats it put in fibrillation in the result items (JSON, API)', async () => {
  const model = await loadModel('mitdb-beat-2lead-local-gate-vote-ens11');
  const record = await readRecord(`${WFDB}208x.hea`);
  try {
    const gated = (await model.predictBeats(record)).beats.filter((b) => b.fibrillation === true).length;
    const result = await model.predict(record);
    ecgResultSchema.parse(result);
    const flagged = result.beats!.items.filter((item) => item.fibrillation === true).length;
    assert.ok(gated > 0, 'the excerpt has gated beats');
    assert.equal(flagged, gated);
    assert.ok(
      result.beats!.items.every((item) => item.fibrillation === undefined || item.fibrillation === true),
    );
  } finally {
    await model.dispose();
  }
});
