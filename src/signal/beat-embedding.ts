/**
 * Beats of a record and their PCA embedding, browser-safe (no engine): cutting beats around R peaks, fitting a PCA
 * of beats (the optimal linear autoencoder), projecting beats on it and pooling a record's beat embeddings into
 * 2k numbers (mean and SD per component). The fusion model's `beats` token reads these (src/models/fusion
 * beatsGroup); src/models/beat-autoencoder.ts compares PCA with the paper's LSTM autoencoder (docs/beat-autoencoder.md).
 */
import { ConfigError, ShapeError, SignalError } from '../errors.js';
import { cutBeatWindows } from './windows.js';
import { detectQrs } from './qrs.js';

/** Where a beat starts and ends around its R peak. */
export interface BeatWindow {
  beforeSeconds: number;
  afterSeconds: number;
}

/** -0.25 s .. +0.45 s: P wave to the end of the T wave at normal rates (as the MIT-BIH beat models use). */
export const DEFAULT_BEAT_WINDOW: BeatWindow = { beforeSeconds: 0.25, afterSeconds: 0.45 };

/** Beats of one or more records: `count` rows of `width` samples. */
export interface BeatMatrix {
  data: Float32Array;
  count: number;
  width: number;
}

export function beatWidth(fs: number, window: BeatWindow = DEFAULT_BEAT_WINDOW): number {
  const { before, after } = beatSamples(fs, window);
  return before + after;
}

function beatSamples(fs: number, window: BeatWindow): { before: number; after: number } {
  if (!(fs > 0)) throw new SignalError(`beats: sampling rate must be > 0 Hz, got ${fs}`);
  if (!(window.beforeSeconds >= 0 && window.afterSeconds > 0)) {
    throw new SignalError(
      `beats: window must have beforeSeconds >= 0 and afterSeconds > 0, got ${JSON.stringify(window)}`,
    );
  }
  return { before: Math.round(window.beforeSeconds * fs), after: Math.round(window.afterSeconds * fs) };
}

/**
 * The beats of one lead around the given R peaks. Peaks whose window would leave the record are dropped rather than
 * edge-padded (a padded half-beat is not a beat): a record shorter than one window gives an empty matrix.
 */
export function cutBeats(
  signal: Float32Array,
  fs: number,
  peaks: ArrayLike<number>,
  window: BeatWindow = DEFAULT_BEAT_WINDOW,
): BeatMatrix {
  const { before, after } = beatSamples(fs, window);
  const inside = Array.from(peaks).filter((p) => p - before >= 0 && p + after <= signal.length);
  return {
    data: cutBeatWindows([signal], inside, before, after),
    count: inside.length,
    width: before + after,
  };
}

/** R peaks detected on the lead, then its beats (empty when the detector finds none or the record is too short). */
export function recordBeats(
  signal: Float32Array,
  fs: number,
  window: BeatWindow = DEFAULT_BEAT_WINDOW,
): BeatMatrix {
  const width = beatWidth(fs, window);
  if (signal.length < width) return { data: new Float32Array(0), count: 0, width };
  return cutBeats(signal, fs, detectQrs(signal, fs).rPeaks, window);
}

/** Rows `indices` of a beat matrix, in that order. */
export function selectBeats(beats: BeatMatrix, indices: readonly number[]): BeatMatrix {
  const data = new Float32Array(indices.length * beats.width);
  indices.forEach((row, i) => {
    if (!(row >= 0 && row < beats.count))
      throw new ShapeError(`beats: row ${row} is outside 0..${beats.count - 1}`);
    data.set(beats.data.subarray(row * beats.width, (row + 1) * beats.width), i * beats.width);
  });
  return { data, count: indices.length, width: beats.width };
}

