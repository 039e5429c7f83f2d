/**
 * Rhythm features of a record: RR intervals, heart-rate variability, RR irregularity, P-wave presence and
 * PR / QRS durations, per record and per beat.
 *
 * Units: every interval and duration is in milliseconds, heart rate in beats per minute, shares (pNN50, P-wave
 * ratio) are fractions in [0, 1]. A value that cannot be computed (too few beats, no P wave) is null.
 * HRV is computed over all detected RR intervals (not only normal-to-normal ones: beats are not classified here),
 * between consecutive detected beats, delineated or not: a beat whose lead is flat or missing around its R peak (the
 * delineator leaves it out) still ends and starts an interval. Wave features (P, PR, QRS) are over the delineated
 * beats, which the per-beat arrays list.
 * Pure computation: runs in Node and in the browser.
 */
import { SignalError } from '../errors.js';
import { delineateBeats, type BeatDelineation } from './delineate.js';
import { detectQrs, type QrsFlag } from './qrs.js';
import { leadsInMillivolts } from './units.js';

/**
 * Per delineated beat (a detected beat the delineator left out is not listed, but its R peak still bounds the RR
 * intervals of its neighbours: every RR value here is between consecutive detected beats).
 */
export interface BeatRhythm {
  /** R-peak sample index per beat. */
  rPeaks: number[];
  /** RR interval to the previous detected beat (null for the first detected beat). */
  rrPreviousMs: Array<number | null>;
  /** RR interval to the next detected beat (null for the last detected beat). */
  rrNextMs: Array<number | null>;
  /** Mean of up to the last 10 RR intervals ending at this beat (null for the first detected beat). */
  rrLocalMeanMs: Array<number | null>;
  /** Whether a P wave was found before this beat. */
  pWave: boolean[];
  /** P onset to QRS onset (null without a P onset). */
  prMs: Array<number | null>;
  /** QRS onset to offset. */
  qrsMs: number[];
}

export interface RhythmFeatures {
  fs: number;
  /** Number of detected beats and record duration (s). */
  beatCount: number;
  durationS: number;
  /** 60000 / mean RR. */
  heartRateBpm: number | null;
  rrMeanMs: number | null;
  /** Standard deviation of RR (sample SD, n - 1). */
  sdnnMs: number | null;
  /** Root mean square of successive RR differences. */
  rmssdMs: number | null;
  /** Share of successive RR differences larger than 50 ms. */
  pnn50: number | null;
  /** Coefficient of variation of RR: SDNN / mean RR. */
  rrCv: number | null;
  /**
   * Sample entropy of the RR series (m = 2, r = 0.2 SD): ~0 regular, higher irregular; null when undefined.
   * Over the first 5000 intervals at most (its cost grows with the square of the count).
   */
  rrSampleEntropy: number | null;
  /** Share of delineated beats with a P wave. */
  pWaveRatio: number | null;
  prMeanMs: number | null;
  qrsMeanMs: number | null;
  /** Quality flags from the R-peak detector. */
  flags: QrsFlag[];
  /** The lead that was delineated. */
  lead: number;
  beats: BeatRhythm;
}

/** The parts of an EcgRecord this needs (so plain arrays work too). */
export interface RhythmInput {
  fs: number;
  signals: Float32Array[];
  leads?: string[];
  /**
   * Each lead's unit: leads are converted to mV for the delineator's mV wave floors, which a lead in no voltage
   * unit skips. Without units, values are taken as they are, floors included (the fusion token's definition).
   */
  units?: string[];
}

const LOCAL_RR_BEATS = 10;
/**
 * pNN50 counts differences above 50 ms, not at it: RR converted from samples carries rounding (at 360 Hz, 18
 * samples of difference came out as 50.00000000000006 ms), so 50 ms plus far less than any sample counts as 50.
 */
const NN50_MS = 50 + 1e-6;
/** Sample entropy costs O(n^2): long recordings (Holter) use their first `maxIntervals` RR intervals. */
const SAMPLE_ENTROPY = { m: 2, tolerance: 0.2, minIntervals: 10, maxIntervals: 5000 } as const;

/** Detects beats on all leads, delineates the lead II (or MLII, else the detector's reference lead). */
export function rhythmFeatures(record: RhythmInput): RhythmFeatures {
  const named = (record.leads ?? []).findIndex((name) => /^(ml)?ii$/i.test(name.trim()));
  const { signals, voltage } = record.units
    ? leadsInMillivolts(record.signals, record.units)
    : { signals: record.signals, voltage: null };
  const detection = detectQrs(signals, record.fs, named >= 0 ? { referenceLead: named } : {});
  const lead = detection.referenceLead;
  const n = signals[0]?.length ?? 0;
  const floors = voltage?.[lead] ?? true;
  const beats =
    lead >= 0
      ? delineateBeats(signals[lead]!, record.fs, { rPeaks: detection.rPeaks, amplitudeFloors: floors })
      : [];
  return {
    ...featuresFromBeats(beats, record.fs, n, detection.rPeaks, unseenSamples(signals)),
    flags: detection.flags,
    lead,
  };
}

/**
 * Cumulative count of the samples where no lead has a finite value ([n + 1]; entry i counts samples before i), or
 * null when there is none: beats there cannot be seen, so an interval across them is no RR interval.
 */
