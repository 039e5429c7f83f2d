/**
 * IIR filtering as scipy.signal does it, in float64: Butterworth design as second-order sections
 * (butter(..., output='sos'), same poles, zeros, pairing and section order), zero-phase filtering with
 * sosfiltfilt semantics (odd extension, initial conditions from sosfilt_zi), and the iirnotch design.
 *
 * NaN policy: a NaN would spread through every later sample of an IIR filter, so the filters refuse NaN input
 * with a SignalError by default. With `{ nan: 'bridge' }` gaps are bridged by linear interpolation (edges hold
 * the nearest valid value), the signal is filtered, and the gap samples are NaN again in the output.
 */
import { SignalError } from '../errors.js';

/** One second-order section: [b0, b1, b2, a0, a1, a2] with a0 = 1. */
export type SosSection = [number, number, number, number, number, number];
export type Sos = SosSection[];
export type FilterType = 'lowpass' | 'highpass' | 'bandpass';
export type Samples = ArrayLike<number>;

export interface NanOptions {
  /** 'throw' (default): NaN input is a SignalError; 'bridge': interpolate gaps, filter, restore NaN. */
  nan?: 'throw' | 'bridge';
}

// ---------- complex arithmetic (just what the zpk transforms need) ----------

interface Complex {
  re: number;
  im: number;
}
const c = (re: number, im = 0): Complex => ({ re, im });
const add = (a: Complex, b: Complex) => c(a.re + b.re, a.im + b.im);
const sub = (a: Complex, b: Complex) => c(a.re - b.re, a.im - b.im);
const mul = (a: Complex, b: Complex) => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const scale = (a: Complex, s: number) => c(a.re * s, a.im * s);
const abs = (a: Complex) => Math.hypot(a.re, a.im);
/** Smith's algorithm, as numpy divides complex numbers (so results agree to the last bit). */
function div(a: Complex, b: Complex): Complex {
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    const ratio = b.im / b.re;
    const inverse = 1 / (b.re + b.im * ratio);
    return c((a.re + a.im * ratio) * inverse, (a.im - a.re * ratio) * inverse);
  }
  const ratio = b.re / b.im;
  const inverse = 1 / (b.im + b.re * ratio);
  return c((a.re * ratio + a.im) * inverse, (a.im * ratio - a.re) * inverse);
}
/** Principal square root, as numpy's. */
function sqrt(a: Complex): Complex {
  const r = abs(a);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sqrt((r - a.re) / 2);
  return c(re, a.im < 0 || (a.im === 0 && Object.is(a.im, -0)) ? -im : im);
}
const product = (values: Complex[]) => values.reduce(mul, c(1));

interface Zpk {
  z: Complex[];
  p: Complex[];
  k: number;
}

// ---------- Butterworth design ----------

/** Analog prototype to the wanted band; `warped` are pre-warped edge frequencies (rad/s). */
const TRANSFORMS: Record<FilterType, { edges: 1 | 2; apply(proto: Zpk, warped: number[]): Zpk }> = {
  lowpass: {
    edges: 1,
    apply: ({ z, p, k }, [wo = 0]) => ({
      z: z.map((v) => scale(v, wo)),
      p: p.map((v) => scale(v, wo)),
      k: k * wo ** (p.length - z.length),
    }),
  },
  highpass: {
    edges: 1,
    apply: ({ z, p, k }, [wo = 0]) => ({
      z: [...z.map((v) => div(c(wo), v)), ...Array.from({ length: p.length - z.length }, () => c(0))],
      p: p.map((v) => div(c(wo), v)),
      k: k * div(product(z.map((v) => scale(v, -1))), product(p.map((v) => scale(v, -1)))).re,
    }),
  },
  bandpass: {
    edges: 2,
    apply: ({ z, p, k }, [low = 0, high = 0]) => {
      const bw = high - low;
      const wo = Math.sqrt(low * high);
      const wo2 = c(wo * wo);
      const split = (values: Complex[]) => {
        const lp = values.map((v) => scale(v, bw / 2));
        const root = lp.map((v) => sqrt(sub(mul(v, v), wo2)));
        return [...lp.map((v, i) => add(v, root[i]!)), ...lp.map((v, i) => sub(v, root[i]!))];
      };
      const degree = p.length - z.length;
      return {
        z: [...split(z), ...Array.from({ length: degree }, () => c(0))],
        p: split(p),
        k: k * bw ** degree,
      };
    },
  },
};

