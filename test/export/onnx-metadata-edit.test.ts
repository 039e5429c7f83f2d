/**
 * withOnnxMetadata: a bundled model's metadata changed (the training records of scripts/add-training-records.ts)
 * leaves what it computes alone: same graph, same probabilities on a real record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExportError } from '../../src/errors.js';
import { withOnnxMetadata } from '../../src/export/onnx/edit.js';
import { onnx } from '../../src/export/onnx/graph.js';
import { readOnnxSummary } from '../../src/export/onnx/read.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/read.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const MODEL = here('../server/fixtures/dev-1lead-untrained.onnx');

test('metadata replaced and added, the others and the graph kept: same outputs on a real record', async () => {
  const before = new Uint8Array(readFileSync(MODEL));
  const dataset = { name: 'cinc2017', records: { train: ['A00001', 'A00002'] } };
  const after = withOnnxMetadata(before, { dataset, note: 'added' }, MODEL);
  const [old, edited] = [readOnnxSummary(before), readOnnxSummary(after)];
  assert.deepEqual(edited.metadata.dataset, dataset);
  assert.equal(edited.metadata.note, 'added');
  const { dataset: _a, note: _b, ...rest } = edited.metadata;
  const { dataset: _c, ...oldRest } = old.metadata;
  assert.deepEqual(rest, oldRest);
  const graph = (bytes: Uint8Array) => onnx.GraphProto.encode(onnx.ModelProto.decode(bytes).graph!).finish();
  assert.deepEqual(graph(after), graph(before));
  const record = await readRecord(here('../fixtures/wfdb/A00001.hea'));
  const outputs = [];
  for (const bytes of [before, after]) {
    const predictor = await Predictor.load(bytes, { name: 'dev', backend: 'node', threads: 1 });
    try {
      outputs.push((await predictor.predict(record)).probabilities);
    } finally {
      await predictor.release();
    }
  }
  assert.deepEqual(outputs[1], outputs[0]);
  const reloaded = await Predictor.load(after, { name: 'dev' });
  assert.equal(reloaded.info.dataset?.name, 'cinc2017');
  await reloaded.release();
});

test('bytes that are not an ONNX model: an ExportError naming the file', () => {
  assert.throws(
    () => withOnnxMetadata(new Uint8Array([0xff, 0xff, 0xff, 0xff]), { dataset: null }, 'broken.onnx'),
    (error: unknown) =>
      error instanceof ExportError && /^broken\.onnx: not an ONNX model/.test(error.message),
  );
});
