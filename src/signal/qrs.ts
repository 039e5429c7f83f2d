/**
 * R-peak detection: a multi-lead Pan-Tompkins detector.
 *
 * Per lead: zero-phase band-pass (5-18 Hz), derivative, squaring, normalised by the lead's typical QRS energy;
 * the leads' energies are summed, integrated over a centred 150 ms window, and the integrated signal's peaks go
 * through Pan-Tompkins' adaptive dual thresholds (signal/noise peak levels), a 200 ms refractory period, T-wave
 * discrimination (a candidate within 360 ms of the previous beat needs at least half of its slope) and search-back
 * (after 1.5 median RR without a beat, the best candidate above the lower threshold is taken). Each beat is then
 * moved to the local extremum of the reference lead, in that lead's dominant polarity.
 *
 * Every window is in seconds and every filter is designed from fs, so any sampling rate works.
 * Pure computation (arrays in, indices out): runs in Node and in the browser.
 */
import { SignalError } from '../errors.js';
import { bandpass, movingAverage } from './detect/iir.js';
import { bridgeNans } from './gaps.js';

/** Record-level quality flags. */
export type QrsFlag =
  /** No usable lead: every lead is constant (or NaN). */
  | 'flat'
  /** Shorter than one second (0 samples included): too little to learn thresholds from. */
  | 'too_short'
  /** Candidates between beats are nearly as strong as beats: detections are unreliable. */
  | 'noisy'
  /** The reference lead's QRS complexes point mostly downwards (peaks are located on minima). */
  | 'inverted'
  /** Some samples were NaN (invalid); they were bridged and no beat is reported inside them. */
  | 'nan_gaps'
  /** Narrow, steep pacemaker spikes were found (and removed before detection). */
  | 'pacing_spikes';

export interface QrsOptions {
  /** Index of the lead on which R peaks are located (default: the first usable lead). */
  referenceLead?: number;
}

export interface QrsDetection {
  fs: number;
  /** Sample indices of the R peaks, ascending. */
  rPeaks: Int32Array;
  /** For each beat, true when it was only found by search-back (a weaker, less certain detection). */
  searchBack: boolean[];
  flags: QrsFlag[];
  /** The lead the peaks were located on (-1 when no lead was usable). */
  referenceLead: number;
  /** Dominant QRS polarity of the reference lead: 1 upright, -1 inverted. */
  polarity: 1 | -1;
  /** Indices of the leads whose energy was combined. */
  leadsUsed: number[];
}

/** Tunable constants of the detector, in seconds, Hz or plain ratios (one table, no magic numbers below). */
const DESIGN = {
  bandLowHz: 5,
  bandHighHz: 18,
  locateLowHz: 1,
  locateHighHz: 40,
  integrationS: 0.15,
  /** |slope|^1.5 rather than Pan-Tompkins' square: wide, slurred beats keep more weight (measured on MIT-BIH). */
  slopePower: 1.5,
  thresholdFraction: 0.33,
  candidateSpacingS: 0.12,
  refractoryS: 0.2,
  tWaveWindowS: 0.36,
  tWaveSlopeRatio: 0.5,
  searchBackRr: 1.5,
  searchBackMaxS: 5,
  locateHalfWindowS: 0.1,
  visibleAmplitudeRatio: 0.2,
  learningS: 8,
  spikeSlopeRatio: 3,
  spikeMinSlope: 20,
  spikeWidthS: 0.012,
  spikeQuantile: 0.99,
  pacedSpikesPerS: 0.3,
  leadSwitchRatio: 0.2,
  qualityBlockS: 4,
  maxLevelJump: 3,
  staleS: 3,
  maxStaleHalvings: 6,
  /**
   * Halving needs evidence of beats below the threshold: a recent candidate (past the last beat's T wave) this many
   * times the median of those candidates. A pause (sinus arrest, block) has only baseline noise, and halving there
   * left thresholds low for ~30 beats after it: T waves and noise counted as beats (measured on spliced pauses).
   */
  staleContrast: 3,
  staleAfterBeatS: 0.5,
  /**
   * A 2 s block whose integrated energy stays under this fraction of the record's typical block maximum holds no
   * beat (a masked or flat stretch): thresholds are not learnt there, and no level is measured from below it.
   */
  deadBlockRatio: 0.1,
  /** A lead whose QRS band never exceeds this many steps of its own resolution is flat (mV, V, µV alike)... */
  flatSteps: 4,
  /**
   * ... capped at the absolute level that was the whole rule for leads in mV: a sparse signal whose smallest change
   * is large (a synthetic one) is not flat, and no lead in mV is flatter than it was.
   */
  flatCeiling: 0.01,
  /** Relative to the lead's magnitude: a constant lead's numerical residue after filtering (no resolution step). */
  flatPrecision: 1e-6,
  noisyRatio: 0.45,
} as const;

