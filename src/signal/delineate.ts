/**
 * Per-beat delineation of one lead: P, QRS and T onset / peak / offset, by slope thresholds and tangents.
 *
 * Method (all windows in seconds, filters designed from fs):
 * - QRS: around each R peak, the steepest slope of the 1-40 Hz signal sets a threshold (a fraction of it);
 *   onset and offset are where the slope stays below it for 16 ms, walking outwards from R (so Q and S waves,
 *   whose slopes are above it, stay inside the complex).
 * - Isoelectric level: the 0.5-15 Hz signal just before the QRS onset.
 * - T: largest deviation from the isoelectric level between QRS offset and a window that scales with RR;
 *   offset by the tangent method (steepest descent after the peak, extended to the isoelectric level).
 * - P: largest deviation in the window before the QRS onset, accepted when it clears an amplitude floor and the
 *   local noise; onset and offset by tangents on its two limbs.
 * R peaks come from detectQrs (or the caller); a beat whose lead is flat around its R peak (no slope at all: the
 * peaks came from other leads) or missing at it (NaN) is left out. NaN gaps are bridged by straight lines for the
 * filters (as detectQrs bridges them), and no point is placed on a sample that was NaN (a P or T wave whose peak
 * borders a gap is not reported: its peak may lie in the gap). Every point lies inside the signal.
 * Amplitude floors are in mV (`amplitudeFloors: false` drops them for a lead in another unit).
 * Pure computation: runs in Node and in the browser.
 */
import { SignalError } from '../errors.js';
import { bandpass, movingAverage } from './detect/iir.js';
import { bridgeNans } from './gaps.js';
import { detectQrs } from './qrs.js';

/** Sample indices of one wave; onset/offset null when they could not be placed. */
export interface WavePoints {
  onset: number | null;
  peak: number;
  offset: number | null;
}

export interface BeatDelineation {
  /** R peak sample (the beat's reference point). */
  r: number;
  qrs: { onset: number; offset: number };
  /** null when no P wave clears the amplitude and noise floors (e.g. atrial fibrillation). */
  p: WavePoints | null;
  t: WavePoints | null;
}

export interface DelineationOptions {
  /** R peaks to delineate (default: detectQrs on this lead). */
  rPeaks?: ArrayLike<number>;
  /**
   * P and T waves must reach pMinAmplitude / tMinAmplitude (mV) (default true). false for a lead whose unit is not
   * a voltage: those floors would be a guess there, so only the noise and shape tests remain.
   */
  amplitudeFloors?: boolean;
}

const DESIGN = {
  wideLowHz: 0.5,
  wideHighHz: 40,
  waveHighHz: 15,
  slopeSmoothingS: 0.008,
  qrsSlopeFraction: 0.07,
  qrsQuietS: 0.016,
  qrsMaxHalfS: 0.12,
  baselineS: 0.016,
  tStartS: 0.06,
  tEndS: 0.6,
  tEndRr: 0.55,
  tTangentS: 0.1,
  pStartS: 0.3,
  pGapS: 0.06,
  pTangentS: 0.08,
  pMinAmplitude: 0.02,
  pNoiseRatio: 1.5,
  pHumpFall: 0.9,
  pAfterTPeakS: 0.1,
  pConsistencyS: 0.1,
  pMinShare: 0.5,
  pRivalRatio: 0.8,
  tMinAmplitude: 0.03,
} as const;

