/**
 * `efficientecg predict` on the inputs of issue 14's smaller items, with the bundled CinC 2017 model on committed
 * fixtures: stdout closed early (`| head -1`) ends quietly with success; `--lead` reads the named lead (checked
 * against the same lead written alone to a CSV) and names the file and the lead when it is missing; a record path
 * without extension reads as its header; a missing file among the inputs is one failed line, the others answered.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRecord } from '../../src/io/read.js';
import { runCli } from '../infer/cli-harness.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const wfdb = fileURLToPath(new URL('../fixtures/wfdb/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-predict-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = ['--model', 'cinc2017-w0.25', '--format', 'json', '--jobs', '0'];
const records = ['A05493', 'A07615', 'A08050', 'A05493', 'A07615'].map((name) => join(cinc, `${name}.hea`));

interface Line {
  ok: boolean;
  file: string;
  error?: string;
  classes?: Array<{ label: string; probability: number }>;
  notices?: string[];
}

async function predictLines(...args: string[]): Promise<{ lines: Line[]; stderr: string }> {
  const run = await runCli(['predict', ...args, ...MODEL]);
  assert.equal(run.error, null, run.stderr);
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
  return { lines, stderr: run.stderr };
}

const NO_TRACE = /EPIPE|Unhandled|^\s+at /m;

test('predict | head -1: one line out, exit status 0, no EPIPE stack trace', () => {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--import', 'tsx', cli, 'predict', ...records, ...MODEL]
    .map(quote)
    .join(' ');
  const run = spawnSync('bash', ['-c', `${command} | head -1; echo "predict exit \${PIPESTATUS[0]}" >&2`], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(run.stdout.trim().split('\n').length, 1);
  assert.equal((JSON.parse(run.stdout) as Line).ok, true);
  assert.match(run.stderr, /predict exit 0\n/);
  assert.doesNotMatch(run.stderr, NO_TRACE);
});

test('predict into a pipe already closed by its reader: the first write fails with EPIPE, exit 0, no trace', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'predict', ...records, ...MODEL], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // the reader is gone before predict writes anything
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  assert.deepEqual([code, signal], [0, null], stderr);
  assert.doesNotMatch(stderr, NO_TRACE);
});

test('--lead NAME and --lead INDEX read that lead alone: the same answer as the lead written alone to a CSV', async () => {
  const record = await readRecord(join(wfdb, '208x.hea'));
  assert.deepEqual(record.leads, ['MLII', 'V1']);
  const csv = join(dir, '208x-v1.csv');
  writeFileSync(csv, `ECG\n${Array.from(record.signals[1]!, String).join('\n')}\n`);
  const [byName] = (await predictLines(join(wfdb, '208x.hea'), '--lead', 'V1')).lines;
  const [alone] = (await predictLines(csv, '--fs', '360')).lines;
  assert.ok(byName!.ok && alone!.ok, JSON.stringify([byName, alone]));
  assert.deepEqual(byName!.classes, alone!.classes);
  assert.ok(byName!.notices!.some((n) => n.startsWith("lead V1 read as the model's ECG lead")));
  const { lines: byIndex } = await predictLines(join(wfdb, '208x.hea'), '--lead', '1');
  assert.deepEqual(byIndex[0]!.classes, byName!.classes);
  const { lines: other } = await predictLines(join(wfdb, '208x.hea'), '--lead', 'mlii');
  assert.ok(other[0]!.notices!.some((n) => n.startsWith('lead MLII read as')));
  assert.notDeepEqual(other[0]!.classes, byName!.classes, 'another lead gives another answer');
});

test('--lead naming a lead a record lacks: a ConfigError naming the file and the lead; the other record answered', async () => {
  const { lines, stderr } = await predictLines(
    join(cinc, 'A05493.hea'),
    join(wfdb, '208x.hea'),
    '--lead',
    'V1',
  );
  assert.deepEqual(
    lines.map((line) => [line.ok, line.error]),
    [
      [false, `ConfigError: --lead V1: ${join(cinc, 'A05493.hea')} has no such lead (its leads: ECG)`],
      [true, undefined],
    ],
  );
  assert.match(stderr, /1 record\(s\) predicted, 1 failed\nfailures by type: ConfigError 1\n/);
});

test('a record path without extension reads as its header; a missing one fails alone, the others are answered', async () => {
  const { lines, stderr } = await predictLines(
    join(cinc, 'A05493'),
    join(cinc, 'missing'),
    join(cinc, 'A05493.hea'),
  );
  assert.deepEqual(
    lines.map((line) => [line.file, line.ok]),
    [
      [join(cinc, 'A05493'), true],
      [join(cinc, 'missing'), false],
      [join(cinc, 'A05493.hea'), true],
    ],
  );
  assert.deepEqual(lines[0]!.classes, lines[2]!.classes);
  assert.equal(lines[1]!.error, `MissingFileError: no such file or folder: ${join(cinc, 'missing')}`);
  assert.match(stderr, /2 record\(s\) predicted, 1 failed\nfailures by type: MissingFileError 1\n/);
});
