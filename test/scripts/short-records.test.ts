/**
 * scripts/short-records.ts on the PTB-XL fixture with a tiny development model: --json replaces its file atomically
 * (a new file renamed over the old, never the old one truncated and rewritten), and an unknown --datasets name is an
 * error naming it and the known ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { devCheckpoint } from '../infer/dev-models.js';
import { withTempDir } from '../helpers/temp-dir.js';

const script = new URL('../../scripts/short-records.ts', import.meta.url).pathname;
const data = new URL('../fixtures/datasets', import.meta.url).pathname;
const LEADS = ['I', 'II', 'III', 'AVR', 'AVL', 'AVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

const withDir = (fn: (dir: string) => void) => withTempDir('ecg-short-records-', fn);

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, '--data', data, ...args], { encoding: 'utf8' });

test('short-records --json replaces the file by rename, never rewriting the old one in place', () => {
  withDir((dir) => {
    const model = join(dir, 'dev.onnx');
    const labels = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
    const checkpoint = devCheckpoint({ leads: LEADS, labels, fs: 100, windowSamples: 250 });
    writeFileSync(model, exportCheckpoint(checkpoint, 'dev'));
    const json = join(dir, 'out.json');
    writeFileSync(json, 'previous results\n');
    linkSync(json, join(dir, 'reader.json')); // a reader holding the old file
    const result = run(
      '--model',
      model,
      '--datasets',
      'ptbxl',
      '--limit',
      '1',
      '--seconds',
      '2',
      '--json',
      json,
    );
    assert.equal(result.status, 0, result.stderr);
    const rows = JSON.parse(readFileSync(json, 'utf8')) as Array<{ dataset: string; records: number }>;
    assert.ok(rows.length > 0 && rows.every((row) => row.dataset === 'PTB-XL' && row.records === 1));
    assert.equal(readFileSync(join(dir, 'reader.json'), 'utf8'), 'previous results\n');
    assert.deepEqual(readdirSync(dir).sort(), ['dev.onnx', 'out.json', 'reader.json']); // no temporary left
  });
});

test('short-records --datasets with an unknown name fails naming it and the known ones', () => {
  const result = run('--datasets', 'ptbxl,ludbx');
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /--datasets: unknown "ludbx" \(known: ludb, ptbxl, cinc2017\)/);
  assert.doesNotMatch(result.stderr, /is not a function/);
});
