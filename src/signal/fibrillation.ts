/**
 * Atrial fibrillation from the RR intervals alone (browser-safe, no engine), for the beat classifier's rhythm gate.
 *
 * Why: AAMI labels the beats of atrial fibrillation and flutter N (there is no atrial premature beat without an
 * organised atrium), yet their intervals are irregular and often short, so a beat model calls many of them S. With
 * only two fibrillation records in MIT-BIH DS1 the beat model cannot learn the exception; this detector learns
 * fibrillation from the 6,822 records of CinC 2017 (758 of them AF, another device, another population) and reads
 * only intervals, which mean the same on every recorder. The beat classifier then calls N what it would call S where
 * this detector says fibrillation (src/infer/beat-inputs.ts).
 *
 * Ventricular ectopy makes intervals irregular too (a premature beat, then a compensatory pause): a caller that
 * knows the ventricular beats may pass them as `exclude`, and every interval that starts or ends at one is left out
 * before the windows are cut. On DS1 that removes nearly all false alarms (scripts/experiments/
 * fibrillation-ectopy-check.ts), but the beat gate does not use it: with the model's own V calls excluded, the DS1
 * CV's S figures were lower on three seeds (docs/beats.md), since the false alarms fell on PVC-heavy records whose
 * false S calls they removed.
 *
 * A beat's window is the FIBRILLATION_INTERVALS intervals centred on it (not causal: a record is read whole). The
 * features are ratios over the window's median interval, so heart rate alone says little; a logistic regression on
 * the features and their squares (fitted by scripts/experiments/fibrillation-fit.py, coefficients in
 * fibrillation-model.ts) gives the probability.
 */
import { SignalError } from '../errors.js';
import { FIBRILLATION_MODEL } from './fibrillation-model.js';

/** RR intervals around a beat over which fibrillation is judged (CinC 2017 records hold 30-60 of them). */
export const FIBRILLATION_INTERVALS = 24;
/** Fewer intervals than this in the whole record: no judgement (probability 0). */
export const MIN_FIBRILLATION_INTERVALS = 8;

/** Successive differences below this are ties. */
const TIE_SECONDS = 1e-6;

/** Features of one window of intervals, in this order. */
export const FIBRILLATION_FEATURES = [
  'successiveDifference', // median |RR(k+1) - RR(k)| / median RR: ~0 in sinus rhythm, 0.1-0.3 in fibrillation
  'rmssd', // root mean square successive difference / median RR
  'largeSteps', // share of successive differences above 10 % of the median RR (ectopy: a few; fibrillation: most)
  'nearMedian', // share of intervals within 8 % of the median (sinus + ectopy: most; fibrillation: few)
  'secondDifference', // median |RR(k+2) - RR(k)| / median RR: small in bigeminy, large in fibrillation
  'turningPoints', // share of interior intervals that are a local extremum (~2/3 for independent intervals)
  'spread', // interquartile range / median RR
  'logMedianRr', // ln(median RR in seconds)
] as const;

/** A fitted fibrillation model: standardisation of [features, features^2], then logistic weights and bias. */
export interface FibrillationModel {
  intervals: number;
  mean: readonly number[];
  sd: readonly number[];
  weights: readonly number[];
  bias: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (at - low) * (sorted[high]! - sorted[low]!);
}

const share = <T>(values: readonly T[], test: (v: T) => boolean): number =>
  values.length === 0 ? 0 : values.filter(test).length / values.length;