/**
 * Digital Butterworth filter as second-order sections, like scipy.signal.butter(order, cutoff, type, fs=fs,
 * output='sos'). `cutoff` in Hz: one frequency for low/high-pass, [low, high] for band-pass.
 */
export function butter(order: number, cutoff: number | readonly number[], type: FilterType, fs: number): Sos {
  const edges = typeof cutoff === 'number' ? [cutoff] : [...cutoff];
  if (!Number.isInteger(order) || order < 1 || order > 24)
    throw new SignalError(`invalid filter order ${order}`);
  if (edges.length !== TRANSFORMS[type].edges) {
    throw new SignalError(`${type} needs ${TRANSFORMS[type].edges} cutoff frequencies, got ${edges.length}`);
  }
  if (!(fs > 0 && Number.isFinite(fs))) throw new SignalError(`invalid sampling frequency ${fs} Hz`);
  if (edges.some((f, i) => !(f > 0 && f < fs / 2) || (i > 0 && f <= edges[i - 1]!))) {
    throw new SignalError(`cutoff ${edges.join('-')} Hz must be increasing and within (0, ${fs / 2}) Hz`);
  }
  // Pre-warp for the bilinear transform with scipy's design rate of 2 (frequencies normalised to Nyquist).
  const warped = edges.map((f) => 4 * Math.tan((Math.PI * ((2 * f) / fs)) / 2));
  const prototype: Zpk = {
    z: [],
    p: Array.from({ length: order }, (_, i) => {
      const angle = (Math.PI * (-order + 1 + 2 * i)) / (2 * order);
      return c(-Math.cos(angle), -Math.sin(angle));
    }),
    k: 1,
  };
  const analog = TRANSFORMS[type].apply(prototype, warped);
  return zpkToSos(bilinear(analog, 2));
}

function bilinear({ z, p, k }: Zpk, fs: number): Zpk {
  const fs2 = c(2 * fs);
  const degree = p.length - z.length;
  const gain = div(product(z.map((v) => sub(fs2, v))), product(p.map((v) => sub(fs2, v)))).re;
  return {
    z: [...z.map((v) => div(add(fs2, v), sub(fs2, v))), ...Array.from({ length: degree }, () => c(-1))],
    p: p.map((v) => div(add(fs2, v), sub(fs2, v))),
    k: k * gain,
  };
}

// ---------- zpk -> sos, reproducing scipy.signal.zpk2sos(pairing='nearest') ----------

const isReal = (v: Complex) => v.im === 0;

/** scipy's _cplxreal: one of each conjugate pair (positive imaginary part) first, then the real values. */
function complexThenReal(values: Complex[]): Complex[] {
  const tol = 100 * Number.EPSILON;
  const sorted = [...values].sort((a, b) => a.re - b.re || Math.abs(a.im) - Math.abs(b.im));
  const reals = sorted.filter((v) => Math.abs(v.im) <= tol * abs(v)).map((v) => c(v.re));
  const positive = sorted.filter((v) => !(Math.abs(v.im) <= tol * abs(v)) && v.im > 0);
  const negative = sorted.filter((v) => !(Math.abs(v.im) <= tol * abs(v)) && v.im < 0);
  if (positive.length !== negative.length) throw new SignalError('complex values without conjugates');
  sortRunsByImag(positive, tol);
  sortRunsByImag(negative, tol);
  const pairs = positive.map((v, i) => c((v.re + negative[i]!.re) / 2, (v.im - negative[i]!.im) / 2));
  return [...pairs, ...reals];
}