/** Detects R peaks in one lead or several synchronous leads sampled at `fs` Hz. */
export function detectQrs(
  leads: Float32Array | Float32Array[],
  fs: number,
  options: QrsOptions = {},
): QrsDetection {
  // Any positive rate is safe below (every window is at least one sample); 0, NaN or Infinity is not a rate.
  if (!(fs > 0 && Number.isFinite(fs)))
    throw new SignalError(`detectQrs: invalid sampling frequency ${fs} Hz`);
  const signals = Array.isArray(leads) ? leads : [leads];
  const n = signals[0]?.length ?? 0;
  if (signals.some((s) => s.length !== n))
    throw new SignalError(
      `detectQrs: leads of different lengths (${signals.map((s) => s.length).join(', ')})`,
    );
  const flags = new Set<QrsFlag>();
  if (n < fs) flags.add('too_short');
  const prepared = signals.map((s) => prepareLead(s, fs));
  if (prepared.some((p) => p.nanCount > 0)) flags.add('nan_gaps');
  // A few isolated steep artefacts are common; pacing means spikes at (nearly) every beat.
  if (prepared.some((p) => p.spikes > 0 && p.spikes >= DESIGN.pacedSpikesPerS * (n / fs))) {
    flags.add('pacing_spikes');
  }
  const usable = prepared.map((p, i) => (p.flat ? -1 : i)).filter((i) => i >= 0);
  const reference = chooseReference(options.referenceLead, usable);
  const empty = {
    fs,
    rPeaks: new Int32Array(0),
    searchBack: [],
    referenceLead: reference,
    polarity: 1 as const,
  };
  if (usable.length === 0 || n < 3) {
    if (usable.length === 0) flags.add('flat');
    return { ...empty, flags: [...flags], leadsUsed: usable };
  }
  const ordered = [reference, ...usable.filter((i) => i !== reference)];
  const nanMask = combinedNanMask(prepared, n);
  const combined = combinedEnergy(
    ordered.map((i) => prepared[i]!.band),
    fs,
  );
  const energy = combined.energy;
  for (let i = 0; i < n; i++) if (nanMask[i]) energy[i] = 0;
  const integrated = movingAverage(energy, oddWidth(DESIGN.integrationS * fs));
  const decisions = thresholdPeaks(integrated, energy, fs, combined.switches);
  if (decisions.noiseRatio > DESIGN.noisyRatio) flags.add('noisy');
  const views = ordered.map((i) => leadView(prepared[i]!.locate, decisions.peaks, fs));
  const polarity = views[0]!.polarity;
  if (polarity < 0) flags.add('inverted');
  const located = locatePeaks(views, decisions.peaks, fs);
  const keep = keepDistinct(located, Math.round(DESIGN.refractoryS * fs)).map(
    (k, i) => k && !nanMask[located[i]!],
  );
  return {
    fs,
    rPeaks: Int32Array.from(located.filter((_, k) => keep[k])),
    searchBack: decisions.searchBack.filter((_, k) => keep[k]),
    flags: [...flags],
    referenceLead: reference,
    polarity,
    leadsUsed: usable,
  };
}

function chooseReference(requested: number | undefined, usable: number[]): number {
  if (requested !== undefined && usable.includes(requested)) return requested;
  return usable[0] ?? -1;
}