/** Delineates every beat of one lead sampled at `fs` Hz (physical units, NaN allowed). */
export function delineateBeats(
  signal: Float32Array,
  fs: number,
  options: DelineationOptions = {},
): BeatDelineation[] {
  if (!(fs > 0 && Number.isFinite(fs)))
    throw new SignalError(`delineateBeats: invalid sampling frequency ${fs} Hz`);
  const rPeaks = Array.from(options.rPeaks ?? detectQrs(signal, fs).rPeaks).filter(
    (r) => r >= 0 && r < signal.length,
  );
  if (rPeaks.length === 0) return [];
  const { filled, nanMask } = bridgeNans(signal);
  const wide = bandpass(filled, DESIGN.wideLowHz, DESIGN.wideHighHz, fs);
  const wave = bandpass(filled, DESIGN.wideLowHz, DESIGN.waveHighHz, fs);
  const ctx: Context = {
    fs,
    raw: signal,
    gap: nanMask,
    wide,
    wave,
    slope: smoothedSlope(wide, fs),
    waveSlope: smoothedSlope(wave, fs),
    floors: options.amplitudeFloors ?? true,
  };
  const beats: BeatDelineation[] = [];
  let previous: BeatDelineation | undefined;
  rPeaks.forEach((r, k) => {
    const qrs = delineateQrs(ctx, r);
    if (qrs === null) {
      previous = undefined;
      return;
    }
    const next = rPeaks[k + 1];
    const level = isoelectricLevel(ctx, qrs.onset);
    const t = delineateT(ctx, r, qrs.offset, next, level);
    // After the previous T peak rather than its offset: a late T-offset estimate must not hide the P wave.
    const earliestP = previous
      ? previous.t
        ? previous.t.peak + sec(ctx, DESIGN.pAfterTPeakS)
        : previous.qrs.offset
      : 0;
    const p = delineateP(ctx, qrs.onset, earliestP, level);
    previous = { r, qrs, p, t };
    beats.push(previous);
  });
  return keepConsistentP(beats, fs);
}

/**
 * Sinus P waves keep a steady distance to their R peak; fibrillation waves picked up as "P" do not. P waves far
 * from the median PR distance are dropped, and all of them when fewer than half of the beats keep one.
 */
function keepConsistentP(beats: BeatDelineation[], fs: number): BeatDelineation[] {
  const distances = beats.filter((b) => b.p).map((b) => b.r - b.p!.peak);
  if (distances.length === 0) return beats;
  const typical = distances.sort((a, b) => a - b)[distances.length >> 1]!;
  const consistent = (b: BeatDelineation) =>
    b.p !== null && Math.abs(b.r - b.p.peak - typical) <= DESIGN.pConsistencyS * fs;
  const keep = beats.filter(consistent).length >= DESIGN.pMinShare * beats.length;
  return beats.map((b) => (keep && consistent(b) ? b : { ...b, p: null }));
}

interface Context {
  fs: number;
  /** The lead as given (NaN where missing). */
  raw: Float32Array;
  /** 1 where `raw` is NaN (or infinite): bridged in the filtered signals below, never a wave point. */
  gap: Uint8Array;
  /** 0.5-40 Hz: QRS shape. */
  wide: Float64Array;
  /** 0.5-15 Hz: P and T waves. */
  wave: Float64Array;
  slope: Float64Array;
  waveSlope: Float64Array;
  /** Whether P and T must clear their mV floors. */
  floors: boolean;
}

const sec = (ctx: Context, s: number) => Math.round(s * ctx.fs);
const clampIndex = (x: ArrayLike<number>, i: number) => Math.min(x.length - 1, Math.max(0, Math.round(i)));

/** Derivative (per second) smoothed over a few ms, so that sample noise does not break slope runs. */
function smoothedSlope(x: Float64Array, fs: number): Float64Array {
  const d = new Float64Array(x.length);
  for (let i = 1; i < x.length - 1; i++) d[i] = ((x[i + 1]! - x[i - 1]!) * fs) / 2;
  return movingAverage(d, Math.max(1, Math.round(DESIGN.slopeSmoothingS * fs)) | 1);
}

/** RMS of the 15-40 Hz residual (wide - wave) over [from, to]: the noise a P wave must stand out from. */
function residualRms(ctx: Context, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, from); i <= Math.min(ctx.wide.length - 1, to); i++, count++) {
    sum += (ctx.wide[i]! - ctx.wave[i]!) ** 2;
  }
  return count > 0 ? Math.sqrt(sum / count) : 0;
}

/**
 * QRS bounds around `r`, or null where the lead does not move around it (flat or missing: R peaks from other
 * leads). There the threshold is 0, or the filters' decaying tail from the last wave, and every sample counted
 * as active: QRS R +- qrsMaxHalfS (240 ms).
 */