/** Within runs of (nearly) equal real part, order by |imag|, as _cplxreal does. */
function sortRunsByImag(values: Complex[], tol: number) {
  let start = 0;
  for (let i = 1; i <= values.length; i++) {
    const sameReal = i < values.length && values[i]!.re - values[i - 1]!.re <= tol * abs(values[i - 1]!);
    if (!sameReal) {
      const run = values.slice(start, i).sort((a, b) => Math.abs(a.im) - Math.abs(b.im));
      values.splice(start, run.length, ...run);
      start = i;
    }
  }
}

/** Index of the value closest to the unit circle (first on ties, like argmin). */
function worstIndex(values: Complex[], candidates = values.map((_, i) => i)): number {
  let best = candidates[0]!;
  for (const i of candidates) if (Math.abs(1 - abs(values[i]!)) < Math.abs(1 - abs(values[best]!))) best = i;
  return best;
}

/** Index in `from` of the value nearest to `to` among real / complex / any values. */
function nearestIndex(from: Complex[], to: Complex, which: 'real' | 'complex' | 'any'): number {
  const order = from.map((_, i) => i).sort((a, b) => abs(sub(from[a]!, to)) - abs(sub(from[b]!, to)));
  const pick = order.find((i) => which === 'any' || isReal(from[i]!) === (which === 'real'));
  if (pick === undefined) throw new SignalError(`no ${which} zero left to pair`);
  return pick;
}

function take(values: Complex[], index: number): Complex {
  return values.splice(index, 1)[0]!;
}

/** Polynomial coefficients (highest power first) with the given roots, real part. */
function poly(roots: Complex[]): number[] {
  let coefficients: Complex[] = [c(1)];
  for (const root of roots) {
    const next = [...coefficients, c(0)];
    coefficients.forEach((value, i) => (next[i + 1] = sub(next[i + 1]!, mul(value, root))));
    coefficients = next;
  }
  return coefficients.map((v) => v.re);
}

function section(zeros: Complex[], poles: Complex[]): SosSection {
  const b = poly(zeros);
  const a = poly(poles);
  const out: SosSection = [0, 0, 0, 0, 0, 0];
  b.forEach((v, i) => (out[3 - b.length + i] = v));
  a.forEach((v, i) => (out[6 - a.length + i] = v));
  return out;
}

function zpkToSos({ z: zeros, p: poles, k }: Zpk): Sos {
  let z = [...zeros, ...Array.from({ length: Math.max(poles.length - zeros.length, 0) }, () => c(0))];
  let p = [...poles, ...Array.from({ length: Math.max(zeros.length - poles.length, 0) }, () => c(0))];
  const sectionCount = (Math.max(p.length, z.length) + 1) >> 1;
  if (p.length % 2 === 1) {
    p.push(c(0));
    z.push(c(0));
  }
  z = complexThenReal(z);
  p = complexThenReal(p);
  const sos: Sos = [];
  for (let s = sectionCount - 1; s >= 0; s--) {
    const p1 = take(p, worstIndex(p));
    if (isReal(p1) && p.every((v) => !isReal(v))) {
      // Last real pole: pair with the nearest real zero.
      sos[s] = section([take(z, nearestIndex(z, p1, 'real')), c(0)], [p1, c(0)]);
    } else if (
      p.length + 1 === z.length &&
      !isReal(p1) &&
      p.filter(isReal).length === 1 &&
      z.filter(isReal).length === 1
    ) {
      // One real pole and one real zero left: this complex pole must take a complex zero.
      const z1 = take(z, nearestIndex(z, p1, 'complex'));
      sos[s] = section([z1, conj(z1)], [p1, conj(p1)]);
    } else {
      const realPoles = p.map((v, i) => i).filter((i) => isReal(p[i]!));
      const p2 = isReal(p1) ? take(p, worstIndex(p, realPoles)) : conj(p1);
      if (z.length === 0) {
        sos[s] = section([], [p1, p2]);
        continue;
      }
      const z1 = take(z, nearestIndex(z, p1, 'any'));
      if (!isReal(z1)) sos[s] = section([z1, conj(z1)], [p1, p2]);
      else if (z.length > 0) sos[s] = section([z1, take(z, nearestIndex(z, p1, 'real'))], [p1, p2]);
      else sos[s] = section([z1], [p1, p2]);
    }
  }
  for (let i = 0; i < 3; i++) sos[0]![i]! *= k;
  return sos;
}

