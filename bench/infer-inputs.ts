/**
 * Shared pieces of `npm run bench:infer`: what one "record" costs per model (every window a 10 s record is scored
 * with, src/signal/windows.ts windowStarts at the model's rate, window and hop: 7 windows of 2.5 s for the PTB-XL
 * ensembles, 1 for a 10 s or 30 s window; a beat model's record is one batch of 64 beats), the seeded inputs every
 * runtime reads (written once as raw little-endian files with a JSON manifest, so onnxruntime, the engine, PyTorch
 * and Chromium see the same numbers), and the pure arithmetic of the report (median, ratios, smallest ratio).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PatientGroup } from '../src/infer/metadata.js';
import type { ModelInfo } from '../src/infer/metadata.js';
import { patientFeeds, type PatientValues } from '../src/infer/patients.js';
import { beatChannelCount } from '../src/signal/beat-context.js';
import { windowStarts } from '../src/signal/windows.js';

export type Task = ModelInfo['task'];
export type Mode = 'latency' | 'throughput';

export interface TaskSpec {
  /** Units in one latency run: one 10 s record (all its windows), or one record's batch of beats. */
  latencyBatch: number;
  /** Fewest windows per throughput run (2 threads): whole units (records or beats) are added until it is reached. */
  throughputBatch: number;
  /** What a unit is, for the report. */
  unit: string;
  /** Samples per window of a model with this info. */
  width(info: ModelInfo): number;
}

/** Seconds of the record a record model's latency is measured on (the '<= 5 ms per 12-lead 10 s record' target). */
export const RECORD_SECONDS = 10;

export const TASKS: Record<Task, TaskSpec> = {
  records: { latencyBatch: 1, throughputBatch: 32, unit: 'records', width: (info) => info.windowSamples },
  beats: {
    latencyBatch: 64,
    throughputBatch: 64,
    unit: 'beats',
    width: (info) => info.beats!.before + info.beats!.after,
  },
};

/**
 * Windows one unit costs: for a record model, every window the Predictor scores a RECORD_SECONDS record with
 * (windowStarts over the record at the model's rate, with its hop and end alignment; a record shorter than the
 * window is one window, padded); a beat is one window.
 */
export function windowsPerUnit(info: ModelInfo): number {
  if (info.task === 'beats') return 1;
  const samples = Math.round(RECORD_SECONDS * info.fs);
  return windowStarts(samples, info.windowSamples, info.hopSamples, info.lastAlignedToEnd).length;
}

/** Units and windows of each run: latency one record (or 64 beats), throughput whole units of >= 32 (64) windows. */
export function benchBatches(info: ModelInfo): {
  units: Record<Mode, number>;
  windows: Record<Mode, number>;
} {
  const spec = TASKS[info.task];
  const perUnit = windowsPerUnit(info);
  const units = { latency: spec.latencyBatch, throughput: Math.ceil(spec.throughputBatch / perUnit) };
  return { units, windows: { latency: units.latency * perUnit, throughput: units.throughput * perUnit } };
}

/** The patient every fusion input describes (age and sex of a typical PTB-XL record). */
export const BENCH_PATIENT: PatientValues = { age: 63, sex: 'female' };

export interface FeedFile {
  name: string;
  dtype: 'float32' | 'int64';
  dims: number[];
  file: string;
}

/** What every worker reads (JSON; bench/infer_torch.py reads the same keys). */
export interface BenchManifest {
  name: string;
  architecture: string | null;
  task: Task;
  onnx: string;
  checkpoint: string | null;
  feeds: FeedFile[];
  patientGroups: PatientGroup[];
  patient: PatientValues;
  /** Windows (rows of every feed) in one run of each mode. */
  batches: Record<Mode, number>;
  /** Units (records or beats, TASKS[task].unit) in one run of each mode: batches / windowsPerUnit. */
  units: Record<Mode, number>;
  /** Windows one unit costs (windowsPerUnit). */
  windowsPerUnit: number;
}

