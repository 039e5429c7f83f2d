import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CINC2017_FIXTURE, TINY_RUN_FLAGS, tempDir, trainCli } from './helpers.js';

const cinc2017 = CINC2017_FIXTURE;
const run = trainCli;

test('efficientecg train on the CinC 2017 fixture (4 records), then refuses to overwrite the run', () => {
  const { dir, dispose } = tempDir();
  try {
    const out = join(dir, 'run');
    const args = ['--dataset', 'cinc2017', '--data', cinc2017, '--model', 'efficientecg-w0.25', '--out', out];
    const options = [...TINY_RUN_FLAGS, '--workers', '1'];
    const first = run([...args, ...options, '--cache-dir', join(dir, 'cache')]);
    assert.equal(first.status, 0, first.stderr);
    const summary = JSON.parse(first.stdout) as { epochs: number; metric: string; last: string };
    assert.deepEqual([summary.epochs, summary.metric], [1, 'cinc2017_f1']);
    assert.ok(existsSync(summary.last));
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      log.map((line: { type: string }) => line.type),
      ['steps', 'epoch'],
    );
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      preprocess: unknown;
      windowSeconds: number;
      fusionShortcut: boolean;
      fusionTokenDropout: number;
    };
    assert.deepEqual(config.preprocess, { fs: 100, bandpass: [0.5, 40], standardize: true });
    assert.deepEqual(
      [config.fusionShortcut, config.fusionTokenDropout],
      [true, 0.5],
      'the fusion recipe defaults',
    );

    const again = run([...args, ...options, '--cache-dir', join(dir, 'cache')]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /ConfigError: out dir .* holds another run .*--resume.*--force/);

    const fusionOut = join(dir, 'fusion');
    const fusion = run([
      ...args.slice(0, -1),
      fusionOut,
      ...options,
      '--fusion',
      '--no-fusion-shortcut',
      '--fusion-token-dropout',
      '0',
    ]);
    assert.equal(fusion.status, 0, fusion.stderr);
    const fusionConfig = JSON.parse(readFileSync(join(fusionOut, 'config.json'), 'utf8')) as typeof config;
    assert.deepEqual([fusionConfig.fusionShortcut, fusionConfig.fusionTokenDropout], [false, 0]);
  } finally {
    dispose();
  }
});

test('efficientecg train names a missing data folder', () => {
  const result = run([
    '--dataset',
    'cinc2017',
    '--data',
    '/nonexistent/cinc2017',
    '--model',
    'efficientecg-b0',
    '--out',
    '/tmp/x',
  ]);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /MissingFileError: \/nonexistent\/cinc2017: dataset folder not found \(--data\)/,
  );
});
