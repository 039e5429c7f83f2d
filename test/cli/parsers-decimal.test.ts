/**
 * Option numbers are plain decimals: Number() would take 0x10, 0b11, 0o17 and 1e21 as numbers, and unsafe integers
 * as their nearest double. Seeds of the 32-bit PRNG (src/util/random.ts) are refused outside 0 .. 2^32 - 1 rather
 * than silently aliased to another seed's stream.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  finiteNumber,
  integerIn,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  wholeNumber,
} from '../../src/cli/parsers.js';
import { seededRandom } from '../../src/util/random.js';

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