function oddWidth(samples: number): number {
  return 2 * Math.floor(Math.max(1, Math.round(samples)) / 2) + 1;
}

interface PreparedLead {
  /** QRS band (5-18 Hz), for energy. */
  band: Float64Array;
  /** Wide band (1-40 Hz), baseline-free, for locating peaks. */
  locate: Float64Array;
  flat: boolean;
  nanCount: number;
  nanMask: Uint8Array;
  spikes: number;
}

function prepareLead(signal: Float32Array, fs: number): PreparedLead {
  const { filled, nanMask, nanCount } = bridgeNans(signal);
  const spikes = removePacingSpikes(filled, fs);
  const band = bandpass(filled, DESIGN.bandLowHz, DESIGN.bandHighHz, fs);
  const locate = bandpass(filled, DESIGN.locateLowHz, DESIGN.locateHighHz, fs);
  const flat = nanCount === signal.length || maxAbs(band) <= flatLevel(signal);
  return { band, locate, flat, nanCount, nanMask, spikes };
}

/**
 * Pacemaker spikes are far steeper and narrower than any QRS; left in, their ringing after band-pass filtering
 * can look like beats. A jump much steeper than the lead's typical QRS slope, followed within a few ms by a jump
 * back, is bridged by a straight line. Returns the number of spikes removed.
 */
function removePacingSpikes(x: Float64Array, fs: number): number {
  const n = x.length;
  if (n < 3) return 0;
  const jumps = new Float64Array(n);
  for (let i = 1; i < n; i++) jumps[i] = Math.abs(x[i]! - x[i - 1]!);
  // A high quantile rather than the maximum per block: spikes themselves must not set the typical QRS slope.
  const typical = typicalBlockQuantile(jumps, Math.round(2 * fs), DESIGN.spikeQuantile);
  const floor = Math.max(DESIGN.spikeSlopeRatio * typical, (DESIGN.spikeMinSlope * 1) / fs);
  const width = Math.max(2, Math.round(DESIGN.spikeWidthS * fs));
  let count = 0;
  for (let i = 1; i < n; i++) {
    const jump = x[i]! - x[i - 1]!;
    if (Math.abs(jump) < floor) continue;
    const back = findReturn(x, i, jump, width);
    if (back < 0) continue;
    bridge(x, i - 1, back);
    count++;
    i = back;
  }
  return count;
}

/** First sample within `width` after `start` where a jump of the opposite sign undoes at least half of `jump`. */
function findReturn(x: Float64Array, start: number, jump: number, width: number): number {
  for (let j = start + 1; j <= Math.min(x.length - 1, start + width); j++) {
    if (-(x[j]! - x[j - 1]!) * Math.sign(jump) >= 0.5 * Math.abs(jump)) return j;
  }
  return -1;
}

function bridge(x: Float64Array, from: number, to: number): void {
  for (let j = from + 1; j < to; j++) x[j] = x[from]! + ((j - from) / (to - from)) * (x[to]! - x[from]!);
}

/**
 * Band amplitude at or below which a lead is flat: a few steps of its resolution (the smallest change between
 * consecutive samples; constant plus quantisation noise stays under it), never an absolute amplitude, which
 * depends on the unit (an ECG in volts has QRS complexes of ~0.001).
 */
