/**
 * `efficientecg export`: a checkpoint as the trainer writes it -> an ONNX file whose metadata the Predictor reads
 * (labels, rate, leads, window, thresholds, untrained flag) and whose outputs are the in-process export's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import { ConfigError } from '../../src/errors.js';
import { saveCheckpoint } from '../../src/export/checkpoint.js';
import { readOnnxSummary } from '../../src/export/onnx/index.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/index.js';
import { buildModel } from '../../src/models/registry.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

test('export writes an ONNX model with the checkpoint metadata; predict-ready; bad arguments are clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-export-'));
  try {
    const checkpoint = devCheckpoint({
      leads: ['ECG'],
      labels: ['N', 'A', 'O', '~'],
      fs: 100,
      windowSamples: 300,
      extra: { thresholds: { N: 0.4, A: 0.3, O: null, '~': 0.9 } },
    });
    const model = buildModel(checkpoint.metadata.model.name, checkpoint.metadata.model.config);
    model.loadState(checkpoint.state);
    saveCheckpoint(join(dir, 'best.safetensors'), model, checkpoint.metadata);
    model.dispose();
    const out = join(dir, 'onnx', 'model.onnx');
    const result = await runCli(['export', '--model', join(dir, 'best.safetensors'), '--out', out]);
    assert.equal(result.error, null);
    assert.deepEqual(JSON.parse(result.stdout).labels, ['N', 'A', 'O', '~']);
    const bytes = new Uint8Array(readFileSync(out));
    const summary = readOnnxSummary(bytes);
    assert.deepEqual(summary.inputs, ['ecg']);
    assert.deepEqual(summary.outputs, ['logits']);
    assert.equal(summary.metadata.sampling_rate, 100);
    assert.equal(summary.metadata.untrained, true);
    assert.equal(summary.metadata.task, 'records');
    assert.deepEqual(summary.metadata.thresholds, { N: 0.4, A: 0.3, O: null, '~': 0.9 });
    const predictor = await Predictor.load(bytes);
    assert.deepEqual(predictor.info.thresholds, [0.4, 0.3, 0.5, 0.9]);
    assert.equal(predictor.info.windowSamples, 300);
    const record = await readRecord(
      new URL('../fixtures/datasets/cinc2017/A05493.hea', import.meta.url).pathname,
    );
    const prediction = await predictor.predict(record);
    assert.ok(Math.abs(Object.values(prediction.probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    await predictor.release();
    // Argument errors, in process (no second CLI start-up).
    const program = (await buildProgram()).exitOverride();
    await assert.rejects(
      program.parseAsync(
        ['export', '--model', join(dir, 'best.safetensors'), '--out', join(dir, 'model.bin')],
        { from: 'user' },
      ),
      (e: unknown) =>
        e instanceof ConfigError && /--out .*model\.bin: the file name must end in \.onnx/.test(e.message),
    );
    await assert.rejects(
      (await buildProgram())
        .exitOverride()
        .parseAsync(['export', '--model', out, '--out', out], { from: 'user' }),
      /already ONNX; pass a \.safetensors checkpoint/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
