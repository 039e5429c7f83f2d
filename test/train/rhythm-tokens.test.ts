import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import { recordRhythm } from '../../src/signal/rhythm-record.js';
import { patientRow, train } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { engineFirstWindow, tempDir, tinyConfig } from './helpers.js';

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
    const engine = engineFirstWindow(checkpoint, record, patientRow(entry, recordRhythm(record)));
    prediction.windows[0]!.probabilities.forEach((p, c) =>
      assert.ok(Math.abs(p - engine[c]!) < 1e-4, `class ${c}: ONNX ${p} vs engine ${engine[c]}`),
    );
    await predictor.release();
  } finally {
    dispose();
  }
});

test('token dropout: seeded (two runs are identical) and it changes what the model sees (weights differ from p = 0)', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticDataset({ records: 24 });
    const run = async (name: string, p: number) => {
      const config = tinyConfig(join(dir, name), {
        epochs: 1,
        fusion: true,
        fusionTokens: ['age', 'sex', 'rhythm'],
        fusionTokenDropout: p,
      });
      const result = await train(config, dataset);
      return readCheckpoint(result.lastPath).state.get('fusion.tokens.rhythm.proj.weight')!.data;
    };
    const first = await run('a', 0.5);
    assert.deepEqual(await run('b', 0.5), first, 'same seed, same hidden tokens');
    assert.notDeepEqual(await run('c', 0), first);
  } finally {
    dispose();
  }
});
