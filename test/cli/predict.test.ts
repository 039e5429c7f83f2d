/**
 * `efficientecg predict` and `efficientecg models` as a user runs them, with a bundled catalogue in a temporary
 * folder (--models-dir) holding a tiny untrained model as the CinC 2017 default: routing by leads,
 * worker threads, one bad file that does not stop the folder, JSON Lines and CSV output, the HTML report.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { csvHeader } from '../../src/infer/predict-output.js';
import { ecgResultSchema } from '../../src/infer/result.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

const cli = new URL('../../src/cli/index.ts', import.meta.url).pathname;
const fixtures = new URL('../fixtures/datasets/', import.meta.url).pathname;

function setup(): { dir: string; models: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-predict-'));
  const models = join(dir, 'models');
  mkdirSync(models);
  const checkpoint = devCheckpoint({
    leads: ['ECG'],
    labels: ['N', 'A', 'O', '~'],
    fs: 100,
    windowSamples: 300,
  });
  writeFileSync(join(models, 'dev-cinc.onnx'), exportCheckpoint(checkpoint, 'dev', 'dev-cinc'));
  writeFileSync(join(models, 'dev-cinc.md'), '# untrained test model\n');
  const entry = {
    name: 'dev-cinc',
    dataset: 'cinc2017',
    task: 'records',
    default: true,
    architecture: 'efficientecg-w0.25',
    classes: ['N', 'A', 'O', '~'],
    leads: ['ECG'],
    fs: 100,
    windowSeconds: 3,
    parameters: 1000,
    macs: null,
    validation: { metric: 'cinc2017_f1', value: 0.25 },
    files: { onnx: 'dev-cinc.onnx', card: 'dev-cinc.md' },
  };
  writeFileSync(
    join(models, 'catalog.json'),
    JSON.stringify({ format: 'efficientecg-models', version: 1, models: [entry] }),
  );
  const records = join(dir, 'records');
  mkdirSync(records);
  for (const name of ['A05493', 'A07615'])
    for (const ext of ['hea', 'mat'])
      copyFileSync(join(fixtures, 'cinc2017', `${name}.${ext}`), join(records, `${name}.${ext}`));
  copyFileSync(join(fixtures, 'cinc2017', 'REFERENCE.csv'), join(records, 'REFERENCE.csv'));
  writeFileSync(join(records, 'broken.hea'), 'broken 1 300 10\nbroken.dat 16 200 16 0 0 0 0 ECG\n');
  return { dir, models };
}

let dir = '';
let models = '';
before(() => ({ dir, models } = setup()));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, '--models-dir', models, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });

test('predict: a folder routed to the bundled default on 2 workers; a bad record reported, the rest predicted; report', () => {
  const report = join(dir, 'out', 'report.html');
  const result = run('predict', join(dir, 'records'), '--format', 'json', '--jobs', '2', '--report', report);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => (l.file as string).split('/').at(-1)),
    ['A05493.hea', 'A07615.hea', 'broken.hea'],
  );
  const [a, b, broken] = lines;
  for (const ok of [a!, b!]) {
    assert.equal(ok.ok, true);
    assert.equal(ok.model, 'dev-cinc');
    assert.equal(ok.untrained, true);
    assert.ok(ecgResultSchema.safeParse(ok).success, 'every line is an EcgResult');
    assert.equal((ok.classes as unknown[]).length, 4);
    assert.ok((ok.notices as string[]).some((n) => n.includes('resampled from 300 Hz')));
  }
  assert.equal(broken!.ok, false);
  assert.match(broken!.error as string, /broken\.dat/);
  assert.match(result.stderr, /2 record\(s\) predicted, 1 failed/);
  const html = readFileSync(report, 'utf8');
  assert.match(html, /A05493/);
  assert.match(html, /NOT a diagnosis/);
  assert.match(html, /<polyline class="tr"/, 'the trace on ECG paper');
  assert.match(html, /Files that could not be predicted/);
});

test('predict: one file, CSV to --out with a given model path; models --json lists the catalogue', async () => {
  const out = join(dir, 'out.csv');
  const model = join(dir, 'models', 'dev-cinc.onnx');
  const result = await runCli([
    'predict',
    join(dir, 'records', 'A05493.hea'),
    '--model',
    model,
    '--format',
    'csv',
    '--out',
    out,
    '--jobs',
    '0',
  ]);
  assert.equal(result.error, null);
  const rows = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows[0], csvHeader().trim());
  assert.ok(['p_N', 'p_A', 'p_O', 'p_~', 'p_NORM', 'p_CD'].every((c) => rows[0]!.split(',').includes(c)));
  assert.equal(rows.length, 2);
  assert.match(rows[1]!, /A05493,dev-cinc,records,true,/);
  const listed = await runCli(['--models-dir', join(dir, 'models'), 'models', '--json']);
  assert.equal(listed.error, null);
  const catalog = JSON.parse(listed.stdout) as {
    models: Array<{
      name: string;
      default: boolean;
      paths: { onnx: string };
      present: { onnx: boolean; checkpoint: null };
    }>;
  };
  assert.equal(catalog.models[0]!.name, 'dev-cinc');
  assert.equal(catalog.models[0]!.paths.onnx, model);
  assert.deepEqual(catalog.models[0]!.present, { onnx: true, checkpoint: null, card: true });
});

const customFixtures = new URL('../fixtures/custom/', import.meta.url).pathname;
const multiSegment = new URL('../fixtures/wfdb-multiseg/', import.meta.url).pathname;

/** Records among the files a real folder holds: label tables, notes, an index, annotations, corrupt records. */
function mixedFolder(): string {
  const folder = join(dir, 'mixed');
  mkdirSync(folder);
  for (const ext of ['hea', 'mat'])
    copyFileSync(join(fixtures, 'cinc2017', `A05493.${ext}`), join(folder, `A05493.${ext}`));
  copyFileSync(join(fixtures, 'cinc2017', 'REFERENCE.csv'), join(folder, 'REFERENCE.csv'));
  copyFileSync(join(fixtures, 'cinc2017', 'RECORDS'), join(folder, 'RECORDS'));
  copyFileSync(join(fixtures, 'mitdb', '101.atr'), join(folder, 'A05493.atr'));
  copyFileSync(join(customFixtures, 'records', 'r01.csv'), join(folder, 'r01.csv'));
  copyFileSync(join(customFixtures, 'labels.csv'), join(folder, 'labels.csv'));
  copyFileSync(join(customFixtures, 'classes.txt'), join(folder, 'classes.txt'));
  writeFileSync(join(folder, 'README.md'), '# my ECGs\n');
  writeFileSync(join(folder, 'bad.csv'), 'time,ECG\n0,0.1\n0.01,x\n');
  writeFileSync(join(folder, 'junk.mat'), 'not a MAT-file at all');
  writeFileSync(join(folder, 'broken.hea'), 'broken 1 300 10\nbroken.dat 16 200 16 0 0 0 0 ECG\n');
  // A multi-segment record: its segment and layout headers are parts of it, not records.
  mkdirSync(join(folder, 'ms'));
  for (const name of readdirSync(multiSegment).filter((n) => /\.(hea|dat)$/.test(n)))
    copyFileSync(join(multiSegment, name), join(folder, 'ms', name));
  return folder;
}

