import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalError } from '../../src/errors.js';
import {
  butter,
  iirnotch,
  notch,
  removeBaseline,
  sosfiltfilt,
  sosfiltZi,
  type FilterType,
} from '../../src/signal/index.js';
import {
  golden,
  goldenNames,
  goldenParams,
  peakRelativeError,
  TOLERANCE,
} from '../fixtures/signal/golden.js';

function designOf(name: string) {
  const p = goldenParams(name) as unknown as {
    order: number;
    cutoff: number | number[];
    type: FilterType;
    fs: number;
  };
  return butter(p.order, p.cutoff, p.type, p.fs);
}

test('butter: second-order sections equal scipy.signal.butter(output="sos") for low/high/band-pass, orders 1-5', () => {
  const names = goldenNames('butter_');
  assert.ok(names.length >= 8);
  for (const name of names) {
    const sos = designOf(name);
    const expected = golden(name);
    assert.equal(sos.length * 6, expected.length, `${name}: section count`);
    // Coefficients are O(1): compare absolutely; double rounding differences are ~1e-15.
    sos
      .flat()
      .forEach((v, i) =>
        assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${name}[${i}]: ${v} vs ${expected[i]}`),
      );
  }
});

test('sosfilt_zi matches scipy', () => {
  for (const name of goldenNames('sosfilt_zi_')) {
    const zi = sosfiltZi(designOf(goldenParams(name).design as string)).flat();
    const expected = golden(name);
    zi.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]!) < 1e-9 * Math.max(1, Math.abs(expected[i]!)), name),
    );
  }
});

test('sosfiltfilt on real ECG excerpts matches scipy.signal.sosfiltfilt within 2e-7 of the peak', () => {
  const names = goldenNames('sosfiltfilt_');
  assert.ok(names.length >= 5);
  for (const name of names) {
    const params = goldenParams(name);
    const out = sosfiltfilt(designOf(params.design as string), golden(params.input as string));
    assert.equal(out.length, golden(name).length);
    // Float32 output of float64 computation: ~6e-8 relative to the peak is the floor.
    assert.ok(
      peakRelativeError(out, golden(name)) < TOLERANCE,
      `${name}: ${peakRelativeError(out, golden(name))}`,
    );
  }
});

test('iirnotch coefficients and zero-phase notch output match scipy (iirnotch + filtfilt)', () => {
  for (const name of goldenNames('iirnotch_')) {
    const { f0, Q, fs } = goldenParams(name) as unknown as { f0: number; Q: number; fs: number };
    const section = iirnotch(f0, Q, fs);
    const expected = golden(name);
    section.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-14, `${name}[${i}]`));
  }
  const mit = golden('mitdb101_mlii_5s');
  assert.ok(peakRelativeError(notch(mit, 360, 60, 30), golden('filtfilt_notch_60_30_360')) < TOLERANCE);
  const ludb = golden('ludb1_ii_4s');
  assert.ok(peakRelativeError(notch(ludb, 500, 50, 30), golden('filtfilt_notch_50_30_500')) < TOLERANCE);
});

test('notch removes a 50 Hz tone and keeps a 5 Hz one', () => {
  const fs = 500;
  const x = Float64Array.from(
    { length: 5000 },
    (_, n) => Math.sin((2 * Math.PI * 5 * n) / fs) + Math.sin((2 * Math.PI * 50 * n) / fs),
  );
  const y = notch(x, fs, 50, 30);
  const middle = (a: ArrayLike<number>, f: (n: number) => number) => {
    let worst = 0;
    for (let n = 1000; n < 4000; n++) worst = Math.max(worst, Math.abs(a[n]! - f(n)));
    return worst;
  };
  assert.ok(middle(y, (n) => Math.sin((2 * Math.PI * 5 * n) / fs)) < 0.01);
});

test('baseline removal is the 0.5 Hz order-2 high-pass and kills a slow drift', () => {
  const mit = golden('mitdb101_mlii_5s');
  assert.ok(peakRelativeError(removeBaseline(mit, 360), golden('sosfiltfilt_hp_2_0.5_360')) < TOLERANCE);
  const drift = Float64Array.from({ length: 3600 }, (_, n) => 2 + Math.sin((2 * Math.PI * 0.05 * n) / 360));
  const flat = removeBaseline(drift, 360);
  assert.ok(flat.subarray(360, 3240).reduce((m, v) => Math.max(m, Math.abs(v)), 0) < 0.05);
});

test('NaN: refused by default (SignalError); bridged and restored with { nan: "bridge" }', () => {
  const x = Float64Array.from(golden('mitdb101_mlii_5s'));
  x.fill(NaN, 500, 520);
  const sos = butter(2, [0.5, 40], 'bandpass', 360);
  assert.throws(
    () => sosfiltfilt(sos, x),
    (e: unknown) => e instanceof SignalError && /index 500/.test(e.message),
  );
  const y = sosfiltfilt(sos, x, { nan: 'bridge' });
  for (let i = 0; i < y.length; i++) assert.equal(Number.isNaN(y[i]!), i >= 500 && i < 520, `sample ${i}`);
  const allNaN = new Float32Array(100).fill(NaN);
  assert.throws(() => sosfiltfilt(sos, allNaN, { nan: 'bridge' }), SignalError);
});

test('an infinite, NaN, zero or negative sampling frequency is a SignalError (Infinity gave a filter)', () => {
  for (const fs of [Infinity, Number.NaN, 0, -360]) {
    for (const make of [
      () => butter(2, 10, 'lowpass', fs),
      () => butter(2, [0.5, 40], 'bandpass', fs),
      () => iirnotch(50, 30, fs),
    ])
      assert.throws(
        make,
        (e: unknown) => e instanceof SignalError && /invalid sampling frequency/.test(e.message),
        `fs ${fs}`,
      );
  }
});

test('bad parameters and too-short signals are SignalErrors', () => {
  assert.throws(() => butter(0, 10, 'lowpass', 100), SignalError);
  assert.throws(() => butter(2, 60, 'lowpass', 100), SignalError);
  assert.throws(() => butter(2, [40, 10], 'bandpass', 360), SignalError);
  assert.throws(() => butter(2, 10, 'bandpass', 360), SignalError);
  assert.throws(() => iirnotch(60, 30, 100), SignalError);
  assert.throws(
    () => sosfiltfilt(butter(2, [0.5, 40], 'bandpass', 360), new Float32Array(15)),
    /15 samples is too short.*needs > 15/,
  );
});
