import { MetricError } from '../errors.js';

/** Quantile with linear interpolation between order statistics (numpy's default 'linear' method). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new MetricError('quantile', 'no values');
  if (!(q >= 0 && q <= 1)) throw new MetricError('quantile', `q = ${q}, expected a value in [0, 1]`);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + fraction * (sorted[above]! - sorted[below]!);
}