export function concatBeats(parts: readonly BeatMatrix[], width: number): BeatMatrix {
  const count = parts.reduce((n, part) => n + part.count, 0);
  const data = new Float32Array(count * width);
  let at = 0;
  for (const part of parts) {
    if (part.count > 0 && part.width !== width) {
      throw new ShapeError(`beats: cannot join beats of width ${part.width} with beats of width ${width}`);
    }
    data.set(part.data, at * width);
    at += part.count;
  }
  return { data, count, width };
}

export function checkBeats(beats: BeatMatrix, width: number, what: string): void {
  if (beats.count === 0) throw new SignalError(`${what}: no beats`);
  if (beats.width !== width || beats.data.length !== beats.count * beats.width) {
    throw new ShapeError(
      `${what}: beats must be ${beats.count} x ${width} samples, got width ${beats.width} and ${beats.data.length} values`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PCA (the linear autoencoder)

export interface BeatPca {
  width: number;
  /** Mean beat [width]. */
  mean: Float64Array;
  /** [k, width] orthonormal principal directions, by decreasing variance. */
  components: Float64Array;
  /** The k largest eigenvalues of the beats' covariance. */
  variances: Float64Array;
  k: number;
}

/** Principal components of the beats: covariance (float64) then Jacobi eigendecomposition (width is small). */
export function fitBeatPca(beats: BeatMatrix, k: number): BeatPca {
  const w = beats.width;
  checkBeats(beats, w, 'beat PCA');
  if (!(Number.isInteger(k) && k > 0 && k <= w)) {
    throw new ConfigError(`beat PCA: k must be an integer in 1..${w} (the beat width), got ${k}`);
  }
  const mean = new Float64Array(w);
  for (let i = 0; i < beats.count; i++) for (let j = 0; j < w; j++) mean[j]! += beats.data[i * w + j]!;
  for (let j = 0; j < w; j++) mean[j]! /= beats.count;
  const cov = new Float64Array(w * w);
  const row = new Float64Array(w);
  for (let i = 0; i < beats.count; i++) {
    for (let j = 0; j < w; j++) row[j] = beats.data[i * w + j]! - mean[j]!;
    for (let a = 0; a < w; a++) for (let b = a; b < w; b++) cov[a * w + b]! += row[a]! * row[b]!;
  }
  for (let a = 0; a < w; a++) {
    for (let b = a; b < w; b++) {
      cov[a * w + b]! /= Math.max(1, beats.count - 1);
      cov[b * w + a] = cov[a * w + b]!;
    }
  }
  const { values, vectors } = symmetricEigen(cov, w);
  const order = [...values.keys()].sort((a, b) => values[b]! - values[a]!).slice(0, k);
  const components = new Float64Array(k * w);
  order.forEach((index, c) => {
    for (let j = 0; j < w; j++) components[c * w + j] = vectors[j * w + index]!;
  });
  return { width: w, mean, components, variances: Float64Array.from(order, (i) => values[i]!), k };
}

/** Cyclic Jacobi rotations until the off-diagonal mass is negligible. Returns eigenvectors as columns. */
function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const scale = a.reduce((s, x) => s + x * x, 0) || 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** One Jacobi rotation zeroing a[p][q] (Golub & Van Loan's symmetric Schur step). */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q]!;
  if (apq === 0) return;
  const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!;
    const akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!;
    const aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p]!;
    const vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/** [count, k] projections of the centred beats on the components. */
export function pcaEmbed(pca: BeatPca, beats: BeatMatrix): Float32Array {
  checkBeats(beats, pca.width, 'beat PCA embedding');
  const { width: w, k } = pca;
  const out = new Float32Array(beats.count * k);
  for (let i = 0; i < beats.count; i++) {
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let j = 0; j < w; j++) dot += (beats.data[i * w + j]! - pca.mean[j]!) * pca.components[c * w + j]!;
      out[i * k + c] = dot;
    }
  }
  return out;
}

/** [count, width] beats rebuilt from [count, k] projections. */
export function pcaReconstruct(pca: BeatPca, embeddings: Float32Array): Float32Array {
  const { width: w, k } = pca;
  if (embeddings.length % k !== 0) {
    throw new ShapeError(`beat PCA reconstruction: ${embeddings.length} values are not rows of ${k}`);
  }
  const count = embeddings.length / k;
  const out = new Float32Array(count * w);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < w; j++) {
      let value = pca.mean[j]!;
      for (let c = 0; c < k; c++) value += embeddings[i * k + c]! * pca.components[c * w + j]!;
      out[i * w + j] = value;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Record pooling

/** Mean squared difference per value between beats and their reconstructions. */
export function meanSquaredError(beats: BeatMatrix, reconstruction: Float32Array): number {
  if (reconstruction.length !== beats.data.length) {
    throw new ShapeError(
      `reconstruction has ${reconstruction.length} values, the beats ${beats.data.length}`,
    );
  }
  let total = 0;
  for (let i = 0; i < reconstruction.length; i++) total += (reconstruction[i]! - beats.data[i]!) ** 2;
  return total / Math.max(1, reconstruction.length);
}

/**
 * A record's 2E numbers from its beats' [count, E] embeddings: E means then E standard deviations (population SD:
 * 0 for a single beat). null without beats: the token is then missing, not invented (as for rhythm).
 */
export function poolRecordEmbedding(embeddings: Float32Array, dims: number): Float32Array | null {
  if (!(Number.isInteger(dims) && dims > 0) || embeddings.length % dims !== 0) {
    throw new ShapeError(`record pooling: ${embeddings.length} values are not rows of ${dims}`);
  }
  const count = embeddings.length / dims;
  if (count === 0) return null;
  const out = new Float32Array(2 * dims);
  for (let d = 0; d < dims; d++) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += embeddings[i * dims + d]!;
    const mean = sum / count;
    let squares = 0;
    for (let i = 0; i < count; i++) squares += (embeddings[i * dims + d]! - mean) ** 2;
    out[d] = mean;
    out[dims + d] = Math.sqrt(squares / count);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The fusion `beats` token

/** What a `beats` token needs to embed a record (structurally src/models/fusion BeatPcaSpec). */
export interface BeatTokenSpec {
  fs: number;
  lead: number;
  beforeSeconds: number;
  afterSeconds: number;
  mean: readonly number[];
  components: readonly (readonly number[])[];
}

/** The spec's PCA as a BeatPca (float64 tables). */
export function pcaOfSpec(spec: BeatTokenSpec): BeatPca {
  const width = spec.mean.length;
  return {
    width,
    k: spec.components.length,
    mean: Float64Array.from(spec.mean),
    components: Float64Array.from(spec.components.flat()),
    variances: new Float64Array(spec.components.length),
  };
}

/**
 * A record's `beats` token values: the mean and SD of its beats' PCA coefficients, from the prepared signal (the
 * model's rate). null when no whole beat is found: the token is then missing, not invented.
 */
export function recordBeatFeatures(
  record: { fs: number; signals: readonly Float32Array[] },
  spec: BeatTokenSpec,
  pca: BeatPca = pcaOfSpec(spec),
): number[] | null {
  if (record.fs !== spec.fs) {
    throw new SignalError(
      `beats token: the record is at ${record.fs} Hz, the beat PCA at ${spec.fs} Hz (prepare it first)`,
    );
  }
  const signal = record.signals[spec.lead];
  if (signal === undefined)
    throw new SignalError(`beats token: lead ${spec.lead} is not among ${record.signals.length} leads`);
  return pooledBeatFeatures(recordBeats(signal, spec.fs, spec), pca);
}

/** The `beats` token values of beats already cut (mean and SD of their PCA coefficients); null without beats. */
export function pooledBeatFeatures(beats: BeatMatrix, pca: BeatPca): number[] | null {
  if (beats.count === 0) return null;
  const pooled = poolRecordEmbedding(pcaEmbed(pca, beats), pca.k);
  return pooled ? Array.from(pooled) : null;
}
