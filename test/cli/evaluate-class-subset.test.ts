/**
 * A model scored on data that has only some of its classes (a bundled N/A/O/~ model on N/A labels): the error says
 * what is possible (list all its classes in classes.txt, or fine-tune on one's classes with `train --init`), and with
 * the missing classes in classes.txt `evaluate` scores the folder (a class without records is allowed there, not in
 * training, whose error is about learning).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCustom } from '../../src/datasets/custom.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

const fixture = new URL('../fixtures/custom/', import.meta.url).pathname;

test('evaluate on a subset of the model classes: the error says what to do, and classes.txt with all of them scores', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-subset-'));
  try {
    // The fixture is labelled normal/other/AF; the model has a fourth class, noise.
    const model = join(dir, 'four.onnx');
    writeFileSync(
      model,
      exportCheckpoint(
        devCheckpoint({
          leads: ['II'],
          labels: ['normal', 'other', 'AF', 'noise'],
          fs: 100,
          windowSamples: 300,
        }),
        'dev',
      ),
    );
    const evaluate = (data: string) =>
      runCli(
        ['evaluate', '--model', model, '--dataset', 'custom', '--data', data, '--split', 'all'].concat([
          '--resamples',
          '0',
        ]),
      );
    const subset = await evaluate(fixture);
    assert.match(
      String(subset.error),
      /the model's classes \[normal, other, AF, noise\] are not the dataset's \[normal, other, AF\]: a model cannot be scored on a subset of its classes as is: list all its classes in classes.txt \(add noise; .*\) or fine-tune it on your classes \(efficientecg train --dataset custom --init four /,
    );

    const data = join(dir, 'data');
    cpSync(fixture, data, { recursive: true });
    appendFileSync(join(data, 'classes.txt'), 'noise\n');
    const scored = await evaluate(data);
    assert.equal(scored.error, null, String(scored.error));
    assert.match(scored.stdout, /\* noise: no record of this class here, so no AUROC, AUPRC or recall/);
    // Training still refuses a class it has no record of.
    await assert.rejects(
      openCustom(data),
      /class\(es\) noise have no readable record \(a model cannot learn an empty class\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
