/**
 * Window aggregation in validation: 'mean-logits' averages a record's window logits, 'max' takes each class's
 * largest window logit (= the largest window probability under a sigmoid). Both are checked against the model run on
 * one window at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { windowStarts, writeWindow } from '../../src/train/batch.js';
import { loadTrainingData } from '../../src/train/data.js';
import { newTrainableModel, rowOf } from '../../src/train/model.js';
import { outputsMetrics } from '../../src/train/cv.js';
import { predictRecords, validationMetrics } from '../../src/train/validate.js';
import { TINY_MODEL } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

setNumThreads(1);

test("validation windows combine by mean of logits or by each class's maximum", async () => {
  const dataset = syntheticDataset({ records: 6, labelKind: 'multi-label' });
  const data = await loadTrainingData(dataset, {
    preprocess: { resampleTo: null, bandpass: null, standardize: false },
    cacheDir: null,
  });
  manualSeed(3);
  const model = newTrainableModel('efficientecg-w0.25', false, { leads: 1, classes: 3 }, [], TINY_MODEL);
  model.module.eval();
  const window = { samples: 50, shortRecords: 'zero-pad' as const, fs: data.fs };
  const hop = 20;
  const indices = [0, 1, 2, 3, 4, 5];
  const mean = await predictRecords(model, data, indices, window, hop, 4, 'mean-logits');
  const max = await predictRecords(model, data, indices, window, hop, 4, 'max');
  indices.forEach((index, r) => {
    const starts = windowStarts(data.store.slots[index]!.length, window.samples, hop);
    const rows = starts.map((start) => {
      const buffer = new Float32Array(window.samples);
      writeWindow(data.store, index, window, start, 0, buffer);
      return noGrad(() =>
        scope(() => model.logits(F.tensor(buffer, [1, 1, window.samples]), [rowOf(data, index)]).data()),
      );
    });
    for (let c = 0; c < 3; c++) {
      const column = rows.map((row) => row[c]!);
      const expectedMean = column.reduce((a, b) => a + b, 0) / column.length;
      assert.ok(Math.abs(mean[r]![c]! - expectedMean) < 1e-5, `record ${r} class ${c} mean`);
      assert.ok(Math.abs(max[r]![c]! - Math.max(...column)) < 1e-5, `record ${r} class ${c} max`);
    }
    if (starts.length > 1)
      assert.ok(
        max[r]!.some((v, c) => v > mean[r]![c]! + 1e-6),
        'max differs from mean',
      );
  });
  model.module.dispose();
});

test('the F1 at thresholds chosen on the scored records is a selection-split log only, never a held-out figure', () => {
  const data = {
    classes: ['a', 'b'],
    labelKind: 'multi-label' as const,
    entries: [[0], [1], [0, 1], []].map((labels) => ({ labels })),
  } as unknown as Parameters<typeof validationMetrics>[0];
  const logits = [
    [2, -1],
    [-1, 1],
    [0.5, 0.2],
    [-2, -2],
  ].map((row) => Float64Array.from(row));
  const log = validationMetrics(data, [0, 1, 2, 3], logits, { thresholdF1: true });
  assert.equal(log.details.macro_f1_at_thresholds, 1); // thresholds fitted on these four records separate them
  const heldout = validationMetrics(data, [0, 1, 2, 3], logits);
  assert.equal('macro_f1_at_thresholds' in heldout.details, false);
  assert.equal(heldout.value, log.value);
  const pooled = outputsMetrics({
    task: 'records',
    classes: ['a', 'b'],
    labelKind: 'multi-label',
    ids: ['w', 'x', 'y', 'z'],
    groups: ['w', 'x', 'y', 'z'],
    labels: [[0], [1], [0, 1], []],
    logits: logits.map((row) => Array.from(row)),
  });
  assert.equal('macro_f1_at_thresholds' in pooled.details, false);
});