/** The FIBRILLATION_FEATURES of one window of RR intervals (seconds, at least 3). */
export function fibrillationFeatures(intervals: readonly number[]): number[] {
  if (intervals.length < 3)
    throw new SignalError(`fibrillation features need 3 intervals, got ${intervals.length}`);
  const m = Math.max(median(intervals), 1e-3);
  const steps = intervals.slice(1).map((v, i) => v - intervals[i]!);
  const absSteps = steps.map(Math.abs);
  const secondSteps = intervals.slice(2).map((v, i) => Math.abs(v - intervals[i]!));
  // Steps under TIE_SECONDS are ties (equal sample counts differ by rounding once divided by the rate).
  const sign = (d: number) => (Math.abs(d) < TIE_SECONDS ? 0 : Math.sign(d));
  const interior = steps.slice(1).map((d, i) => sign(steps[i]!) * sign(d) < 0);
  const sorted = [...intervals].sort((a, b) => a - b);
  return [
    median(absSteps) / m,
    Math.sqrt(steps.reduce((s, d) => s + d * d, 0) / steps.length) / m,
    share(absSteps, (d) => d > 0.1 * m),
    share(intervals, (v) => Math.abs(v - m) <= 0.08 * m),
    median(secondSteps) / m,
    share(interior, Boolean),
    (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / m,
    Math.log(m),
  ];
}

/** Intervals between beats at `times` (seconds, ascending). */
function intervalsOf(times: readonly number[]): number[] {
  for (let i = 1; i < times.length; i++) {
    if (!(times[i]! > times[i - 1]!))
      throw new SignalError(`beat times must ascend (beat ${i}: ${times[i]} s)`);
  }
  return times.slice(1).map((t, i) => t - times[i]!);
}

/**
 * [beats, FIBRILLATION_FEATURES.length] features of the window centred on each beat at `times`, or null when the
 * record has fewer than MIN_FIBRILLATION_INTERVALS intervals. Near the record's ends the window is shifted inside.
 * `exclude` (per beat, truthy = ventricular ectopic) drops the intervals touching those beats first.
 */
export function fibrillationWindows(
  times: readonly number[],
  intervalsPerWindow: number = FIBRILLATION_INTERVALS,
  exclude?: ArrayLike<number | boolean>,
): Float32Array | null {
  const all = intervalsOf(times);
  if (exclude !== undefined && exclude.length !== times.length)
    throw new SignalError(`exclude has ${exclude.length} flags for ${times.length} beats`);
  // Interval j lies between beats j and j+1.
  const kept = all.map((_, j) => j).filter((j) => !exclude || (!exclude[j] && !exclude[j + 1]));
  const rr = kept.map((j) => all[j]!);
  if (rr.length < MIN_FIBRILLATION_INTERVALS) return null;
  const width = Math.min(intervalsPerWindow, rr.length);
  const k = FIBRILLATION_FEATURES.length;
  const out = new Float32Array(times.length * k);
  let cachedStart = -1;
  let cached: number[] = [];
  let before = 0; // kept intervals that end at or before beat i
  for (let i = 0; i < times.length; i++) {
    while (before < kept.length && kept[before]! < i) before++;
    // Beat i sits after `before` kept intervals: the window's middle (without exclusions, before = i).
    const start = Math.min(Math.max(0, before - (width >> 1)), rr.length - width);
    if (start !== cachedStart) {
      cached = fibrillationFeatures(rr.slice(start, start + width));
      cachedStart = start;
    }
    out.set(cached, i * k);
  }
  return out;
}

/** Probability of atrial fibrillation from one feature row. */
export function fibrillationScore(
  features: ArrayLike<number>,
  model: FibrillationModel = FIBRILLATION_MODEL,
): number {
  const k = features.length;
  let z = model.bias;
  for (let j = 0; j < 2 * k; j++) {
    const raw = j < k ? features[j]! : features[j - k]! ** 2;
    z += (model.weights[j]! * (raw - model.mean[j]!)) / model.sd[j]!;
  }
  return 1 / (1 + Math.exp(-z));
}

/**
 * Per-beat probability of atrial fibrillation for beats at `times` (seconds); all 0 when too few intervals remain.
 * `exclude`: ventricular ectopic beats whose intervals are left out (see the module comment).
 */
export function fibrillationProbability(
  times: readonly number[],
  model: FibrillationModel = FIBRILLATION_MODEL,
  exclude?: ArrayLike<number | boolean>,
): Float32Array {
  const windows = fibrillationWindows(times, model.intervals, exclude);
  const out = new Float32Array(times.length);
  if (windows === null) return out;
  const k = FIBRILLATION_FEATURES.length;
  for (let i = 0; i < times.length; i++)
    out[i] = fibrillationScore(windows.subarray(i * k, (i + 1) * k), model);
  return out;
}
