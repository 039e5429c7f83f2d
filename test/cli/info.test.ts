/** The CLI entry: --version, --help and `info` (engine status) as a user runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const cli = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const result = run('--version');
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), version);
});

test('`npx efficientecg` runs the built CLI, as the README says (the build marks the bin executable)', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const result = spawnSync('npx', ['--no-install', 'efficientecg', '--version'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(
    result.status,
    0,
    `npx efficientecg --version failed (run npm run build first): ${result.stderr}`,
  );
  assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('--help lists the commands', () => {
  const result = run('--help');
  assert.equal(result.status, 0, result.stderr);
  for (const command of ['info', 'inspect', 'download', 'datasets', 'features']) {
    assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `missing ${command}`);
  }
});

test('info --json reports libtorch, threads and oneDNN', () => {
  const result = run('info', '--json');
  assert.equal(result.status, 0, result.stderr);
  const status = JSON.parse(result.stdout) as {
    available: boolean;
    libtorchVersion: string;
    threads: number;
    mkldnn: boolean;
  };
  assert.equal(status.available, true);
  assert.match(status.libtorchVersion, /^1\.13/);
  assert.ok(status.threads >= 1);
  assert.equal(status.mkldnn, true);
});

test('an unknown command is an error with a hint, not a crash', () => {
  const result = run('trian');
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /unknown command 'trian'/);
});
