/**
 * `predict --format csv` with one --model whose classes are not the bundled ones (a fine-tuned AF/other model): each
 * of its classes gets its own p_ column after the bundled ones, instead of sharing one other_probabilities cell.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { CSV_CLASSES } from '../../src/infer/predict-output.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

const record = fileURLToPath(new URL('../fixtures/datasets/cinc2017/A05493.hea', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-csv-classes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The CSV's rows as column -> cell (no cell here holds a comma). */
function rows(csv: string): Array<Record<string, string>> {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i]!, cell])));
}

test('a custom model: p_AF and p_other columns after the bundled classes, other_probabilities empty', async () => {
  const onnx = join(dir, 'af.onnx');
  writeFileSync(
    onnx,
    exportCheckpoint(
      devCheckpoint({ leads: ['ECG'], labels: ['other', 'AF'], fs: 100, windowSamples: 300 }),
      'af',
    ),
  );
  const run = await runCli(['predict', record, '--model', onnx, '--format', 'csv', '--jobs', '0']);
  assert.equal(run.error, null, run.stderr);
  const header = run.stdout.split('\n')[0]!.split(',');
  const classColumns = header.filter((column) => column.startsWith('p_'));
  assert.deepEqual(
    classColumns,
    [...CSV_CLASSES, 'other', 'AF'].map((c) => `p_${c}`),
  );
  const [row] = rows(run.stdout);
  const sum = Number(row!.p_AF) + Number(row!.p_other);
  assert.ok(Math.abs(sum - 1) < 1e-5, `p_AF + p_other = ${sum}`);
  assert.equal(row!.other_probabilities, '');
  // A bundled model keeps the bundled columns only.
  const bundled = await runCli([
    'predict',
    record,
    '--model',
    'cinc2017-w0.25',
    '--format',
    'csv',
    '--jobs',
    '0',
  ]);
  assert.equal(bundled.error, null, bundled.stderr);
  assert.deepEqual(
    bundled.stdout
      .split('\n')[0]!
      .split(',')
      .filter((column) => column.startsWith('p_')),
    CSV_CLASSES.map((c) => `p_${c}`),
  );
});