const conj = (v: Complex) => c(v.re, -v.im);

// ---------- notch ----------

/** Second-order IIR notch at f0 Hz with quality factor Q, as scipy.signal.iirnotch: one section. */
export function iirnotch(f0: number, q: number, fs: number): SosSection {
  if (!(fs > 0 && Number.isFinite(fs))) throw new SignalError(`invalid sampling frequency ${fs} Hz`);
  if (!(f0 > 0 && f0 < fs / 2) || !(q > 0)) {
    throw new SignalError(`notch at ${f0} Hz (Q ${q}) needs 0 < f0 < ${fs / 2} Hz and Q > 0`);
  }
  const w0 = (2 * f0) / fs;
  const bw = (w0 / q) * Math.PI;
  const gb = 1 / Math.sqrt(2);
  const beta = (Math.sqrt(1 - gb ** 2) / gb) * Math.tan(bw / 2);
  const gain = 1 / (1 + beta);
  const cosine = Math.cos(w0 * Math.PI);
  return [gain, gain * (-2 * cosine), gain, 1, -2 * gain * cosine, 2 * gain - 1];
}

// ---------- filtering ----------

/** Initial conditions of each section for a unit step input (scipy.signal.sosfilt_zi). */
export function sosfiltZi(sos: Sos): Array<[number, number]> {
  let gain = 1;
  return sos.map(([b0, b1, b2, , a1, a2]) => {
    // Steady state of the transposed direct form II for a constant input: solves (I - A^T) zi = B.
    const B0 = b1 - a1 * b0;
    const B1 = b2 - a2 * b0;
    const z0 = (B0 + B1) / (1 + a1 + a2);
    const zi: [number, number] = [gain * z0, gain * (B1 - a2 * z0)];
    gain *= (b0 + b1 + b2) / (1 + a1 + a2);
    return zi;
  });
}

/** Causal filtering in place (float64), transposed direct form II per section; `zi` scaled by `ziScale`. */
function sosfiltInPlace(sos: Sos, x: Float64Array, zi: Array<[number, number]> | null, ziScale: number) {
  for (let s = 0; s < sos.length; s++) {
    const [b0, b1, b2, , a1, a2] = sos[s]!;
    let z0 = zi ? zi[s]![0] * ziScale : 0;
    let z1 = zi ? zi[s]![1] * ziScale : 0;
    const n = x.length;
    for (let i = 0; i < n; i++) {
      const input = x[i]!;
      const y = b0 * input + z0;
      z0 = b1 * input - a1 * y + z1;
      z1 = b2 * input - a2 * y;
      x[i] = y;
    }
  }
}

/** Causal filtering (scipy.signal.sosfilt with zero initial state). */
export function sosfilt(sos: Sos, x: Samples, options: NanOptions = {}): Float32Array {
  const { values, gaps } = prepare(x, options);
  sosfiltInPlace(sos, values, null, 0);
  return finish(values, gaps);
}

/** Pad length of sosfiltfilt: 3 x (2 sections + 1), less the trivial taps of first-order sections. */
export function sosfiltfiltPadlen(sos: Sos): number {
  const b2Zero = sos.filter((s) => s[2] === 0).length;
  const a2Zero = sos.filter((s) => s[5] === 0).length;
  return 3 * (2 * sos.length + 1 - Math.min(b2Zero, a2Zero));
}

/** Zero-phase filtering, as scipy.signal.sosfiltfilt(sos, x) with padtype='odd' and the default padlen. */
export function sosfiltfilt(sos: Sos, x: Samples, options: NanOptions = {}): Float32Array {
  const { values, gaps } = prepare(x, options);
  return finish(sosfiltfiltFloat64(sos, values), gaps);
}

