/**
 * `efficientecg compare` given a plain training run (no fold-k/ folders) says it is not a cv output folder and what
 * compare takes; a cv folder whose folds have not finished still says that no fold is finished.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../infer/cli-harness.js';

test('compare on a plain training run: not a cv output folder, compare takes `efficientecg cv` folders', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-compare-'));
  try {
    // What `train --out runs/mine-ft` leaves.
    const run = join(dir, 'mine-ft');
    mkdirSync(run);
    for (const file of ['config.json', 'log.jsonl', 'last.safetensors', 'best.safetensors'])
      writeFileSync(join(run, file), '{}\n');
    const plain = await runCli(['compare', run]);
    assert.match(
      String(plain.error),
      /mine-ft: not a cv output folder \(no fold-k\/ folders\): compare takes folders written by `efficientecg cv`/,
    );
    // A cv folder whose folds are still training.
    const cv = join(dir, 'cv');
    mkdirSync(join(cv, 'fold-1'), { recursive: true });
    writeFileSync(join(cv, 'fold-1', 'config.json'), '{}\n');
    assert.match(
      String((await runCli(['compare', cv])).error),
      /cv: no finished fold \(no fold-k\/heldout\.json\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
