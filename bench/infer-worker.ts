/**
 * One runtime of bench/infer.ts in its own process, so that thread settings never leak between runtimes:
 *   tsx bench/infer-worker.ts ort|engine MANIFEST THREADS latency|throughput RUNS WARMUP BUDGET_SECONDS
 * `ort` runs the model's .onnx in onnxruntime-node (src/infer's session); `engine` rebuilds it from the
 * checkpoint in the TypeScript engine (libtorch) with the registry's modelFromCheckpoint (which also builds
 * ensembles: src/models/ensemble.ts), eval mode, no autograd. Every run is one batch of the manifest's windows (a
 * whole 10 s record's windows for latency). Prints one JSON line (WorkerResult).
 */
import { readFileSync } from 'node:fs';
import { engineStatus, noGrad, ops as F, scope, setNumThreads } from '../src/engine/index.js';
import { Tensor } from '../src/engine/tensor.js';
import { readCheckpoint } from '../src/export/checkpoint.js';
import { OnnxSession, type ArrayInput } from '../src/infer/onnx-session.js';
import type { PatientRow, PatientTensors } from '../src/models/fusion/patients.js';
import { modelFromCheckpoint, type EcgModel } from '../src/models/registry.js';
import { median, type BenchManifest, type FeedFile, type Mode, type WorkerResult } from './infer-inputs.js';

type Runtime = 'ort' | 'engine';
/** One forward over the batch's feeds, resolving to the logits as rows. */
type Forward = () => Promise<number[][]>;

const RUNTIMES: Record<
  Runtime,
  { version(): string; prepare(m: BenchManifest, batch: number, threads: number): Promise<Forward | string> }
> = {
  ort: { version: () => `onnxruntime-node ${ortVersion()}`, prepare: prepareOrt },
  engine: {
    version: () => {
      const status = engineStatus();
      return status.available ? `libtorch ${status.libtorchVersion}` : 'unavailable';
    },
    prepare: prepareEngine,
  },
};

function ortVersion(): string {
  const pkg = JSON.parse(
    readFileSync(new URL('../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

/** A feed's first `batch` rows (the files hold the largest batch of the task). */
function readFeed(feed: FeedFile, batch: number): ArrayInput {
  const bytes = readFileSync(feed.file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const all = feed.dtype === 'int64' ? new BigInt64Array(buffer) : new Float32Array(buffer);
  const perRow = feed.dims.slice(1).reduce((a, b) => a * b, 1);
  return { data: all.subarray(0, batch * perRow), dims: [batch, ...feed.dims.slice(1)] };
}

function rows(data: Float32Array, batch: number): number[][] {
  const width = data.length / batch;
  return Array.from({ length: batch }, (_, r) => Array.from(data.subarray(r * width, (r + 1) * width)));
}

async function prepareOrt(manifest: BenchManifest, batch: number, threads: number): Promise<Forward> {
  const session = await OnnxSession.create(new Uint8Array(readFileSync(manifest.onnx)), threads, 'node');
  const feeds = Object.fromEntries(manifest.feeds.map((feed) => [feed.name, readFeed(feed, batch)]));
  return async () => rows((await session.run(feeds)).logits!.data, batch);
}

/**
 * The engine forward of the registry model (modelFromCheckpoint: one architecture or an ensemble of them): a
 * fusion model (or fusion ensemble) encodes the bench patient rows as the trainer does (encodePatients, the first
 * member's groups for an ensemble) and reads them; a model fed `rr` (beat models) reads forward(ecg, rr[, context]);
 * the others forward(ecg).
 */
async function prepareEngine(
  manifest: BenchManifest,
  batch: number,
  threads: number,
): Promise<Forward | string> {
  if (manifest.checkpoint === null) return 'the catalogue entry ships no checkpoint';
  setNumThreads(threads);
  const checkpoint = readCheckpoint(manifest.checkpoint);
  let model: EcgModel;
  try {
    model = modelFromCheckpoint(checkpoint, manifest.checkpoint);
  } catch (error) {
    return `the engine cannot rebuild ${checkpoint.metadata.model.name}: ${(error as Error).message}`;
  }
  model.eval();
  const feeds = Object.fromEntries(manifest.feeds.map((feed) => [feed.name, readFeed(feed, batch)]));
  const patients: PatientRow[] = Array.from({ length: batch }, () => manifest.patient);
  const tensor = (name: string): Tensor => F.tensor(feeds[name]!.data, feeds[name]!.dims);
  const fusion = model as EcgModel & { encodePatients?(rows: readonly PatientRow[]): PatientTensors };
  const logits = (): Tensor => {
    if (feeds.rr) {
      // EfficientEcgBeat.forward(ecg, rr, context?); an ensemble passes every argument after the ECG to each member.
      const beat = model as unknown as { forward(ecg: Tensor, ...rest: Tensor[]): Tensor };
      return beat.forward(tensor('ecg'), tensor('rr'), ...(feeds.context ? [tensor('context')] : []));
    }
    if (fusion.encodePatients) {
      // forward gives logits, or { logits, attention } in the first version of the fusion model.
      const output = model.forward(tensor('ecg'), fusion.encodePatients(patients)) as
        Tensor | { logits: Tensor };
      return output instanceof Tensor ? output : output.logits;
    }
    return model.forward(tensor('ecg'));
  };
  return async () => scope(() => noGrad(() => rows(logits().data<'float32'>(), batch)));
}

async function measure(forward: Forward, runs: number, warmup: number, budget: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await forward();
  const times: number[] = [];
  let spent = 0;
  while (times.length < runs && (times.length < 3 || spent < budget)) {
    const start = performance.now();
    await forward();
    times.push((performance.now() - start) / 1000);
    spent += times[times.length - 1]!;
  }
  return times;
}

async function main(): Promise<WorkerResult> {
  const [runtime, manifestPath, threads, mode, runs, warmup, budget] = process.argv.slice(2, 9) as [
    Runtime,
    string,
    string,
    Mode,
    string,
    string,
    string,
  ];
  const spec = RUNTIMES[runtime];
  if (spec === undefined) throw new Error(`runtime: expected ort or engine, got ${runtime}`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BenchManifest;
  const batch = manifest.batches[mode];
  const forward = await spec.prepare(manifest, batch, Number(threads));
  if (typeof forward === 'string') return { status: 'n/a', reason: forward };
  const times = await measure(forward, Number(runs), Number(warmup), Number(budget));
  return {
    status: 'ok',
    version: spec.version(),
    runs: times.length,
    batch,
    median_ms: median(times) * 1000,
    min_ms: Math.min(...times) * 1000,
    max_ms: Math.max(...times) * 1000,
    per_s: batch / median(times),
    logits: await forward(),
  };
}

console.log(JSON.stringify(await main()));
