/**
 * The evaluate report of one's own data is titled by the model and the dataset, not the folder's base name ("data —
 * 12 records" said nothing); its progress bar shows the ETA in minutes and hours as the other commands' bars do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { evaluateBar } from '../../src/cli/evaluate.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

test('evaluate --dataset custom: the report title names the model and the dataset, not the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-title-'));
  try {
    const data = join(dir, 'data');
    cpSync(new URL('../fixtures/custom/', import.meta.url).pathname, data, { recursive: true });
    const model = join(dir, 'mine.onnx');
    writeFileSync(
      model,
      exportCheckpoint(
        devCheckpoint({ leads: ['II'], labels: ['normal', 'other', 'AF'], fs: 100, windowSamples: 300 }),
        'dev',
      ),
    );
    const run = await runCli(
      ['evaluate', '--model', model, '--dataset', 'custom', '--data', data].concat([
        '--split',
        'all',
        '--resamples',
        '0',
      ]),
    );
    assert.equal(run.error, null, String(run.error));
    assert.match(run.stdout, /^mine on custom — 12 records, 3 classes \(single-label\)\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the evaluate bar shows its ETA as minutes and seconds, not raw seconds', () => {
  const bar = evaluateBar(new Writable({ write: (_chunk, _encoding, done) => done() }));
  const { options } = bar as unknown as { options: Parameters<typeof cliProgress.Format.Formatter>[0] };
  const line = cliProgress.Format.Formatter(
    options,
    { progress: 0.5, eta: 1234, startTime: Date.now(), stopTime: null, value: 6, total: 12, maxWidth: 200 },
    {},
  );
  assert.match(line, /6\/12 records \| ETA 20m35s$/);
  assert.doesNotMatch(line, /1234/);
});
