/**
 * `predict`'s per-file errors in the words of what the user did: a path that is nothing at all says so (before:
 * "nonexist/: ERROR MissingFileError: nonexist/.hea: file not found", the header a path without extension would
 * have), and a record with more leads than a one-lead model names the way out, --lead (the library's and the
 * server's message stays without the CLI's option).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectLeads } from '../../src/infer/prepare.js';
import { runCli } from '../infer/cli-harness.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const twelveLead = fileURLToPath(new URL('../fixtures/wfdb/1.hea', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-predict-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = ['--model', 'cinc2017-w0.25', '--jobs', '0'];

test('a path that does not exist: "no such file or folder: PATH", in the table and in JSON; the rest answered', async () => {
  const missing = join(dir, 'nonexist/');
  const table = await runCli(['predict', missing, join(cinc, 'A05493.hea'), ...MODEL]);
  assert.equal(table.error, null, table.stderr);
  assert.match(table.stdout, new RegExp(`: ERROR MissingFileError: no such file or folder: ${missing}\n`));
  assert.doesNotMatch(table.stdout, /\.hea: file not found/);
  const json = await runCli(['predict', missing, join(cinc, 'A05493.hea'), ...MODEL, '--format', 'json']);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { ok: boolean; error?: string });
  assert.deepEqual(
    lines.map((line) => [line.ok, line.error]),
    [
      [false, `MissingFileError: no such file or folder: ${missing}`],
      [true, undefined],
    ],
  );
  assert.match(json.stderr, /failures by type: MissingFileError 1\n/);
});

test('a 12-lead record for a one-lead model: the error says to pass --lead', async () => {
  // With a record it can read: a batch that fails throughout sets the (test) process's exit status.
  const run = await runCli(['predict', twelveLead, join(cinc, 'A05493.hea'), ...MODEL, '--format', 'json']);
  const [line] = run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ok: boolean; error?: string });
  assert.equal(line!.ok, false);
  assert.match(
    line!.error!,
    /^ConfigError: record 1 has 12 lead\(s\) but the model expects 1: .*; pass --lead NAME\|INDEX to choose one$/,
  );
  // The library's own message (the server's too) does not name a CLI option.
  assert.throws(
    () => selectLeads(['I', 'II'], ['ECG']),
    (e: Error) => /but the model expects 1/.test(e.message) && !/--lead/.test(e.message),
  );
});