function delineateQrs(ctx: Context, r: number): { onset: number; offset: number } | null {
  const half = sec(ctx, DESIGN.qrsMaxHalfS);
  const [from, to] = [clampIndex(ctx.slope, r - (half >> 1)), clampIndex(ctx.slope, r + (half >> 1))];
  if (ctx.gap[r] || isStill(ctx.raw, from, to)) return null;
  let steepest = 0;
  for (let i = from; i <= to; i++) steepest = Math.max(steepest, Math.abs(ctx.slope[i]!));
  if (!(steepest > 0)) return null;
  const threshold = DESIGN.qrsSlopeFraction * steepest;
  const quiet = sec(ctx, DESIGN.qrsQuietS);
  return {
    onset: walkUntilQuiet(ctx, r, -1, threshold, quiet, half),
    offset: walkUntilQuiet(ctx, r, 1, threshold, quiet, half),
  };
}

/** No two different finite samples in [from, to]. */
function isStill(x: Float32Array, from: number, to: number): boolean {
  let first = Number.NaN;
  for (let i = from; i <= to; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    else if (v !== first) return false;
  }
  return true;
}

/** From `start`, steps in `direction` and returns the last sample whose slope reached `threshold` before a
 * run of `quiet` samples below it (or the limit `maxSteps`, or a NaN gap: the complex ends where the lead does). */
function walkUntilQuiet(
  ctx: Context,
  start: number,
  direction: 1 | -1,
  threshold: number,
  quiet: number,
  maxSteps: number,
): number {
  const { slope, gap } = ctx;
  let lastActive = start;
  for (let step = 0; step <= maxSteps; step++) {
    const i = start + direction * step;
    if (i < 0 || i >= slope.length || gap[i]) break;
    if (Math.abs(slope[i]!) >= threshold) lastActive = i;
    else if (Math.abs(i - lastActive) >= quiet) break;
  }
  return lastActive;
}

function isoelectricLevel(ctx: Context, qrsOnset: number): number {
  const from = clampIndex(ctx.wave, qrsOnset - sec(ctx, DESIGN.baselineS));
  let sum = 0;
  for (let i = from; i <= qrsOnset; i++) sum += ctx.wave[i]!;
  return sum / (qrsOnset - from + 1);
}

/** Index of the largest |wave - level| in [from, to] outside NaN gaps, or -1 when there is no such sample. */
function largestDeviation(ctx: Context, from: number, to: number, level: number): number {
  let best = -1;
  for (let i = Math.max(0, from); i <= Math.min(ctx.wave.length - 1, to); i++) {
    if (ctx.gap[i]) continue;
    if (best < 0 || Math.abs(ctx.wave[i]! - level) > Math.abs(ctx.wave[best]! - level)) best = i;
  }
  return best;
}

function delineateT(
  ctx: Context,
  r: number,
  qrsOffset: number,
  nextR: number | undefined,
  level: number,
): WavePoints | null {
  const rr = nextR === undefined ? Infinity : nextR - r;
  const end = r + Math.min(sec(ctx, DESIGN.tEndS), Math.round(DESIGN.tEndRr * rr));
  const peak = largestDeviation(ctx, qrsOffset + sec(ctx, DESIGN.tStartS), end, level);
  if (peak < 0 || besideGap(ctx, peak)) return null;
  if (Math.abs(ctx.wave[peak]! - level) < floor(ctx, DESIGN.tMinAmplitude)) return null;
  const limit = Math.min(peak + sec(ctx, DESIGN.tTangentS), nextR ?? ctx.wave.length - 1);
  return { onset: null, peak, offset: tangentCrossing(ctx, peak, limit, level) };
}

