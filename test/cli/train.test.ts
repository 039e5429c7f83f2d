/**
 * `efficientecg train` as a user runs it: before the first epoch it names the model's output order, which must be
 * the order of the labels the checkpoint stores. A one-epoch run of a tiny model on the CinC 2017 fixture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { tempDir, TINY_MODEL } from '../train/helpers.js';

const cinc2017 = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

test('train prints the class order once, before the first epoch, as the checkpoint stores it', () => {
  const { dir, dispose } = tempDir();
  try {
    const config = join(dir, 'tiny.json');
    writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL }));
    const out = join(dir, 'run');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'train',
        ...['--config', config, '--dataset', 'cinc2017', '--data', cinc2017, '--out', out],
        ...['--model', 'efficientecg-w0.25', '--epochs', '1', '--window', '5', '--batch-size', '2'],
        ...['--workers', '0', '--threads', '1', '--cache-dir', join(dir, 'cache')],
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stderr.split('\n');
    const classLines = lines.filter((line) => line.startsWith('classes (output order): '));
    assert.deepEqual(classLines, ['classes (output order): N, A, O, ~']);
    const firstEpoch = lines.findIndex((line) => line.startsWith('{"type":"epoch"'));
    assert.ok(firstEpoch > lines.indexOf(classLines[0]!), result.stderr);
    const { last } = JSON.parse(result.stdout) as { last: string };
    const checkpoint = readCheckpoint(last);
    assert.deepEqual(checkpoint.metadata.labels, ['N', 'A', 'O', '~']);
  } finally {
    dispose();
  }
});