test('predict: a folder yields only its records; other files are skipped and counted once, corrupt records fail', async () => {
  const folder = mixedFolder();
  const result = await runCli([
    '--models-dir',
    models,
    'predict',
    folder,
    '--model',
    join(models, 'dev-cinc.onnx'),
    '--format',
    'json',
    '--jobs',
    '0',
  ]);
  assert.equal(result.error, null);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; ok: boolean; error?: string });
  const byName = new Map(lines.map((line) => [line.file.split('/').at(-1)!, line]));
  // A folder's records (sorted), then its sub-folders' (ms/ms.hea): the walk streams one folder at a time.
  assert.deepEqual(
    [...byName.keys()],
    ['A05493.hea', 'bad.csv', 'broken.hea', 'junk.mat', 'r01.csv', 'ms.hea'],
  );
  // Read as one record of the layout's leads (the 1-lead test model then refuses it).
  assert.match(byName.get('ms.hea')!.error!, /record leads \[II, V\]/);
  for (const name of ['A05493.hea', 'r01.csv'])
    assert.equal(byName.get(name)!.ok, true, byName.get(name)!.error);
  assert.match(byName.get('bad.csv')!.error!, /^FormatError: .*bad\.csv: line 3, column 2 \('ECG'\): "x"/);
  assert.match(byName.get('broken.hea')!.error!, /^MissingFileError: .*broken\.dat/);
  assert.match(byName.get('junk.mat')!.error!, /^FormatError: .*junk\.mat/);
  const summary = result.stderr.split('\n').filter((line) => /record\(s\) predicted/.test(line));
  assert.equal(summary.length, 1);
  assert.match(
    summary[0]!,
    /, 4 failed, 5 non-record file\(s\) skipped \(README\.md, RECORDS, REFERENCE\.csv, \.\.\.\)$/,
  );
  assert.doesNotMatch(result.stderr, /labels\.csv|classes\.txt|A05493\.atr/);
});
