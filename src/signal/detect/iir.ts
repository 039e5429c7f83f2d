/**
 * Small zero-phase IIR filters for the detectors (private to src/signal/qrs.ts and delineate.ts).
 * Second-order Butterworth sections from the bilinear transform (RBJ audio-EQ formulas), run forward then
 * backward so that filtered waves keep their timing: fiducial points are read straight off the output.
 */

/** Normalised biquad: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

const BUTTERWORTH_Q = Math.SQRT1_2;

/** Second-order Butterworth section; the cutoff is clamped below Nyquist so any fs yields a stable filter. */
export function butterworthSection(kind: 'lowpass' | 'highpass', cutoffHz: number, fs: number): Biquad {
  const nyquistSafe = Math.min(cutoffHz, 0.45 * fs);
  const w0 = (2 * Math.PI * nyquistSafe) / fs;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * BUTTERWORTH_Q);
  const a0 = 1 + alpha;
  const b1 = kind === 'lowpass' ? 1 - cos : -(1 + cos);
  const b0 = kind === 'lowpass' ? (1 - cos) / 2 : (1 + cos) / 2;
  return { b0: b0 / a0, b1: b1 / a0, b2: b0 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/** One causal pass in place, starting from the steady state of a constant input equal to data[0]. */
function runSection(data: Float64Array, s: Biquad, reverse: boolean): void {
  const n = data.length;
  if (n === 0) return;
  const first = reverse ? data[n - 1]! : data[0]!;
  const dcGain = (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2);
  // Transposed direct form II state for a constant input `first` (so the filter starts without a step).
  let z2 = s.b2 * first - s.a2 * first * dcGain;
  let z1 = s.b1 * first - s.a1 * first * dcGain + z2;
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    const x = data[i]!;
    const y = s.b0 * x + z1;
    z1 = s.b1 * x - s.a1 * y + z2;
    z2 = s.b2 * x - s.a2 * y;
    data[i] = y;
  }
}

/**
 * Zero-phase filtering (forward-backward) through a cascade of sections. The input is padded at both ends by
 * odd reflection (up to `padSeconds`) so that edge transients fall outside the returned samples.
 */
export function filtfilt(
  input: ArrayLike<number>,
  sections: Biquad[],
  fs: number,
  padSeconds = 1,
): Float64Array {
  const n = input.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.min(n - 1, Math.round(padSeconds * fs));
  const work = new Float64Array(n + 2 * pad);
  const first = input[0]!;
  const last = input[n - 1]!;
  for (let i = 0; i < pad; i++) work[i] = 2 * first - input[pad - i]!;
  for (let i = 0; i < n; i++) work[pad + i] = input[i]!;
  for (let i = 0; i < pad; i++) work[pad + n + i] = 2 * last - input[n - 2 - i]!;
  for (const s of sections) runSection(work, s, false);
  for (const s of sections) runSection(work, s, true);
  return work.subarray(pad, pad + n);
}

/** Zero-phase band-pass: one high-pass and one low-pass Butterworth section (each run twice). */
export function bandpass(input: ArrayLike<number>, lowHz: number, highHz: number, fs: number): Float64Array {
  return filtfilt(
    input,
    [butterworthSection('highpass', lowHz, fs), butterworthSection('lowpass', highHz, fs)],
    fs,
  );
}

/** Centred moving average over `width` samples (odd widths keep it symmetric), via a running sum. */
export function movingAverage(input: ArrayLike<number>, width: number): Float64Array {
  const n = input.length;
  const out = new Float64Array(n);
  const half = Math.floor(Math.max(1, width) / 2);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + input[i]!;
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - half);
    const hi = Math.min(n, i + half + 1);
    out[i] = (prefix[hi]! - prefix[lo]!) / (hi - lo);
  }
  return out;
}
