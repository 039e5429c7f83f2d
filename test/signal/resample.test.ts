import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalError } from '../../src/errors.js';
import { resample, resamplePoly } from '../../src/signal/index.js';
import {
  golden,
  goldenNames,
  goldenParams,
  peakRelativeError,
  TOLERANCE,
} from '../fixtures/signal/golden.js';

test('resamplePoly matches scipy.signal.resample_poly on real ECG (360->250/100/500, 300->100, 500->100/250/128)', () => {
  const names = goldenNames('resample_poly_');
  assert.ok(names.length >= 7);
  for (const name of names) {
    const { up, down, input } = goldenParams(name) as unknown as { up: number; down: number; input: string };
    const out = resamplePoly(golden(input), up, down);
    const expected = golden(name);
    assert.equal(out.length, expected.length, `${name}: length`);
    assert.ok(peakRelativeError(out, expected) < TOLERANCE, `${name}: ${peakRelativeError(out, expected)}`);
  }
});

test('resample by rates reduces the ratio (360 -> 250 is 25/36) and gives the same result', () => {
  const x = golden('mitdb101_mlii_5s');
  assert.deepEqual(resample(x, 360, 250), resamplePoly(x, 25, 36));
  assert.deepEqual(resample(x, 360, 250), resamplePoly(x, 250, 360));
  assert.equal(resample(x, 360, 360).length, x.length);
  assert.equal(resample(x, 128.5, 257).length, 2 * x.length);
});

test('anti-aliasing: a tone above the new Nyquist rate is removed, one below is kept', () => {
  const fs = 500;
  const tone = (f: number) =>
    Float64Array.from({ length: 5000 }, (_, n) => Math.sin((2 * Math.PI * f * n) / fs));
  const rms = (a: Float32Array) =>
    Math.sqrt(a.subarray(100, -100).reduce((s, v) => s + v * v, 0) / (a.length - 200));
  assert.ok(rms(resample(tone(80), 500, 100)) < 0.01); // 80 Hz > 50 Hz Nyquist of 100 Hz
  assert.ok(Math.abs(rms(resample(tone(10), 500, 100)) - Math.SQRT1_2) < 0.01);
});

test('NaN gaps: SignalError by default; bridged gaps come back as NaN at the matching output times', () => {
  const x = Float64Array.from(golden('mitdb101_mlii_5s'));
  x.fill(NaN, 720, 900); // 2.0 s to 2.5 s
  assert.throws(() => resamplePoly(x, 25, 36), SignalError);
  const y = resample(x, 360, 250, { nan: 'bridge' });
  const nanTimes = Array.from(y.keys())
    .filter((k) => Number.isNaN(y[k]!))
    .map((k) => k / 250);
  assert.ok(nanTimes.length > 0 && nanTimes[0]! >= 2 - 1 / 250 && nanTimes.at(-1)! <= 2.5);
  assert.ok(y.every((v, k) => Number.isNaN(v) === (k / 250 >= 2 - 0.5 / 360 && k / 250 < 2.5 - 0.5 / 360)));
});

test('bad factors and rates are SignalErrors', () => {
  assert.throws(() => resamplePoly([1, 2, 3], 0, 2), SignalError);
  assert.throws(() => resamplePoly([1, 2, 3], 1.5, 2), SignalError);
  assert.throws(() => resample([1, 2, 3], 360, -1), SignalError);
});
