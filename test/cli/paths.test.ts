/**
 * Paths that options name are checked before any work: an output that is an input (predict would overwrite the
 * record), a file where a folder goes (--data, --out, --dest, the datasets folder), a folder where a file goes
 * (--report, --from-list); each is a typed error naming the option and the path, never a system error's stack.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { fileExists } from '../../src/datasets/files.js';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { runCli } from '../infer/cli-harness.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-cli-paths-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'plain.txt');
writeFileSync(file, 'not a folder\n');
const folder = join(dir, 'folder');
mkdirSync(folder);

/** Runs the CLI and expects a typed error of `type` whose message matches `pattern`. */
async function refused(
  args: string[],
  type: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<void> {
  const { error } = await runCli(args);
  assert.ok(error instanceof type, `${args.join(' ')}: ${error?.stack ?? 'no error'}`);
  assert.match(error.message, pattern);
}

test('predict: --out or --report naming an input (as given, through a symlink, or the --from-list file) is refused; the input is intact', async () => {
  const record = join(dir, 'r01.csv');
  writeFileSync(record, 'time,I\n0,0.1\n');
  symlinkSync(record, join(dir, 'link.csv'));
  const hea = join(dir, 'A05493.hea');
  copyFileSync(join(cinc, 'A05493.hea'), hea);
  const list = join(dir, 'list.txt');
  writeFileSync(list, `${record}\n`);
  const base = ['predict', '--model', 'cinc2017-w0.25', '--jobs', '0'];
  await refused(
    [...base, record, '--out', record],
    ConfigError,
    /^--out .*r01\.csv: is the input .*r01\.csv/,
  );
  await refused(
    [...base, record, '--out', join(dir, 'link.csv')],
    ConfigError,
    /^--out .*link\.csv: is the input/,
  );
  await refused(
    [...base, join(dir, 'A05493'), '--out', hea],
    ConfigError,
    /^--out .*A05493\.hea: is the input/,
  );
  await refused(
    [...base, '--from-list', list, '--out', list],
    ConfigError,
    /^--out .*list\.txt: is the input/,
  );
  await refused([...base, record, '--report', record], ConfigError, /^--report .*r01\.csv: is the input/);
  assert.equal(readFileSync(record, 'utf8'), 'time,I\n0,0.1\n');
  assert.equal(readFileSync(list, 'utf8'), `${record}\n`);
  assert.equal(readFileSync(hea, 'utf8'), readFileSync(join(cinc, 'A05493.hea'), 'utf8'));
});

test('predict: --report or --out that is a folder, and --from-list that is a folder, are refused before predicting', async () => {
  const base = ['predict', join(cinc, 'A05493.hea'), '--model', 'cinc2017-w0.25', '--jobs', '0'];
  await refused([...base, '--report', folder], ConfigError, /^--report .*folder: is a folder/);
  await refused([...base, '--out', folder], ConfigError, /^--out .*folder: is a folder/);
  await refused(
    ['predict', '--from-list', folder, '--model', 'cinc2017-w0.25'],
    ConfigError,
    /^--from-list .*folder: not a file/,
  );
});

test('a file as the dataset folder: datasets, evaluate, train and cv name the option and the path', async () => {
  const records = join(cinc, 'RECORDS');
  assert.equal(await fileExists(join(records, 'REFERENCE-v3.csv')), false); // ENOTDIR is "not there"
  await refused(['datasets', 'cinc2017', records], ConfigError, /^<dir> .*RECORDS: not a folder/);
  await refused(
    ['datasets', 'cinc2017', join(file, 'sub')],
    MissingFileError,
    /plain\.txt.sub: dataset folder not found/,
  );
  const evaluate = ['evaluate', '--model', 'x.onnx', '--dataset', 'cinc2017'];
  await refused([...evaluate, '--data', records], ConfigError, /^--data .*RECORDS: not a folder/);
  for (const command of [['train'], ['cv', '--folds', '2']]) {
    const run = [...command, '--dataset', 'cinc2017', '--model', 'efficientecg-w0.25'];
    await refused(
      [...run, '--data', records, '--out', join(dir, 'run')],
      ConfigError,
      /^--data .*RECORDS: not a folder/,
    );
    await refused(
      [...run, '--data', cinc, '--out', file],
      ConfigError,
      /^--out .*plain\.txt: exists and is not a folder/,
    );
  }
});

test('train: --fusion-* flags without --fusion are refused, unless --config sets fusion', async () => {
  const run = [
    'train',
    '--dataset',
    'cinc2017',
    '--model',
    'efficientecg-w0.25',
    '--data',
    join(dir, 'missing'),
    '--out',
    join(dir, 'run'),
  ];
  await refused(
    [...run, '--fusion-tokens', 'age,sex,rhythm'],
    ConfigError,
    /^--fusion-tokens needs --fusion$/,
  );
  await refused(
    [...run, '--fusion-design', 'concat', '--no-fusion-shortcut'],
    ConfigError,
    /^--fusion-design, --no-fusion-shortcut need --fusion$/,
  );
  await refused(
    [...run, '--fusion-token-dropout', '0.2'],
    ConfigError,
    /^--fusion-token-dropout needs --fusion$/,
  );
  const config = join(dir, 'fusion.json');
  writeFileSync(config, JSON.stringify({ fusion: true }));
  // With fusion from the file the flags are accepted: the next check (the missing --data) is the one that fails.
  await refused(
    [...run, '--config', config, '--fusion-tokens', 'age'],
    MissingFileError,
    /dataset folder not found/,
  );
});

test('download: --dest that is a file and a --mirror that is no http(s) URL are refused before any fetch', async () => {
  await refused(
    ['download', 'cinc2017', '--dest', file],
    ConfigError,
    /^--dest .*plain\.txt: exists and is not a folder/,
  );
  for (const mirror of ['abc', 'ftp://example.org/x']) {
    const error = await parse(['download', 'cinc2017', '--dest', folder, '--mirror', mirror]);
    assert.ok(error instanceof CommanderError, mirror);
    assert.match(error.message, /--mirror <url>.*expected an http:\/\/ or https:\/\/ URL/);
  }
});

/** Parses with every command's exit overridden (an argument error must not exit the test process). */
async function parse(args: string[]): Promise<unknown> {
  const program = await buildProgram();
  for (const command of [program, ...program.commands])
    command.exitOverride().configureOutput({ writeErr: () => {} });
  return program.parseAsync(args, { from: 'user' }).then(
    () => null,
    (error: unknown) => error,
  );
}

test('inspect and features: --fs must be a positive number; inspect of a folder where every record fails exits 1', async () => {
  for (const command of ['inspect', 'features'])
    for (const fs of ['0', '-5', 'abc']) {
      const error = await parse([command, join(cinc, 'A05493.hea'), '--fs', fs]);
      assert.ok(error instanceof CommanderError, `${command} --fs ${fs}`);
      assert.match(error.message, /--fs <hz>.*expected a positive number/);
    }
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'x.hea'), 'not a header\n');
  const write = process.stdout.write;
  process.stdout.write = () => true; // inspect prints to stdout, which belongs to the test reporter here
  try {
    assert.equal(await parse(['inspect', broken]), null);
    assert.equal(process.exitCode, 1);
  } finally {
    process.stdout.write = write;
    process.exitCode = 0;
  }
});