function flatLevel(signal: Float32Array): number {
  let step = Infinity;
  let magnitude = 0;
  for (let i = 0; i < signal.length; i++) {
    const v = signal[i]!;
    if (!Number.isFinite(v)) continue;
    magnitude = Math.max(magnitude, Math.abs(v));
    const change = i > 0 ? Math.abs(v - signal[i - 1]!) : 0;
    if (change > 0 && change < step) step = change; // a change from NaN or infinity fails one of the tests
  }
  const resolution = Number.isFinite(step) ? Math.min(DESIGN.flatSteps * step, DESIGN.flatCeiling) : 0;
  return Math.max(resolution, DESIGN.flatPrecision * magnitude);
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

function combinedNanMask(prepared: PreparedLead[], n: number): Uint8Array {
  const mask = new Uint8Array(n);
  const valid = prepared.filter((p) => p.nanCount < n);
  if (valid.length === 0) return mask;
  // A sample is masked when every lead that has data is invalid there.
  mask.fill(1);
  for (const p of valid) for (let i = 0; i < n; i++) mask[i]! &= p.nanMask[i]!;
  return mask;
}

/**
 * Slope energy of the reference lead (first in `bands`), each lead scaled by its typical QRS energy. Where the
 * reference lead is locally much worse than another lead (saturated, disconnected, drowned in noise: its
 * integrated energy has a low peak-to-floor ratio over a few seconds), that other lead's energy is used instead.
 * Averaging all leads all the time was measured worse on MIT-BIH: a noisy second lead adds its noise.
 */
function combinedEnergy(bands: Float64Array[], fs: number): { energy: Float64Array; switches: number[] } {
  const n = bands[0]!.length;
  const energies = bands.map((band) => {
    const slope = slopeEnergy(band, fs);
    const scale = typicalBlockMax(slope, Math.round(2 * fs)) || 1;
    for (let i = 0; i < n; i++) slope[i]! /= scale;
    return slope;
  });
  if (energies.length === 1) return { energy: energies[0]!, switches: [] };
  const block = Math.max(1, Math.round(DESIGN.qualityBlockS * fs));
  const quality = energies.map((e) =>
    blockQuality(movingAverage(e, oddWidth(DESIGN.integrationS * fs)), block),
  );
  const chosen = quality[0]!.map((refQuality, b) => {
    let best = 0;
    quality.forEach((q, l) => {
      if (q[b]! > quality[best]![b]!) best = l;
    });
    return refQuality < DESIGN.leadSwitchRatio * quality[best]![b]! ? best : 0;
  });
  const weights = energies.map((_, l) =>
    interpolateBlocks(
      chosen.map((c) => (c === l ? 1 : 0)),
      block,
      n,
    ),
  );
  const total = new Float64Array(n);
  energies.forEach((e, l) => {
    const w = weights[l]!;
    for (let i = 0; i < n; i++) total[i]! += w[i]! * e[i]!;
  });
  // Where the lead in use changes, its noise level does too: the thresholds are learnt again from there.
  const switches = chosen.flatMap((c, b) =>
    b > 0 && c !== chosen[b - 1] ? [Math.round((b + 0.5) * block)] : [],
  );
  return { energy: total, switches };
}

/** Peak-to-floor ratio (block maximum over block median) of each block: high for clean beats, ~1 for noise. */
function blockQuality(integrated: Float64Array, block: number): number[] {
  const out: number[] = [];
  // The integrated energy is smooth over 150 ms: ~256 evenly spaced samples per block give the same median.
  const stride = Math.max(1, Math.floor(block / 256));
  for (let start = 0; start < integrated.length; start += block) {
    const part = integrated.subarray(start, Math.min(integrated.length, start + block));
    const peak = maxAbs(part);
    const sampled = part.filter((_, i) => i % stride === 0);
    out.push(peak / (median(sampled) + 1e-9 * peak + 1e-30));
  }
  return out;
}

/** Per-sample values linearly interpolated between block centres. */
function interpolateBlocks(values: number[], block: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const half = Math.floor(block / 2);
  out.fill(values[0]!, 0, Math.min(n, half));
  // Between two block centres the value ramps linearly; after the last centre it holds.
  for (let b = 0; b < values.length; b++) {
    const from = b * block + half;
    const to = Math.min(n, from + block);
    const next = values[Math.min(b + 1, values.length - 1)]!;
    const step = (next - values[b]!) / block;
    for (let i = from; i < to; i++) out[i] = values[b]! + step * (i - from);
  }
  return out;
}

function slopeEnergy(x: Float64Array, fs: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 1; i < n - 1; i++) {
    const d = Math.abs(((x[i + 1]! - x[i - 1]!) * fs) / 2);
    out[i] = d * Math.sqrt(d); // |d|^1.5 (DESIGN.slopePower), without the slow generic pow
  }
  return out;
}