/** Deterministic standard normals (mulberry32 + Box-Muller): the same inputs on every run. */
export function gaussians(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297; // in (0, 1): log() stays finite
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * In-memory feeds of a model: standardised-ECG-like noise (a beat model with residual channels reads them after
 * the leads), the bench patient, plausible RR features (seconds) and beat context features (ratios near 1).
 */
export function benchFeeds(
  info: ModelInfo,
  batch: number,
): Array<Omit<FeedFile, 'file'> & { data: Float32Array | BigInt64Array }> {
  const leads = info.beats
    ? beatChannelCount(info.leads.length, info.beats.residualChannels, info.beats.template)
    : info.leads.length;
  const width = TASKS[info.task].width(info);
  const feeds: Array<Omit<FeedFile, 'file'> & { data: Float32Array | BigInt64Array }> = [
    {
      name: 'ecg',
      dtype: 'float32',
      dims: [batch, leads, width],
      data: gaussians(batch * leads * width, 2017),
    },
  ];
  for (const feed of patientFeeds(info.patientGroups, BENCH_PATIENT, batch)) {
    feeds.push({ ...feed, dtype: feed.data instanceof BigInt64Array ? 'int64' : 'float32' });
  }
  // Beat models' side inputs: plausible RR intervals (seconds) and context ratios (near 1), seeded per input.
  if (info.task === 'beats') {
    feeds.push(...sideFeed('rr', batch, info.beats?.rr.length ?? 0, 360, 0.8, 0.08));
    feeds.push(...sideFeed('context', batch, info.beats?.context.length ?? 0, 1980, 1, 0.1));
  }
  return feeds;
}

/** A [batch, features] float input of mean + spread x N(0, 1), or none when the model reads no such features. */
function sideFeed(name: string, batch: number, features: number, seed: number, mean: number, spread: number) {
  if (features === 0) return [];
  const data = gaussians(batch * features, seed).map((z) => mean + spread * z);
  return [{ name, dtype: 'float32' as const, dims: [batch, features], data }];
}

/** Writes the feeds of one model into `dir` and returns its manifest. */
export function writeManifest(
  dir: string,
  model: { name: string; onnx: string; checkpoint: string | null },
  info: ModelInfo,
): { manifest: BenchManifest; path: string } {
  const { units, windows } = benchBatches(info);
  const batch = Math.max(windows.latency, windows.throughput);
  const feeds = benchFeeds(info, batch).map(({ data, ...feed }) => {
    const file = join(dir, `${model.name}.${feed.name}.bin`);
    writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return { ...feed, file };
  });
  const manifest: BenchManifest = {
    name: model.name,
    architecture: info.architecture,
    task: info.task,
    onnx: model.onnx,
    checkpoint: model.checkpoint,
    feeds,
    patientGroups: info.patientGroups,
    patient: BENCH_PATIENT,
    batches: windows,
    units,
    windowsPerUnit: windowsPerUnit(info),
  };
  const path = join(dir, `${model.name}.manifest.json`);
  writeFileSync(path, JSON.stringify(manifest));
  return { manifest, path };
}

/** What a worker prints: its figures and logits, or why it has none. */
export type WorkerResult =
  | {
      status: 'ok';
      version: string;
      /** Timed runs (at most --runs / --batches, fewer when --budget ran out; at least 3). */
      runs: number;
      batch: number;
      median_ms: number;
      /** Fastest and slowest timed run, ms (the spread the median hides). */
      min_ms?: number;
      max_ms?: number;
      per_s: number;
      logits: number[][];
    }
  | { status: 'n/a'; reason: string };

/** The better of two measurements of one runtime: lower latency, or higher throughput; a result beats n/a. */
export function better(a: WorkerResult, b: WorkerResult, mode: Mode): WorkerResult {
  if (a.status !== 'ok') return b;
  if (b.status !== 'ok') return a;
  if (mode === 'latency') return b.median_ms < a.median_ms ? b : a;
  return b.per_s > a.per_s ? b : a;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Largest absolute difference between two logit matrices (Infinity when their shapes differ). */
export function maxAbsDiff(a: readonly number[][], b: readonly number[][]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  a.forEach((row, r) => {
    if (row.length !== b[r]!.length) worst = Number.POSITIVE_INFINITY;
    row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - b[r]![c]!))));
  });
  return worst;
}

/** The smallest of the ratios that exist (null entries are models excluded with a notice); null if none. */
export function smallestRatio(ratios: ReadonlyArray<number | null>): number | null {
  const known = ratios.filter((r): r is number => r !== null && Number.isFinite(r));
  return known.length === 0 ? null : Math.min(...known);
}