function sosfiltfiltFloat64(sos: Sos, x: Float64Array): Float64Array {
  const edge = sosfiltfiltPadlen(sos);
  const n = x.length;
  if (n <= edge)
    throw new SignalError(`signal of ${n} samples is too short for this filter (needs > ${edge})`);
  // Odd extension: reflect about the end points so the filter starts and ends in a steady state.
  const extended = new Float64Array(n + 2 * edge);
  for (let i = 0; i < edge; i++) {
    extended[i] = 2 * x[0]! - x[edge - i]!;
    extended[n + edge + i] = 2 * x[n - 1]! - x[n - 2 - i]!;
  }
  extended.set(x, edge);
  const zi = sosfiltZi(sos);
  sosfiltInPlace(sos, extended, zi, extended[0]!);
  extended.reverse();
  sosfiltInPlace(sos, extended, zi, extended[0]!);
  extended.reverse();
  return extended.subarray(edge, edge + n);
}

// ---------- ECG conveniences ----------

/** Zero-phase Butterworth band-pass (default order 2, i.e. 4 after the forward-backward pass). */
export function bandpass(x: Samples, fs: number, low: number, high: number, order = 2, options?: NanOptions) {
  return sosfiltfilt(butter(order, [low, high], 'bandpass', fs), x, options);
}

/** Zero-phase power-line notch (50 Hz in most of the world, 60 Hz in the Americas). */
export function notch(x: Samples, fs: number, f0: 50 | 60 | number = 50, q = 30, options?: NanOptions) {
  return sosfiltfilt([iirnotch(f0, q, fs)], x, options);
}

/**
 * Baseline-wander removal: zero-phase Butterworth high-pass at `cutoff` Hz (default 0.5, order 2).
 * Chosen over the median-filter pair because it is linear, O(n) and zero-phase (forward-backward), so it leaves
 * the ST segment undistorted at this cutoff, and because it is the reference behaviour scipy reproduces exactly.
 */
export function removeBaseline(x: Samples, fs: number, cutoff = 0.5, order = 2, options?: NanOptions) {
  return sosfiltfilt(butter(order, cutoff, 'highpass', fs), x, options);
}

// ---------- NaN gaps ----------

/** Float64 copy of the samples; NaN gaps bridged (and remembered) or refused, per the NaN policy. */
export function prepare(x: Samples, options: NanOptions): { values: Float64Array; gaps: Uint8Array | null } {
  // A plain loop: TypedArray.from goes through the iterator protocol and is several times slower.
  const values = new Float64Array(x.length);
  let gaps: Uint8Array | null = null;
  for (let i = 0; i < values.length; i++) {
    const value = x[i]!;
    values[i] = value;
    if (value - value === 0) continue; // finite
    if (options.nan !== 'bridge') {
      throw new SignalError(
        `signal has a non-finite sample at index ${i}: bridge gaps first or pass { nan: 'bridge' }`,
      );
    }
    gaps ??= new Uint8Array(values.length);
    gaps[i] = 1;
  }
  if (gaps) bridgeGaps(values, gaps);
  return { values, gaps };
}

/** Linear interpolation across each gap; a gap touching an end holds the nearest valid value. */
function bridgeGaps(values: Float64Array, gaps: Uint8Array) {
  let lastValid = -1;
  for (let i = 0; i <= values.length; i++) {
    if (i < values.length && gaps[i]) continue;
    const from = lastValid;
    const to = i;
    if (from < 0 && to === values.length) throw new SignalError('signal has no finite sample');
    for (let g = from + 1; g < to; g++) {
      if (from < 0) values[g] = values[to]!;
      else if (to === values.length) values[g] = values[from]!;
      else values[g] = values[from]! + ((values[to]! - values[from]!) * (g - from)) / (to - from);
    }
    lastValid = i;
  }
}

function finish(values: Float64Array, gaps: Uint8Array | null): Float32Array {
  const out = new Float32Array(values);
  if (gaps) for (let i = 0; i < out.length; i++) if (gaps[i]) out[i] = NaN;
  return out;
}
