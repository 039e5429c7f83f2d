/**
 * Every detector and filter on records at the edges of what a reader accepts (1 Hz to 20 kHz, and beyond for the
 * pure functions), tiny and long: each either answers with well-formed output or throws a SignalError. Before the
 * block sizes were clamped, a 0.2 Hz record drove detectQrs into an endless loop ending in a fatal V8 allocation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignalError } from '../../src/errors.js';
import { recordBeats } from '../../src/signal/beat-embedding.js';
import { delineateBeats } from '../../src/signal/delineate.js';
import { bandpass, notch, removeBaseline } from '../../src/signal/filters.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { resample } from '../../src/signal/resample.js';
import { rhythmFeatures } from '../../src/signal/rhythm.js';

/** A synthetic ECG-like lead: a narrow spike every second on a slow wave, with a little noise. */
function lead(n: number, fs: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    const phase = t - Math.floor(t);
    out[i] = 0.1 * Math.sin(2 * Math.PI * 0.3 * t) + (phase < 0.04 ? 1 : 0) + 0.01 * Math.sin(i * 1.7);
  }
  return out;
}

/** Runs `work`; a SignalError is an accepted answer, anything else must not escape. */
function safely<T>(work: () => T, check: (value: T) => void): void {
  let value: T;
  try {
    value = work();
  } catch (error) {
    assert.ok(error instanceof SignalError, `expected a SignalError, got ${String(error)}`);
    return;
  }
  check(value);
}

const RATES = [0.01, 0.2, 0.24, 1, 2.5, 100, 360, 20_000];
const LENGTHS = [0, 1, 2, 3, 7, 100, 5000];

describe('detectQrs, delineateBeats, rhythmFeatures, recordBeats at any rate and length', () => {
  for (const fs of RATES) {
    for (const n of LENGTHS) {
      it(`${fs} Hz, ${n} samples`, () => {
        const signal = lead(n, fs);
        safely(
          () => detectQrs([signal, signal], fs),
          (d) => {
            assert.ok(d.rPeaks.every((p) => p >= 0 && p < n));
            assert.ok(d.rPeaks.every((p, i) => i === 0 || p > d.rPeaks[i - 1]!));
          },
        );
        safely(
          () => delineateBeats(signal, fs),
          (beats) => assert.ok(beats.every((b) => b.r >= 0 && b.r < n)),
        );
        safely(
          () => rhythmFeatures({ fs, signals: [signal] }),
          (f) => assert.ok(typeof f.flags.length === 'number'),
        );
        safely(
          () => recordBeats(signal, fs),
          (beats) => assert.equal(beats.data.length, beats.count * beats.width),
        );
      });
    }
  }

  it('constant, NaN-only and infinite leads', () => {
    for (const fill of [0, NaN, Infinity]) {
      const d = detectQrs(new Float32Array(1000).fill(fill), 250);
      assert.equal(d.rPeaks.length, 0);
      assert.ok(d.flags.includes('flat'));
    }
  });

  it('a rate of 0, NaN or Infinity is a SignalError, and so are leads of different lengths', () => {
    for (const fs of [0, -1, NaN, Infinity]) assert.throws(() => detectQrs(lead(100, 100), fs), SignalError);
    assert.throws(() => detectQrs([lead(100, 100), lead(99, 100)], 100), SignalError);
  });

  it('a long record (2 leads x 2,000,000 samples at 20 kHz) detects the beat every second', () => {
    const signal = lead(2_000_000, 20_000);
    const d = detectQrs([signal, signal], 20_000);
    assert.ok(Math.abs(d.rPeaks.length - 100) <= 2, `${d.rPeaks.length} beats`);
  });
});

describe('filters and resampling at the edges', () => {
  for (const fs of [1, 2.5, 100, 20_000]) {
    for (const n of [0, 1, 2, 5, 1000]) {
      it(`${fs} Hz, ${n} samples`, () => {
        const signal = lead(n, fs);
        safely(
          () => bandpass(signal, fs, 0.5, Math.min(40, fs / 2.5)),
          (y) => assert.equal(y.length, n),
        );
        safely(
          () => notch(signal, fs, 50),
          (y) => assert.equal(y.length, n),
        );
        safely(
          () => removeBaseline(signal, fs),
          (y) => assert.equal(y.length, n),
        );
        for (const target of [1, 360, 20_000])
          safely(
            () => resample(signal, fs, target),
            (y) => assert.equal(y.length, Math.ceil((n * target) / fs)),
          );
      });
    }
  }

  it('an output too long to hold is a SignalError before anything is allocated', () => {
    assert.throws(() => resample(new Float32Array(2 ** 20), 1, 20_000), /limit/);
  });
});
