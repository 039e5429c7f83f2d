/**
 * `efficientecg cv` progress: the ETA counts only the folds this process trains. Folds already done when a CV is
 * resumed are skipped, not left (they made the ETA of a resumed CV too long). A tiny CV: the custom fixture, 2 folds,
 * 1 epoch, in process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../infer/cli-harness.js';
import { TINY_MODEL } from '../train/helpers.js';

const data = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eecg-cv-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cv(out: string, ...extra: string[]) {
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL, cacheDir: null }));
  const run = await runCli([
    ...['cv', '--folds', '2', '--config', config, '--dataset', 'custom', '--data', data, '--out', out],
    ...['--model', 'efficientecg-w0.25', '--epochs', '1', '--window', '5', '--batch-size', '2'],
    ...['--workers', '0', '--threads', '1', '--no-augment'],
    ...extra,
  ]);
  assert.equal(run.error, null, String(run.error));
  return run.stderr;
}

test('cv resumed with fold 1 done: the ETA counts fold 2 only', async () => {
  const out = join(dir, 'cv');
  assert.match(await cv(out, '--only', '1'), /cv: fold 1\/2 finished, 0 more to train here\n/);
  const resumed = await cv(out);
  assert.match(resumed, /cv: fold 1\/2 done\n/);
  assert.match(resumed, /cv: fold 2\/2 finished, 0 more to train here\n/);
});