function delineateP(ctx: Context, qrsOnset: number, earliest: number, level: number): WavePoints | null {
  const from = Math.max(earliest, qrsOnset - sec(ctx, DESIGN.pStartS));
  const to = qrsOnset - sec(ctx, DESIGN.pGapS);
  const peak = largestDeviation(ctx, from, to, level);
  if (peak < 0) return null;
  const amplitude = Math.abs(ctx.wave[peak]! - level);
  if (amplitude < floor(ctx, DESIGN.pMinAmplitude)) return null;
  if (amplitude < DESIGN.pNoiseRatio * residualRms(ctx, from, to)) return null;
  // A slope running into the window edge, or into a NaN gap (the wave's peak may lie in it), not a wave.
  if (peak === from || peak === to || besideGap(ctx, peak)) return null;
  const reach = sec(ctx, DESIGN.pTangentS);
  if (!isHump(ctx, peak, level, reach)) return null;
  if (hasRivalHump(ctx, peak, from, to, level, reach)) return null;
  return {
    onset: tangentCrossing(ctx, peak, Math.max(from - (reach >> 1), peak - reach), level),
    peak,
    offset: tangentCrossing(ctx, peak, Math.min(qrsOnset, peak + reach), level),
  };
}

const floor = (ctx: Context, mv: number) => (ctx.floors ? mv : 0);

/** Next to a NaN sample: the largest deviation found there may only be where the lead went missing. */
const besideGap = (ctx: Context, i: number) => ctx.gap[i - 1] === 1 || ctx.gap[i + 1] === 1;

/** A wave falls back at least halfway to the isoelectric level within `reach` on both sides of its peak. */
function isHump(ctx: Context, peak: number, level: number, reach: number): boolean {
  const height = ctx.wave[peak]! - level;
  const fallsBack = (direction: 1 | -1) => {
    for (let step = 1; step <= reach; step++) {
      const i = peak + direction * step;
      if (i < 0 || i >= ctx.wave.length) return false;
      if ((ctx.wave[i]! - level) / height < DESIGN.pHumpFall) return true;
    }
    return false;
  };
  return fallsBack(-1) && fallsBack(1);
}

/**
 * Another hump of the same polarity and comparable height elsewhere in the window (more than `reach` away):
 * fibrillation or flutter waves rather than one P wave.
 */
function hasRivalHump(
  ctx: Context,
  peak: number,
  from: number,
  to: number,
  level: number,
  reach: number,
): boolean {
  const height = ctx.wave[peak]! - level;
  for (let i = Math.max(1, from); i < Math.min(ctx.wave.length - 1, to); i++) {
    if (Math.abs(i - peak) <= reach) continue;
    const v = ctx.wave[i]! - level;
    const isExtremum = (v - (ctx.wave[i - 1]! - level)) * (v - (ctx.wave[i + 1]! - level)) > 0;
    if (isExtremum && v / height > DESIGN.pRivalRatio) return true;
  }
  return false;
}

/**
 * Tangent method: on the limb from `peak` to `towards` (clamped into the signal: a P wave near the start had its
 * onset at negative samples; cut before a NaN gap: the limb ends where the lead does), takes the steepest point
 * that slopes back towards the isoelectric `level`, and returns where its tangent meets that level (clamped into
 * the limb).
 */
function tangentCrossing(ctx: Context, peak: number, towards: number, level: number): number | null {
  let limit = clampIndex(ctx.wave, towards);
  const direction = limit >= peak ? 1 : -1;
  for (let i = peak + direction; direction > 0 ? i <= limit : i >= limit; i += direction) {
    if (ctx.gap[i]) {
      limit = i - direction;
      break;
    }
  }
  const polarity = Math.sign(ctx.wave[peak]! - level) || 1;
  let steepest = -1;
  let steepestValue = 0;
  for (let i = peak; direction > 0 ? i <= limit : i >= limit; i += direction) {
    // Going right, a positive wave falls (negative slope); going left it rises: slope*polarity*direction < 0.
    const towardsLevel = -ctx.waveSlope[i]! * polarity * direction;
    if (towardsLevel > steepestValue) {
      steepestValue = towardsLevel;
      steepest = i;
    }
  }
  if (steepest < 0) return null;
  const crossing = steepest + (level - ctx.wave[steepest]!) / (ctx.waveSlope[steepest]! / ctx.fs);
  const lo = Math.min(peak, limit);
  const hi = Math.max(peak, limit);
  return Math.round(Math.min(hi, Math.max(lo, crossing)));
}
