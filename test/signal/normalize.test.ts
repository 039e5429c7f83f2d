import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadStats, standardize, standardizeRecord } from '../../src/signal/index.js';
import type { EcgRecord } from '../../src/io/record.js';

test('z-score: mean 0 and population std 1, values as numpy ((x - x.mean()) / x.std())', () => {
  // numpy: x = [1, 2, 3, 4, 10]; mean 4, std sqrt(10) = 3.1622776601683795
  const z = standardize([1, 2, 3, 4, 10]);
  const expected = [-0.9486832980505138, -0.6324555320336759, -0.31622776601683794, 0, 1.8973665961010275];
  z.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6));
  assert.deepEqual(leadStats([1, 2, 3, 4, 10]), { mean: 4, std: Math.sqrt(10), count: 5 });
});

test('NaN samples are ignored by the statistics and stay NaN', () => {
  const z = standardize([1, NaN, 2, 3, 4, 10, NaN]);
  assert.ok(Number.isNaN(z[1]!) && Number.isNaN(z[6]!));
  assert.ok(Math.abs(z[5]! - 1.8973665961010275) < 1e-6);
});

test('flat, empty and all-NaN leads never produce Inf, and finite samples never NaN', () => {
  assert.deepEqual(Array.from(standardize(new Float32Array(10).fill(0.7))), Array(10).fill(0));
  assert.deepEqual(Array.from(standardize([])), []);
  const allNaN = standardize([NaN, NaN]);
  assert.ok(allNaN.every(Number.isNaN));
});

test('standardizeRecord standardises every lead and leaves the input untouched', () => {
  const record: EcgRecord = {
    name: 'r',
    fs: 100,
    leads: ['I', 'II'],
    units: ['mV', 'mV'],
    signals: [Float32Array.from([1, 2, 3]), Float32Array.from([5, 5, 5])],
    age: 40,
    sex: 'female',
    metadata: { source: 'test' },
  };
  const z = standardizeRecord(record);
  assert.deepEqual(z.units, ['z', 'z']);
  assert.deepEqual(Array.from(z.signals[1]!), [0, 0, 0]);
  assert.ok(Math.abs(z.signals[0]![2]! - Math.sqrt(1.5)) < 1e-6);
  assert.deepEqual(Array.from(record.signals[0]!), [1, 2, 3]);
});
