/**
 * Rational resampling with anti-aliasing, as scipy.signal.resample_poly(x, up, down) with its defaults:
 * a Kaiser-windowed (beta 5) sinc low-pass of 20 * max(up, down) + 1 taps cutting at the lower Nyquist rate,
 * applied polyphase (only the products that the zero-stuffed input makes non-zero), zero padding at the edges,
 * and the same alignment so that output sample k sits at input time k * down / up. Float64 inside.
 *
 * NaN policy as in filters.ts: SignalError by default; with `{ nan: 'bridge' }` gaps are interpolated before
 * resampling and every output sample whose nearest input sample was in a gap is NaN.
 */
import { SignalError } from '../errors.js';
import { prepare, type NanOptions, type Samples } from './filters.js';

const KAISER_BETA = 5;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the small betas used). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 500 && term > 1e-17 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/** Low-pass FIR like scipy.signal.firwin(taps, cutoff, window=('kaiser', beta)), cutoff relative to Nyquist. */
export function kaiserLowpass(taps: number, cutoff: number, beta = KAISER_BETA): Float64Array {
  const alpha = (taps - 1) / 2;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const m = n - alpha;
    const x = cutoff * m;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const window = besselI0(beta * Math.sqrt(1 - (m / alpha) ** 2)) / besselI0(beta);
    h[n] = cutoff * sinc * window;
    sum += h[n]!;
  }
  // Unit gain at DC.
  for (let n = 0; n < taps; n++) h[n]! /= sum;
  return h;
}

/** Length of scipy's upfirdn output for a filter of `filterLength` taps. */
function upfirdnLength(filterLength: number, inputLength: number, up: number, down: number): number {
  const padded = inputLength + Math.ceil(filterLength / up) - 1;
  return Math.ceil((padded * up) / down);
}

/** Resamples by up/down (integers, reduced by their gcd): output length ceil(n * up / down). */
/** Longest output (1 GiB of float32): upsampling a long record a thousandfold must fail, not exhaust memory. */
const MAX_OUTPUT_SAMPLES = 2 ** 28;

export function resamplePoly(x: Samples, up: number, down: number, options: NanOptions = {}): Float32Array {
  if (!Number.isInteger(up) || !Number.isInteger(down) || up < 1 || down < 1) {
    throw new SignalError(`resampling factors must be positive integers, got ${up}/${down}`);
  }
  const divisor = gcd(up, down);
  up /= divisor;
  down /= divisor;
  const { values, gaps } = prepare(x, options);
  const inputLength = values.length;
  const outputLength = Math.ceil((inputLength * up) / down);
  if (outputLength > MAX_OUTPUT_SAMPLES)
    throw new SignalError(
      `resampling ${inputLength} samples by ${up}/${down} gives ${outputLength} samples (limit ${MAX_OUTPUT_SAMPLES})`,
    );
  if (up === 1 && down === 1) return Float32Array.from(x);
  if (inputLength === 0) return new Float32Array(0);

  const maxRate = Math.max(up, down);
  const halfLength = 10 * maxRate;
  const core = kaiserLowpass(2 * halfLength + 1, 1 / maxRate);
  // Alignment as in scipy: zeros in front so that the filter's centre lands on output samples.
  const prePad = down - (halfLength % down);
  const preRemove = Math.floor((halfLength + prePad) / down);
  let postPad = 0;
  while (upfirdnLength(core.length + prePad + postPad, inputLength, up, down) < outputLength + preRemove)
    postPad++;
  const h = new Float64Array(prePad + core.length + postPad);
  for (let i = 0; i < core.length; i++) h[prePad + i] = core[i]! * up;

  const out = polyphase(values, h, up, down, preRemove, outputLength);
  if (gaps) {
    for (let k = 0; k < outputLength; k++) {
      if (gaps[Math.min(inputLength - 1, Math.round((k * down) / up))]) out[k] = NaN;
    }
  }
  return out;
}

/**
 * Output k of the full upfirdn (offset by `skip`) is at position t = (k + skip) * down of the zero-stuffed input:
 * y = sum_i x[i] h[t - i*up]. Only every up-th tap meets a real sample, so the filter is split into `up` phases
 * stored reversed in one flat table: the inner loop is then a forward dot product with the input.
 */
function polyphase(x: Float64Array, h: Float64Array, up: number, down: number, skip: number, length: number) {
  const count = Math.ceil(h.length / up);
  // table[p * count + j] multiplies x[newest - count + 1 + j] for phase p (taps past the filter's end are 0).
  const table = new Float64Array(up * count);
  for (let p = 0; p < up; p++) {
    for (let m = 0; p + m * up < h.length; m++) table[p * count + count - 1 - m] = h[p + m * up]!;
  }
  const out = new Float32Array(length);
  const n = x.length;
  const t = skip * down;
  let newest = Math.floor(t / up);
  let phase = t - newest * up;
  for (let k = 0; k < length; k++) {
    const start = newest - count + 1;
    const base = phase * count;
    // Zero padding outside the signal: clip the dot product to the samples that exist.
    const jFirst = Math.max(0, -start);
    const jEnd = Math.min(count, n - start);
    let sum = 0;
    for (let j = jFirst; j < jEnd; j++) sum += table[base + j]! * x[start + j]!;
    out[k] = sum;
    phase += down;
    while (phase >= up) {
      phase -= up;
      newest++;
    }
  }
  return out;
}

/** Resamples from `fsIn` to `fsOut` Hz (rates with up to 6 decimals are made an exact integer ratio). */
export function resample(x: Samples, fsIn: number, fsOut: number, options: NanOptions = {}): Float32Array {
  if (!(fsIn > 0) || !(fsOut > 0) || !Number.isFinite(fsIn) || !Number.isFinite(fsOut)) {
    throw new SignalError(`invalid sampling frequencies ${fsIn} -> ${fsOut} Hz`);
  }
  let factor = 1;
  while ((!Number.isInteger(fsIn * factor) || !Number.isInteger(fsOut * factor)) && factor < 1e6)
    factor *= 10;
  const up = Math.round(fsOut * factor);
  const down = Math.round(fsIn * factor);
  const divisor = gcd(up, down);
  if (Math.max(up, down) / divisor > 100_000) {
    throw new SignalError(
      `ratio ${fsOut}/${fsIn} Hz needs a filter too long to be practical (${up / divisor}/${down / divisor})`,
    );
  }
  return resamplePoly(x, up / divisor, down / divisor, options);
}
