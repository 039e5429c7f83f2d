/** `efficientecg models`: a cross-validated figure without an sd (fewer than two fold figures) shows none, not ± 0. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../infer/cli-harness.js';

const entry = (name: string, sd: number | null) => ({
  name,
  dataset: 'cinc2017',
  task: 'records',
  default: false,
  architecture: 'efficientecg-w0.25',
  classes: ['N', 'A', 'O', '~'],
  leads: ['ECG'],
  fs: 100,
  windowSeconds: 10,
  parameters: 1,
  macs: null,
  cv: { folds: 5, metric: 'cinc2017_f1', mean: 0.834, sd, pooled: 0.83 },
  validation: {},
  files: { onnx: `${name}.onnx`, card: `${name}.md` },
});

test('models: the cv sd is n/a when there is none, its value otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-models-cv-'));
  try {
    const models = [entry('without-sd', null), entry('with-sd', 0.011)];
    writeFileSync(
      join(dir, 'catalog.json'),
      JSON.stringify({ format: 'efficientecg-models', version: 1, models }),
    );
    const { stdout, error } = await runCli(['--models-dir', dir, 'models']);
    assert.equal(error, null);
    assert.match(stdout, /cinc2017_f1 0\.834 ± n\/a \(5-fold CV; pooled 0\.830\)/);
    assert.match(stdout, /cinc2017_f1 0\.834 ± 0\.011 \(5-fold CV/);
    assert.doesNotMatch(stdout, /± 0\.000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
