/**
 * `train` and `cv` say how many records the folder lists but the run leaves out (a missing file here), once, with the
 * first one's reason and the command that lists them all: they were dropped without a word.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../infer/cli-harness.js';
import { TINY_MODEL, TINY_RUN_FLAGS } from '../train/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'eecg-skipped-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'data');
cpSync(fileURLToPath(new URL('../fixtures/custom/', import.meta.url)), data, { recursive: true });
appendFileSync(join(data, 'labels.csv'), 'records/gone,AF,p9,,\n');
const config = join(dir, 'tiny.json');
writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL, cacheDir: null }));
const common = [
  ...['--config', config, '--dataset', 'custom', '--data', data, '--model', 'efficientecg-w0.25'],
  ...[...TINY_RUN_FLAGS, '--workers', '0', '--no-augment'],
];
const NOTICE =
  /1 record\(s\) of the custom dataset left out of this run \(first: records\/gone: record file missing \(records\/gone\.hea, records\/gone\.mat, records\/gone\.csv\)\); `efficientecg datasets custom ".*data" --json` lists them all\n/g;

test('train and cv name the records they leave out, once', async () => {
  for (const args of [
    ['train', ...common, '--out', join(dir, 'run')],
    ['cv', '--folds', '2', ...common, '--out', join(dir, 'cv')],
  ]) {
    const run = await runCli(args);
    assert.equal(run.error, null, String(run.error));
    assert.equal(run.stderr.match(NOTICE)?.length, 1, `${args[0]}: ${run.stderr}`);
  }
});
