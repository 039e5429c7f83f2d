/**
 * Batch prediction (src/infer/batch.ts through `efficientecg predict --from-list --out`): a run killed with SIGKILL
 * part-way and then `--resume`d gives exactly the lines of an uninterrupted run (no duplicate, no gap, no torn
 * line); a torn last line is dropped on resume; a list that does not match the output is refused. Uses the bundled
 * CinC 2017 model on the CinC 2017 fixture records (listed several times: each listing is one line); a glob's
 * matches stream in sorted order and resume the same way.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-harness.js';
import { csvLineFile, errorType, jsonLineFile } from '../../src/infer/batch.js';
import { ConfigError } from '../../src/errors.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const records = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 3 records x 6 listings, a missing file in the middle, a comment and a blank line. */
const list = join(dir, 'list.txt');
const entries = Array.from({ length: 6 }, () =>
  ['A05493', 'A07615', 'A08050'].map((name) => join(records, `${name}.hea`)),
).flat();
entries.splice(9, 0, join(dir, 'missing.hea'));
writeFileSync(list, `# records\n${entries.slice(0, 5).join('\n')}\n\n${entries.slice(5).join('\n')}\n`);

const predict = (out: string, ...extra: string[]) =>
  runCli([
    'predict',
    '--model',
    'cinc2017-w0.25',
    '--from-list',
    list,
    '--out',
    out,
    '--jobs',
    '1',
    ...extra,
  ]);

const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);

let reference: string[] = [];

test('an uninterrupted run: one line per listed entry, in list order; the failure is a line with its error', async () => {
  const out = join(dir, 'reference.jsonl');
  const run = await predict(out);
  assert.equal(run.error, null, run.stderr);
  reference = linesOf(out);
  assert.deepEqual(reference.map(jsonLineFile), entries);
  const missing = JSON.parse(reference[9]!) as { ok: boolean; error: string };
  assert.equal(missing.ok, false);
  assert.match(missing.error, /^MissingFileError: .*missing\.hea/);
  assert.match(run.stderr, /18 record\(s\) predicted, 1 failed/);
  assert.match(run.stderr, /failures by type: MissingFileError 1/);
});

test('killed part-way (SIGKILL), then --resume: the same lines as the uninterrupted run', async () => {
  const out = join(dir, 'killed.jsonl');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      'predict',
      '--model',
      'cinc2017-w0.25',
      '--from-list',
      list,
      '--out',
      out,
      '--jobs',
      '1',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Kill as soon as some lines (not all) are written.
  while (!(statSync(out, { throwIfNoEntry: false })?.size ?? 0 > 0) || linesOf(out).length < 4)
    await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill('SIGKILL');
  await exited;
  const before = readFileSync(out, 'utf8');
  const written = linesOf(out).length;
  assert.ok(written >= 4 && written < entries.length, `killed after ${written} lines`);
  assert.ok(before.endsWith('\n'), 'no torn line');

  const resumed = await predict(out, '--resume');
  assert.equal(resumed.error, null, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${written} already in .*killed\\.jsonl \\(--resume\\)`));
  assert.deepEqual(linesOf(out), reference);
});

test('--resume drops a torn last line and predicts that entry again', async () => {
  const out = join(dir, 'torn.jsonl');
  writeFileSync(out, `${reference.slice(0, 3).join('\n')}\n`);
  appendFileSync(out, reference[3]!.slice(0, 40)); // a write cut short
  const resumed = await predict(out, '--resume');
  assert.equal(resumed.error, null, resumed.stderr);
  assert.deepEqual(linesOf(out), reference);
});

test('--resume refuses an output that is not a prefix of the inputs', async () => {
  const out = join(dir, 'other.jsonl');
  writeFileSync(out, `${[reference[1], reference[0]].join('\n')}\n`);
  const resumed = await predict(out, '--resume');
  assert.ok(resumed.error instanceof ConfigError, String(resumed.error));
  assert.match(resumed.error.message, /line 1 is .*A07615\.hea, but entry 1 of the inputs is .*A05493\.hea/);
});

test('CSV output resumes too (the file is the first cell, quoted or not)', async () => {
  const out = join(dir, 'reference.csv');
  const full = await predict(out);
  assert.equal(full.error, null, full.stderr);
  const complete = linesOf(out);
  writeFileSync(out, `${complete.slice(0, 6).join('\n')}\n`);
  const resumed = await predict(out, '--resume');
  assert.equal(resumed.error, null, resumed.stderr);
  assert.deepEqual(linesOf(out), complete);
  assert.deepEqual(complete.slice(1).map(csvLineFile), entries);
});

test('a glob streams into --out in sorted path order, and --resume continues it after a torn line', async () => {
  // The 3 fixture records linked into 3 folders: 9 records under one ** glob.
  const tree = join(dir, 'tree');
  for (const folder of ['p2', 'p1', 'p1/deeper']) {
    mkdirSync(join(tree, folder), { recursive: true });
    for (const name of ['A05493', 'A07615', 'A08050'])
      for (const ext of ['hea', 'mat'])
        symlinkSync(join(records, `${name}.${ext}`), join(tree, folder, `${name}.${ext}`));
  }
  const globbed = (out: string, ...extra: string[]) =>
    runCli([
      'predict',
      '--model',
      'cinc2017-w0.25',
      join(tree, '**/*.hea'),
      '--out',
      out,
      '--jobs',
      '1',
      ...extra,
    ]);
  const out = join(dir, 'glob.jsonl');
  const full = await globbed(out);
  assert.equal(full.error, null, full.stderr);
  const complete = linesOf(out);
  const files = complete.map(jsonLineFile);
  assert.equal(files.length, 9);
  assert.deepEqual(files, [...files].sort());
  writeFileSync(out, `${complete.slice(0, 4).join('\n')}\n${complete[4]!.slice(0, 30)}`);
  const resumed = await globbed(out, '--resume');
  assert.equal(resumed.error, null, resumed.stderr);
  assert.match(resumed.stderr, /5 record\(s\) predicted, 0 failed, 4 already in/);
  assert.deepEqual(linesOf(out), complete);
});

test('line helpers: the file of JSON and CSV lines; error types', () => {
  assert.equal(jsonLineFile('{"file":"a b.hea","ok":true}'), 'a b.hea');
  assert.equal(csvLineFile('plain.hea,x,y'), 'plain.hea');
  assert.equal(csvLineFile('"with, comma ""q"".hea",x'), 'with, comma "q".hea');
  assert.throws(() => csvLineFile('"open,'));
  assert.equal(errorType('FormatError: a.hea: bad'), 'FormatError');
  assert.equal(errorType('WorkerError: worker thread exited (code 1)'), 'WorkerError');
  assert.equal(errorType('something odd'), 'Error');
});
