/**
 * Option values are refused by the option parsers (src/cli/parsers.ts) before any work, with the option named; a
 * training-config range error names the flag that set the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CommanderError, InvalidArgumentError } from 'commander';
import {
  finiteNumber,
  integerIn,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  wholeNumber,
} from '../../src/cli/parsers.js';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { seededRandom } from '../../src/util/random.js';
import { runCli } from '../infer/cli-harness.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));

test('parsers: a blank or padded-blank value is no number (Number("") is 0)', () => {
  for (const parse of [finiteNumber, nonNegativeNumber, wholeNumber, integerIn(0, 5)])
    for (const blank of ['', ' ', '\t'])
      assert.throws(() => parse(blank), InvalidArgumentError, `${parse.name} ${JSON.stringify(blank)}`);
  assert.equal(finiteNumber(' 2.5 '), 2.5);
  assert.equal(nonNegativeNumber('0'), 0);
});

test('parsers: ranges and integer-ness', () => {
  assert.equal(wholeNumber('0'), 0);
  assert.throws(() => wholeNumber('-1'), /expected a whole number >= 0/);
  assert.throws(() => wholeNumber('1.5'), /expected a whole number >= 0/);
  assert.throws(() => positiveInteger('0'), /expected a whole number >= 1/);
  assert.equal(integerIn(0, 64)('64'), 64);
  assert.throws(() => integerIn(0, 64)('65'), /expected a whole number from 0 to 64/);
  assert.throws(() => positiveNumber('0'), /expected a positive number/);
  assert.throws(() => positiveNumber('Infinity'), /expected a positive number/);
  assert.throws(() => nonNegativeNumber('-0.1'), /expected a number >= 0/);
  assert.throws(() => finiteNumber('abc'), /expected a number/);
});

/** The CommanderError of a refused option value. */
async function optionRefused(args: string[], pattern: RegExp): Promise<void> {
  const { error } = await runCli(args);
  assert.ok(error instanceof CommanderError, `${args.join(' ')}: ${error?.stack ?? 'no error'}`);
  assert.match(error.message, pattern);
}

test('CLI: bad numbers are refused with the option named, before any work', async () => {
  const train = [
    'train',
    '--dataset',
    'cinc2017',
    '--data',
    cinc,
    '--model',
    'efficientecg-w0.25',
    '--out',
    '/nonexistent/run',
  ];
  await optionRefused([...train, '--grad-clip', ''], /--grad-clip <norm>.*expected a number >= 0/);
  await optionRefused([...train, '--threads', '0'], /--threads <n>.*expected a whole number >= 1/);
  await optionRefused([...train, '--epochs', '2.5'], /--epochs <n>.*expected a whole number >= 1/);
  await optionRefused([...train, '--workers', '-1'], /--workers <n>.*expected a whole number >= 0/);
  const evaluate = ['evaluate', '--model', 'cinc2017-w0.25', '--dataset', 'cinc2017', '--data', cinc];
  await optionRefused([...evaluate, '--threads', '0'], /--threads <n>.*expected a whole number >= 1/);
  await optionRefused(
    [...evaluate, '--resamples', '1'],
    /--resamples <n>.*expected 0 \(no intervals\) or at least 20/,
  );
  await optionRefused(
    ['predict', cinc, '--jobs', '1000'],
    /--jobs <n>.*expected a whole number from 0 to 64/,
  );
  await optionRefused(['serve', '--port', '70000'], /--port <n>.*expected a whole number from 0 to 65535/);
  await optionRefused(['cv', ...train.slice(1), '--folds', '1'], /--folds <k>.*expected a whole number >= 2/);
});

test('CLI: a training-config range error names the flag and the config key', async () => {
  const base = ['train', '--dataset', 'cinc2017', '--data', cinc, '--out', '/nonexistent/run'];
  const { error } = await runCli([
    ...base,
    '--model',
    'efficientecg-w0.25',
    '--batch-size',
    '1',
    '--ema',
    '2',
  ]);
  assert.ok(error instanceof ConfigError, error?.stack);
  assert.match(error.message, /--batch-size \(batchSize\): Too small/);
  assert.match(error.message, /--ema \(ema\): Too big/);
  const missing = await runCli(base);
  assert.match(missing.error?.message ?? '', /--model \(model\): /);
});

test('serve: a mistyped --examples folder is refused (the bundled default may be absent)', async () => {
  const { error } = await runCli(['serve', '--examples', '/nonexistent/examples', '--port', '0']);
  assert.ok(error instanceof MissingFileError, error?.stack);
  assert.match(error.message, /\/nonexistent\/examples: examples folder not found \(--examples\)/);
});

// Option numbers are plain decimals, and seeds of the 32-bit PRNG are never aliased:
// Option numbers are plain decimals: Number() would take 0x10, 0b11, 0o17 and 1e21 as numbers, and unsafe integers
// as their nearest double. Seeds of the 32-bit PRNG (src/util/random.ts) are refused outside 0 .. 2^32 - 1 rather
// than silently aliased to another seed's stream.
test('parsers: hexadecimal, binary, octal, exponents and unsafe integers are no whole numbers', () => {
  for (const parse of [wholeNumber, positiveInteger, integerIn(0, 65535)])
    for (const value of [
      '0x10',
      '0b11',
      '0o17',
      '1e3',
      '1e21',
      '9007199254740993',
      '1.0',
      '1_000',
      'Infinity',
    ])
      assert.throws(() => parse(value), InvalidArgumentError, `${parse.name} ${value}`);
  assert.equal(wholeNumber(' 7 '), 7);
  assert.equal(wholeNumber('+12'), 12);
  assert.equal(wholeNumber('9007199254740991'), Number.MAX_SAFE_INTEGER);
  assert.ok(Object.is(wholeNumber('-0'), 0));
  assert.equal(integerIn(0, 65535)('8080'), 8080);
});

test('parsers: numbers are decimals with an optional fraction and exponent, nothing else', () => {
  for (const parse of [finiteNumber, positiveNumber, nonNegativeNumber])
    for (const value of ['0x10', '0b11', '0o17', '1e', '.', '1..2', 'Infinity', '1,5'])
      assert.throws(() => parse(value), InvalidArgumentError, `${parse.name} ${value}`);
  assert.equal(finiteNumber('-2.5'), -2.5);
  assert.equal(positiveNumber('1e-3'), 0.001);
  assert.equal(positiveNumber('.5'), 0.5);
  assert.equal(positiveNumber('3.'), 3);
  assert.equal(nonNegativeNumber('2E+2'), 200);
});

test('seededRandom refuses seeds it would alias (2^32 is seed 0), and keeps the streams of the others', () => {
  for (const seed of [2 ** 32, -1, 1.5, Number.NaN])
    assert.throws(() => seededRandom(seed), /seed must be a whole number from 0 to 4294967295/, String(seed));
  // The first draws of in-range seeds, as before the check.
  const draws = (seed: number) => {
    const random = seededRandom(seed);
    return [random(), random(), random()];
  };
  assert.deepEqual(draws(0), [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  assert.deepEqual(draws(2017), [0.7723170195240527, 0.013697635615244508, 0.9046762897633016]);
  assert.deepEqual(draws(2 ** 32 - 1), [0.8964226141106337, 0.189478256739676, 0.7156526781618595]);
});