/**
 * Median over consecutive blocks of each block's maximum: the typical height of a beat's energy peak. Blocks are
 * at least one sample: at a rate below 0.25 Hz a 2 s block rounds to 0, which would never advance.
 */
function typicalBlockMax(x: Float64Array, samples: number): number {
  return median(blockMaxima(x, samples));
}

function blockMaxima(x: Float64Array, samples: number): number[] {
  const block = Math.max(1, samples);
  const maxima: number[] = [];
  for (let start = 0; start < x.length; start += block) {
    let m = 0;
    const end = Math.min(x.length, start + block);
    for (let i = start; i < end; i++) m = Math.max(m, x[i]!);
    maxima.push(m);
  }
  return maxima;
}

/** Median over consecutive blocks (at least one sample each) of each block's `quantile` (0..1). */
function typicalBlockQuantile(x: Float64Array, samples: number, quantile: number): number {
  const block = Math.max(1, samples);
  const values: number[] = [];
  for (let start = 0; start < x.length; start += block) {
    const end = Math.min(x.length, start + block);
    values.push(kthLargest(x, start, end, Math.max(1, Math.ceil((1 - quantile) * (end - start)))));
  }
  return median(values);
}

/** The k-th largest of x[start..end), keeping only the k largest seen (k is small: one pass, few inserts). */
function kthLargest(x: Float64Array, start: number, end: number, k: number): number {
  const top = new Float64Array(k).fill(-Infinity); // descending
  for (let i = start; i < end; i++) {
    const v = x[i]!;
    if (v <= top[k - 1]!) continue;
    let j = k - 1;
    while (j > 0 && top[j - 1]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = v;
  }
  return top[k - 1]! === -Infinity ? 0 : top[k - 1]!;
}

function median(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort(); // typed sort: numeric, and fast on long blocks
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Local maxima of `x` that are the largest within ±`spacing` samples (ties keep the first). */
function candidatePeaks(x: Float64Array, spacing: number): number[] {
  const peaks: number[] = [];
  for (let i = 1; i < x.length - 1; i++) {
    if (!(x[i]! > x[i - 1]! && x[i]! >= x[i + 1]!)) continue;
    const last = peaks[peaks.length - 1];
    if (last !== undefined && i - last <= spacing) {
      if (x[i]! > x[last]!) peaks[peaks.length - 1] = i;
      continue;
    }
    peaks.push(i);
  }
  return peaks;
}

interface ThresholdDecisions {
  peaks: number[];
  searchBack: boolean[];
  /** Mean noise level / signal level over the record (0 clean, ~1 beats indistinguishable from noise). */
  noiseRatio: number;
}

/** Pan-Tompkins decision rules on the integrated energy (see the module comment). */
function thresholdPeaks(
  integrated: Float64Array,
  energy: Float64Array,
  fs: number,
  resets: number[],
): ThresholdDecisions {
  const candidates = candidatePeaks(integrated, Math.round(DESIGN.candidateSpacingS * fs));
  const dead = deadLevel(integrated, fs);
  let state = initialLevels(integrated, fs, dead);
  let nextReset = 0;
  const refractory = Math.round(DESIGN.refractoryS * fs);
  const tWindow = Math.round(DESIGN.tWaveWindowS * fs);
  const slopeHalf = Math.round(0.075 * fs);
  const peaks: number[] = [];
  const searchBack: boolean[] = [];
  const slopes: number[] = [];
  const pending: number[] = []; // rejected candidates since the last beat, for search-back
  let staleHalvings = 0;
  let ratioSum = 0;
  let ratioCount = 0;
  const slopeAt = (i: number) => windowMax(energy, i - slopeHalf, i + slopeHalf);
  const threshold = () => state.noise + DESIGN.thresholdFraction * (state.signal - state.noise);

  const accept = (i: number, viaSearchBack: boolean) => {
    peaks.push(i);
    searchBack.push(viaSearchBack);
    slopes.push(slopeAt(i));
    const weight = viaSearchBack ? 0.25 : 0.125;
    // One artefact far above the beats must not lift the threshold over every following beat; measured from at
    // least the dead level, so that a level near 0 can still rise.
    const value = Math.min(integrated[i]!, DESIGN.maxLevelJump * Math.max(state.signal, dead));
    state.signal = weight * value + (1 - weight) * state.signal;
    ratioSum += state.noise / Math.max(state.signal, 1e-12);
    ratioCount++;
    pending.length = 0;
    staleHalvings = 0;
  };
  const isTWave = (i: number) => {
    const last = peaks[peaks.length - 1];
    if (last === undefined || i - last >= tWindow) return false;
    return slopeAt(i) < DESIGN.tWaveSlopeRatio ** DESIGN.slopePower * slopes[slopes.length - 1]!;
  };
  const trySearchBack = (now: number) => {
    for (;;) {
      const last = peaks[peaks.length - 1];
      const limit = DESIGN.searchBackRr * medianRr(peaks, fs);
      if (last === undefined || now - last <= limit) return;
      // Only recent candidates can be a missed beat; this also keeps long beat-less stretches linear in time.
      while (pending.length > 0 && now - pending[0]! > DESIGN.searchBackMaxS * fs) pending.shift();
      const lower = 0.5 * threshold();
      const best = pending
        .filter((c) => c - last >= refractory && integrated[c]! > lower && !isTWave(c))
        .reduce((b, c) => (b < 0 || integrated[c]! > integrated[b]! ? c : b), -1);
      if (best < 0) {
        // Nothing above the lower threshold for a long time: the signal level is stale (amplitude dropped), unless
        // nothing beat-like is there at all (a pause).
        if (now - last < DESIGN.staleS * fs || staleHalvings >= DESIGN.maxStaleHalvings) return;
        if (!beatsBelowThreshold(last)) return;
        // One step per new candidate, so that a long gap (or a bridged NaN stretch) cannot collapse it at once.
        state.signal *= 0.5;
        state.noise *= 0.5;
        staleHalvings++;
        return;
      }
      const later = pending.filter((c) => c > best);
      accept(best, true);
      pending.push(...later);
    }
  };

  for (const i of candidates) {
    while (nextReset < resets.length && resets[nextReset]! <= i) {
      state = initialLevels(integrated.subarray(resets[nextReset++]!), fs, dead);
    }
    trySearchBack(i);
    const value = integrated[i]!;
    const last = peaks[peaks.length - 1];
    if (value > threshold() && !isTWave(i)) {
      if (last !== undefined && i - last < refractory) {
        if (value > integrated[last]!) replaceLast(i);
        continue;
      }
      accept(i, false);
    } else {
      state.noise = 0.125 * Math.min(value, state.signal) + 0.875 * state.noise;
      pending.push(i);
    }
  }
  trySearchBack(integrated.length - 1);
  return { peaks, searchBack, noiseRatio: ratioCount ? ratioSum / ratioCount : 1 };

  function beatsBelowThreshold(last: number): boolean {
    const values = pending.filter((c) => c - last >= DESIGN.staleAfterBeatS * fs).map((c) => integrated[c]!);
    return values.length >= 3 && Math.max(...values) >= DESIGN.staleContrast * median(values);
  }

  function replaceLast(i: number) {
    peaks[peaks.length - 1] = i;
    slopes[slopes.length - 1] = slopeAt(i);
  }
}

/** Integrated energy under which a 2 s block holds no beat: a fraction of the typical maximum of blocks with any. */
function deadLevel(integrated: Float64Array, fs: number): number {
  const live = blockMaxima(integrated, Math.round(2 * fs)).filter((m) => m > 0);
  return DESIGN.deadBlockRatio * median(live);
}

/**
 * Starting signal/noise levels from the first seconds that hold beats: typical 2 s block maximum vs the median
 * level. Leading blocks under `dead` (a NaN or flat lead-in) are skipped: learnt there, both levels were ~0 and
 * nearly every candidate became a beat for minutes.
 */
function initialLevels(
  integrated: Float64Array,
  fs: number,
  dead: number,
): { signal: number; noise: number } {
  const block = Math.max(1, Math.round(2 * fs));
  let from = 0;
  while (from + block < integrated.length && windowMax(integrated, from, from + block - 1) < dead)
    from += block;
  const span = integrated.subarray(
    from,
    Math.min(integrated.length, from + Math.round(DESIGN.learningS * fs)),
  );
  const signal = typicalBlockMax(span, Math.round(2 * fs));
  const noise = median(Array.from(span));
  return { signal, noise: Math.min(noise, 0.5 * signal) };
}

/** Median of the last 8 RR intervals in samples (1 s when fewer than two beats are known). */
function medianRr(peaks: number[], fs: number): number {
  if (peaks.length < 2) return fs;
  const rr: number[] = [];
  for (let k = Math.max(1, peaks.length - 8); k < peaks.length; k++) rr.push(peaks[k]! - peaks[k - 1]!);
  return median(rr);
}

function windowMax(x: Float64Array, from: number, to: number): number {
  let m = 0;
  for (let i = Math.max(0, from); i <= Math.min(x.length - 1, to); i++) m = Math.max(m, x[i]!);
  return m;
}

/** +1 when the beats' largest deflections are mostly upward on this lead, -1 when mostly downward. */
function dominantPolarity(x: Float64Array, peaks: number[], fs: number): 1 | -1 {
  const half = Math.round(DESIGN.locateHalfWindowS * fs);
  let votes = 0;
  for (const p of peaks) {
    const { max, min } = windowExtrema(x, p - half, p + half);
    votes += x[max]! >= -x[min]! ? 1 : -1;
  }
  return votes >= 0 ? 1 : -1;
}

function windowExtrema(x: Float64Array, from: number, to: number): { max: number; min: number } {
  const lo = Math.max(0, from);
  const hi = Math.min(x.length - 1, to);
  let max = lo;
  let min = lo;
  for (let i = lo; i <= hi; i++) {
    if (x[i]! > x[max]!) max = i;
    if (x[i]! < x[min]!) min = i;
  }
  return { max, min };
}

/** A lead as seen by the locator: its wide-band signal, dominant polarity and typical beat amplitude. */
interface LeadView {
  x: Float64Array;
  polarity: 1 | -1;
  typicalAmplitude: number;
}

function leadView(x: Float64Array, peaks: number[], fs: number): LeadView {
  const half = Math.round(DESIGN.locateHalfWindowS * fs);
  const amplitudes = peaks.map((p) => {
    const { max, min } = windowExtrema(x, p - half, p + half);
    return x[max]! - x[min]!;
  });
  return { x, polarity: dominantPolarity(x, peaks, fs), typicalAmplitude: median(amplitudes) };
}

/**
 * Moves each detection to a lead's extremum nearby: on the reference lead (the first view) unless it shows no
 * complex there (disconnected, flat stretch), then on the next lead that does. The dominant polarity's extremum
 * is taken unless the opposite deflection is twice as large (e.g. a ventricular beat of opposite polarity).
 */
function locatePeaks(views: LeadView[], peaks: number[], fs: number): number[] {
  const half = Math.round(DESIGN.locateHalfWindowS * fs);
  return peaks.map((p) => {
    const extremaOf = (v: LeadView) => windowExtrema(v.x, p - half, p + half);
    const visible = (v: LeadView) => {
      const { max, min } = extremaOf(v);
      return v.x[max]! - v.x[min]! >= DESIGN.visibleAmplitudeRatio * v.typicalAmplitude;
    };
    const view = views.find(visible) ?? views[0]!;
    const { max, min } = extremaOf(view);
    const [dominant, opposite] = view.polarity > 0 ? [max, min] : [min, max];
    return Math.abs(view.x[opposite]!) > 2 * Math.abs(view.x[dominant]!) ? opposite : dominant;
  });
}

/** False for a detection that landed on the same complex as the previous kept one (`located` is ascending). */
function keepDistinct(located: number[], minGap: number): boolean[] {
  let last = -Infinity;
  return located.map((p) => {
    if (p - last < minGap) return false;
    last = p;
    return true;
  });
}