function unseenSamples(signals: readonly Float32Array[]): Uint32Array | null {
  const n = signals[0]?.length ?? 0;
  const counts = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const unseen = signals.every((lead) => !Number.isFinite(lead[i]!));
    counts[i + 1] = counts[i]! + (unseen ? 1 : 0);
  }
  return counts[n] === 0 ? null : counts;
}

/**
 * Record and per-beat features from delineated beats (exported for callers with their own beats). `rPeaks`: all
 * detected beats, ascending, which the RR intervals run between (default: the delineated beats' own R peaks); every
 * delineated beat must be one of them. `unseen` (cumulative counts of samples without any finite lead): an interval
 * spanning such samples is left out of the RR figures (null per beat), as beats inside them could not be detected.
 */
export function featuresFromBeats(
  beats: BeatDelineation[],
  fs: number,
  length: number,
  rPeaks: ArrayLike<number> = beats.map((b) => b.r),
  unseen: Uint32Array | null = null,
): Omit<RhythmFeatures, 'flags' | 'lead'> {
  const ms = (samples: number) => (1000 * samples) / fs;
  const detected = Array.from(rPeaks);
  const spansGap = (from: number, to: number) => unseen !== null && unseen[to]! - unseen[from]! > 0;
  const rr = detected
    .slice(1)
    .map((r, k): number | null => (spansGap(detected[k]!, r) ? null : ms(r - detected[k]!)));
  const measured = (values: ReadonlyArray<number | null>) => values.filter((v): v is number => v !== null);
  const hrv = rrStatistics(measured(rr));
  const indexOf = new Map(detected.map((r, k) => [r, k]));
  // Index of each delineated beat among the detected ones: interval k runs from detected beat k to k + 1.
  const at = beats.map((b) => {
    const k = indexOf.get(b.r);
    if (k === undefined)
      throw new SignalError(`featuresFromBeats: beat at sample ${b.r} is not among the R peaks`);
    return k;
  });
  const withP = beats.filter((b) => b.p !== null).length;
  const pr = beats.map((b) => (b.p?.onset != null ? ms(b.qrs.onset - b.p.onset) : null));
  const qrs = beats.map((b) => ms(b.qrs.offset - b.qrs.onset));
  return {
    fs,
    beatCount: detected.length,
    durationS: length / fs,
    ...hrv,
    pWaveRatio: beats.length > 0 ? withP / beats.length : null,
    prMeanMs: mean(pr.filter((v): v is number => v !== null)),
    qrsMeanMs: mean(qrs),
    beats: {
      rPeaks: beats.map((b) => b.r),
      rrPreviousMs: at.map((k) => (k > 0 ? rr[k - 1]! : null)),
      rrNextMs: at.map((k) => rr[k] ?? null),
      rrLocalMeanMs: at.map((k) => mean(measured(rr.slice(Math.max(0, k - LOCAL_RR_BEATS), k)))),
      pWave: beats.map((b) => b.p !== null),
      prMs: pr,
      qrsMs: qrs,
    },
  };
}

/** Heart rate and HRV from RR intervals in ms. */
export function rrStatistics(
  rr: number[],
): Pick<
  RhythmFeatures,
  'heartRateBpm' | 'rrMeanMs' | 'sdnnMs' | 'rmssdMs' | 'pnn50' | 'rrCv' | 'rrSampleEntropy'
> {
  const rrMean = mean(rr);
  const sdnn = standardDeviation(rr);
  const diffs = rr.slice(1).map((v, k) => v - rr[k]!);
  return {
    heartRateBpm: rrMean ? 60000 / rrMean : null,
    rrMeanMs: rrMean,
    sdnnMs: sdnn,
    rmssdMs: diffs.length > 0 ? Math.sqrt(mean(diffs.map((d) => d * d))!) : null,
    pnn50: diffs.length > 0 ? diffs.filter((d) => Math.abs(d) > NN50_MS).length / diffs.length : null,
    rrCv: rrMean && sdnn !== null ? sdnn / rrMean : null,
    rrSampleEntropy: sampleEntropy(rr.slice(0, SAMPLE_ENTROPY.maxIntervals)),
  };
}

/**
 * Sample entropy (Richman & Moorman): -ln(A / B), B = pairs of length-m templates within r (Chebyshev distance,
 * self-matches excluded), A = the same for length m + 1, both over the same n - m templates.
 */
export function sampleEntropy(
  series: number[],
  m: number = SAMPLE_ENTROPY.m,
  toleranceSd: number = SAMPLE_ENTROPY.tolerance,
): number | null {
  const sd = standardDeviation(series);
  if (series.length < SAMPLE_ENTROPY.minIntervals || sd === null) return null;
  const r = toleranceSd * sd;
  const templates = series.length - m;
  let b = 0;
  let a = 0;
  for (let i = 0; i < templates; i++) {
    for (let j = i + 1; j < templates; j++) {
      let k = 0;
      while (k < m && Math.abs(series[i + k]! - series[j + k]!) <= r) k++;
      if (k < m) continue;
      b++;
      if (Math.abs(series[i + m]! - series[j + m]!) <= r) a++;
    }
  }
  return a > 0 && b > 0 ? Math.log(b / a) : null;
}

function mean(values: number[]): number | null {
  return values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

function standardDeviation(values: number[]): number | null {
  const m = mean(values);
  if (m === null || values.length < 2) return null;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}
