/**
 * Per-lead standardisation. NaN samples (invalid) are ignored for the statistics and stay NaN; a flat lead
 * (standard deviation ~0) is centred but not scaled, so it becomes zeros instead of NaN or Inf.
 */
import type { EcgRecord } from '../io/record.js';
import type { Samples } from './filters.js';

/** Below this standard deviation (in the signal's units) a lead is treated as flat. */
const FLAT_STD = 1e-8;

export interface LeadStats {
  mean: number;
  std: number;
  /** Number of finite samples used. */
  count: number;
}

/** Mean and population standard deviation of the finite samples (two passes, float64). */
export function leadStats(x: Samples): LeadStats {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) squares += (v - mean) ** 2;
  }
  return { mean, std: count > 0 ? Math.sqrt(squares / count) : 0, count };
}

/** z-score of one lead: (x - mean) / std over finite samples; a flat lead gives zeros, NaN stays NaN. */
export function standardize(x: Samples): Float32Array {
  const { mean, std } = leadStats(x);
  const divisor = std > FLAT_STD ? std : 1;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = Number.isFinite(v) ? (v - mean) / divisor : NaN;
  }
  return out;
}

/** A copy of the record with every lead standardised (units become "z"). */
export function standardizeRecord(record: EcgRecord): EcgRecord {
  return {
    ...record,
    signals: record.signals.map(standardize),
    units: record.units.map(() => 'z'),
    metadata: { ...record.metadata },
  };
}
