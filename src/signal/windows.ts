/**
 * Where fixed-length windows start over a record: one rule for training's validation (src/train/validate.ts) and
 * for inference (src/infer/predictor.ts), so a model is scored on the windows it was validated on.
 */

/**
 * Window starts from 0 every `hop` samples, plus one window aligned to the end when the last one stops short of it
 * (unless `lastAlignedToEnd` is false); a record no longer than the window gives one window at 0.
 */
export function windowStarts(length: number, window: number, hop: number, lastAlignedToEnd = true): number[] {
  if (length <= window) return [0];
  const starts: number[] = [];
  for (let start = 0; start + window <= length; start += hop) starts.push(start);
  if (lastAlignedToEnd && starts[starts.length - 1]! + window < length) starts.push(length - window);
  return starts;
}
