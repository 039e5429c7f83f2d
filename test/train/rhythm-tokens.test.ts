import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { noGrad } from '../../src/engine/autograd.js';
import { scope } from '../../src/engine/scope.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import { recordRhythm } from '../../src/signal/rhythm-record.js';
import { patientRow, train, trainableFromSpec } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig } from './helpers.js';

test('rhythm tokens: fitted on the training records, computed again by the Predictor from the same signal', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticDataset({ records: 24 });
    const config = tinyConfig(join(dir, 'rhythm'), {
      epochs: 1,
      fusion: true,
      fusionTokens: ['age', 'sex', 'rhythm'],
    });
    const result = await train(config, dataset);
    const checkpoint = readCheckpoint(result.lastPath);
    const { metadata } = checkpoint;
    assert.deepEqual(metadata.extra!.patientInputs, ['age', 'sex', 'rhythm']);
    const groups = (metadata.model.config as { groups: Array<{ name: string; mean?: number[] }> }).groups;
    assert.deepEqual(
      groups.map((g) => g.name),
      ['age', 'sex', 'rhythm'],
    );
    // The 1-6 Hz synthetic "beats" give RR means far from the adult default of 850 ms: the statistics were refitted.
    assert.notEqual(groups[2]!.mean![0], 850);

    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'rhythm checkpoint', 'rhythm'));
    const { record, entry } = await dataset.load(dataset.entries.find((e) => e.split === 'val')!.id);
    const prediction = await predictor.predict(record);
    assert.ok(prediction.attention!.tokens.includes('rhythm'));
    // Engine, first window, with the rhythm row computed from the record as training did.
    const model = trainableFromSpec(metadata.model);
    model.module.loadState(checkpoint.state, 'rhythm checkpoint');
    model.module.eval();
    const samples = (metadata.preprocessing as { windowSamples: number }).windowSamples;
    const window = new Float32Array(samples);
    window.set(record.signals[0]!.subarray(0, samples));
    const engine = noGrad(() =>
      scope(() => {
        const row = patientRow(entry, recordRhythm(record));
        return F.softmax(model.logits(F.tensor(window, [1, 1, samples]), [row]), 1).data();
      }),
    );
    model.module.dispose();
    prediction.windows[0]!.probabilities.forEach((p, c) =>
      assert.ok(Math.abs(p - engine[c]!) < 1e-4, `class ${c}: ONNX ${p} vs engine ${engine[c]}`),
    );
    await predictor.release();
  } finally {
    dispose();
  }
});
