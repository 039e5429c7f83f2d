/**
 * Windows over a record, one rule each for training and inference: where fixed-length windows start (validation,
 * src/train/validate.ts, and the Predictor) and the windows around R peaks (the beat task and `predictBeats`), so a
 * model is scored on the windows it was trained and validated on.
 */
import { SignalError } from '../errors.js';

/**
 * Window starts from 0 every `hop` samples, plus one window aligned to the end when the last one stops short of it
 * (unless `lastAlignedToEnd` is false); a record no longer than the window gives one window at 0.
 */
export function windowStarts(length: number, window: number, hop: number, lastAlignedToEnd = true): number[] {
  // A hop of 0 (or NaN) would never leave the loop below: callers validate it, this keeps a slip from hanging.
  if (!(hop > 0)) throw new SignalError(`windowStarts: the hop must be positive, got ${hop}`);
  if (length <= window) return [0];
  const starts: number[] = [];
  for (let start = 0; start + window <= length; start += hop) starts.push(start);
  if (lastAlignedToEnd && starts[starts.length - 1]! + window < length) starts.push(length - window);
  return starts;
}

/**
 * [beats, leads, before + after] float32 windows around R peaks given at the signals' rate: `before` samples before
 * the peak and `after` from it; samples past either end of the record repeat the edge sample.
 */
export function cutBeatWindows(
  signals: readonly Float32Array[],
  peaks: readonly number[],
  before: number,
  after: number,
): Float32Array {
  const width = before + after;
  const leads = signals.length;
  const out = new Float32Array(peaks.length * leads * width);
  peaks.forEach((peak, b) => {
    const start = peak - before;
    signals.forEach((signal, l) => {
      const last = signal.length - 1;
      const offset = (b * leads + l) * width;
      for (let k = 0; k < width; k++) out[offset + k] = signal[Math.min(last, Math.max(0, start + k))]!;
    });
  });
  return out;
}
