/**
 * `efficientecg predict` when things outside the records fail: a model that cannot load fails each record with a
 * typed error naming the model file, and the run still prints its summary and exits promptly with code 1 (it used
 * to hang on worker threads, or lose the summary with --jobs 0); an --out that cannot be opened or written is a
 * typed error naming it (a directory; a full disk, through /dev/full).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DiskFullError } from '../../src/errors.js';
import { PredictorCache } from '../../src/infer/predict-file.js';
import { runCli } from './cli-harness.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const records = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const goodModel = fileURLToPath(new URL('../../models/cinc2017-w0.25.onnx', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-batch-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const badModel = join(dir, 'bad.onnx');
writeFileSync(badModel, 'x\n');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI in its own process (a thread left running would keep it alive), killed after `timeout` ms. */
function runProcess(args: string[], timeout: number): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { timeout });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

for (const jobs of ['0', '1']) {
  test(`a model that cannot load (--jobs ${jobs}): each record fails naming it, summary, exit code 1`, async () => {
    const files = ['A05493.hea', 'A07615.hea'].map((name) => join(records, name));
    const run = await runProcess(
      ['predict', '--model', badModel, '--format', 'json', '--jobs', jobs, ...files],
      60_000,
    );
    assert.equal(run.signal, null, `still running after 60 s: ${run.stderr}`);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ok: boolean; file: string; error: string });
    assert.deepEqual(
      lines.map((line) => [line.ok, line.file]),
      files.map((file) => [false, file]),
    );
    for (const line of lines) assert.ok(line.error.startsWith(`ConfigError: ${badModel}:`), line.error);
    assert.match(run.stderr, /0 record\(s\) predicted, 2 failed/);
    assert.match(run.stderr, /failures by type: ConfigError 2/);
    assert.doesNotMatch(run.stderr, /efficientecg: /, 'no error escapes the batch');
    assert.equal(run.code, 1);
  });
}

test('PredictorCache.close releases the models that loaded and does not reject for one that failed', async () => {
  const cache = new PredictorCache();
  const good = await cache.get({ name: 'good', path: goodModel, leads: ['ECG'] });
  let released = 0;
  const release = good.release.bind(good);
  good.release = () => (released++, release());
  await assert.rejects(cache.get({ name: 'bad', path: badModel, leads: ['ECG'] }), ConfigError);
  await cache.close();
  assert.equal(released, 1);
});

test('--out naming a directory is a ConfigError naming it', async () => {
  const out = join(dir, 'a-directory');
  mkdirSync(out);
  for (const resume of [[], ['--resume']]) {
    const run = await runCli([
      'predict',
      '--model',
      'cinc2017-w0.25',
      '--format',
      'json',
      '--out',
      out,
      '--jobs',
      '0',
      ...resume,
      join(records, 'A05493.hea'),
    ]);
    assert.ok(run.error instanceof ConfigError, String(run.error?.stack));
    // The CLI refuses it before predicting (src/cli/paths.ts); runBatch's own check stays for library callers.
    assert.equal(run.error.message, `--out ${out}: is a folder, expected a file`);
  }
});

test(
  '--out on a full disk (/dev/full) is a DiskFullError naming it',
  { skip: !existsSync('/dev/full') },
  async () => {
    const run = await runCli([
      'predict',
      '--model',
      'cinc2017-w0.25',
      '--format',
      'json',
      '--out',
      '/dev/full',
      '--jobs',
      '0',
      join(records, 'A05493.hea'),
    ]);
    assert.ok(run.error instanceof DiskFullError, String(run.error?.stack));
    assert.equal(run.error.path, '/dev/full');
    assert.match(run.error.message, /the disk is full \(ENOSPC\).*continue with --resume/);
  },
);
