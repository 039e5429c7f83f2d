/**
 * npm run bench:infer -- [--runs 40] [--batches 8] [--throughput-threads 2] [--rounds 2] [--models a,b] [--models-dir DIR]
 *   [--no-browser] [--browser-threads N]
 * For every model of models/catalog.json, in one run: latency of one 10 s record on 1 thread, that is one run over
 * a batch of every window the Predictor scores a 10 s record with at the model's rate (src/signal/windows.ts
 * windowStarts with the model's window, hop and end alignment: 7 windows of 2.5 s for the PTB-XL ensembles, 1 for a
 * 10 s or a 30 s window; a beat model: one batch of 64 beats), and throughput in records (beats) per second on
 * --throughput-threads (2; batches of whole records, at least 32 windows) in onnxruntime-node, the TypeScript engine (libtorch,
 * the registry's modelFromCheckpoint, ensembles included) and PyTorch eager (Debian python3-torch,
 * bench/infer_torch.py, ensembles as their members' twins), each runtime in its own process; page latency of the
 * same record in Chromium with onnxruntime-web (wasm SIMD) on 1 thread and on N threads (a cross-origin isolated
 * page), with its ratio to onnxruntime-node's 1-thread latency. All runtimes read the same seeded inputs, and
 * PyTorch's, the engine's and the page's logits are checked against onnxruntime's (max |difference| <= 1e-4; a
 * mismatch fails the run: it timed another computation). Under the medians: the timed runs of each and their
 * min-max; a `contention:` line when a runtime's N-thread throughput is below its 1-thread rate. The engine and
 * PyTorch workers run with OMP_WAIT_POLICY=PASSIVE unless it is set (bench/omp.ts; printed in the header).
 * Option values are checked (bench/options.ts: a bad one exits with 2). Last line:
 * `ratio: X`, the smallest onnxruntime-node / PyTorch throughput ratio over the models that have a PyTorch twin.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOnnxSummary } from '../src/export/onnx/read.js';
import { parseModelInfo } from '../src/infer/metadata.js';
import { readCatalog } from '../src/models/bundled.js';
import { browserLatency, CHROMIUM, launchBrowser, type BrowserResult } from './infer-browser.js';
import {
  better,
  maxAbsDiff,
  smallestRatio,
  TASKS,
  writeManifest,
  type BenchManifest,
  type Mode,
  type WorkerResult,
} from './infer-inputs.js';
import { contentionLine, libtorchEnv, ompPolicyLine } from './omp.js';
import { benchCommand, nonNegativeNumber, positiveInteger, positiveNumber, wholeNumber } from './options.js';

const options = benchCommand()
  .option('--runs <n>', 'timed latency runs per runtime (1 thread)', positiveInteger, 40)
  .option('--batches <n>', 'timed throughput batches per runtime and round', positiveInteger, 8)
  .option(
    '--throughput-threads <n>',
    'threads of the throughput measurement (every runtime alike)',
    positiveInteger,
    2,
  )
  .option('--rounds <n>', 'alternating throughput rounds per runtime (the best is kept)', positiveInteger, 2)
  .option('--warmup <n>', 'untimed runs first', wholeNumber, 2)
  .option('--budget <s>', 'stop a measurement after this many seconds (at least 3 runs)', positiveNumber, 4)
  .option('--models <names>', 'comma-separated catalogue names (default: all)')
  .option('--models-dir <dir>', 'another catalogue folder (default: the package models/)')
  .option('--no-browser', 'skip the Chromium page latency')
  .option(
    '--browser-threads <n>',
    'wasm threads of the second Chromium measurement',
    positiveInteger,
    cpus().length,
  )
  .option(
    '--browser-warmup <s>',
    'untimed seconds of runs in the page first (V8 tiers wasm up)',
    nonNegativeNumber,
    2,
  )
  .parse()
  .opts<{
    runs: number;
    batches: number;
    throughputThreads: number;
    rounds: number;
    warmup: number;
    budget: number;
    models?: string;
    modelsDir?: string;
    browser: boolean;
    browserThreads: number;
    browserWarmup: number;
  }>();

/** Largest |logit difference| to onnxruntime-node accepted from a twin (the issue's parity bound). */
const PARITY_TOLERANCE = 1e-4;
const THREADS: Record<Mode, number> = { latency: 1, throughput: options.throughputThreads };
type Runtime = 'ort' | 'engine' | 'pytorch';
const RUNTIME_LABELS: Record<Runtime, string> = {
  ort: 'onnxruntime-node',
  engine: 'engine',
  pytorch: 'PyTorch',
};

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function runWorker(runtime: Runtime, manifestPath: string, mode: Mode): WorkerResult {
  const runs = mode === 'latency' ? options.runs : options.batches;
  const args = [manifestPath, THREADS[mode], mode, runs, options.warmup, options.budget].map(String);
  const [command, commandArgs] =
    runtime === 'pytorch'
      ? ['/usr/bin/python3', [here('./infer_torch.py'), ...args]]
      : [process.execPath, ['--import', 'tsx', here('./infer-worker.ts'), runtime, ...args]];
  // onnxruntime runs its own thread pool; the engine and PyTorch run libtorch's OpenMP threads (bench/omp.ts).
  const child = spawnSync(command, commandArgs, {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 << 20,
    env: runtime === 'ort' ? process.env : libtorchEnv(),
  });
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    return {
      status: 'n/a',
      reason: `${RUNTIME_LABELS[runtime]} worker failed: ${lastLines(child.stderr ?? String(child.error))}`,
    };
  }
  return JSON.parse(line) as WorkerResult;
}

/** The error line of a worker's stderr (a stack's last lines say nothing), else its last lines. */
function lastLines(text: string): string {
  const lines = text.trim().split('\n');
  const error = lines.find((line) => /^\w*(Error|Exception)\b/.test(line.trim()));
  return error?.trim() ?? lines.slice(-3).join(' | ');
}

interface ModelRun {
  manifest: BenchManifest;
  results: Record<Mode, Record<Runtime, WorkerResult>>;
  /** Chromium on 1 thread, then on --browser-threads threads; or why there is none. */
  browser: BrowserResult[] | string;
}

async function benchModel(
  manifestPath: string,
  manifest: BenchManifest,
  browser: Awaited<ReturnType<typeof launchBrowser>> | null,
): Promise<ModelRun> {
  const results = {} as ModelRun['results'];
  for (const mode of ['latency', 'throughput'] as const) {
    const best = {} as Record<Runtime, WorkerResult>;
    // Throughput (the ratio) is measured in rounds whose order alternates, so that a burst of load on the shared
    // machine does not fall on one runtime only; each runtime keeps its best round.
    const rounds = mode === 'throughput' ? options.rounds : 1;
    for (let round = 0; round < rounds; round++) {
      const order: Runtime[] = round % 2 === 0 ? ['ort', 'engine', 'pytorch'] : ['pytorch', 'engine', 'ort'];
      for (const runtime of order) {
        const result = runWorker(runtime, manifestPath, mode);
        best[runtime] = best[runtime] ? better(best[runtime], result, mode) : result;
      }
    }
    results[mode] = best;
  }
  let page: BrowserResult[] | string = 'skipped (--no-browser)';
  if (browser) {
    try {
      page = [];
      for (const threads of [...new Set([1, options.browserThreads])]) {
        page.push(
          await browserLatency(
            browser,
            manifest,
            options.runs,
            options.warmup,
            options.budget,
            threads,
            options.browserWarmup,
          ),
        );
      }
    } catch (error) {
      page = `failed: ${(error as Error).message.split('\n')[0]}`;
    }
  } else if (options.browser) page = `no ${CHROMIUM}`;
  return { manifest, results, browser: page };
}

const fmt = (value: number | null, digits = 2): string =>
  value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
/** A ratio as "2.50x", or n/a. */
const times = (value: number | null): string =>
  value === null || !Number.isFinite(value) ? 'n/a' : `${fmt(value)}x`;
type OkResult = Extract<WorkerResult, { status: 'ok' }>;
const ok = (r: WorkerResult): OkResult | null => (r.status === 'ok' ? r : null);

/** Prints one model's table; returns its ORT / PyTorch throughput ratio, or null (with a printed notice). */
function report(run: ModelRun, notices: string[]): number | null {
  const { manifest, results } = run;
  const spec = TASKS[manifest.task];
  const ecg = manifest.feeds.find((f) => f.name === 'ecg')!;
  const extra = manifest.feeds.filter((f) => f.name !== 'ecg').map((f) => f.name);
  const perRecord =
    manifest.task === 'records'
      ? `; ${manifest.windowsPerUnit} window${manifest.windowsPerUnit === 1 ? '' : 's'} per 10 s record` +
        ` (throughput batches of ${manifest.units.throughput} records = ${manifest.batches.throughput} windows)`
      : `; batches of ${manifest.batches.latency} beats`;
  console.log(
    `\n${manifest.name} (${manifest.architecture ?? '?'}, ${manifest.task}: windows of ${ecg.dims[1]} channel(s) x ${ecg.dims[2]} samples` +
      `${perRecord}${extra.length ? `; also fed ${extra.join(', ')}` : ''})`,
  );
  const pages = typeof run.browser === 'string' ? [] : run.browser;
  const page = pages[0] ?? null;
  const cells = (mode: Mode, pick: (r: NonNullable<ReturnType<typeof ok>>) => number, digits: number) =>
    (['ort', 'engine', 'pytorch'] as const).map((rt) =>
      fmt(ok(results[mode][rt]) ? pick(ok(results[mode][rt])!) : null, digits).padStart(16),
    );
  console.log(
    `  ${''.padEnd(34)}${['onnxruntime-node', 'engine', 'PyTorch', 'Chromium'].map((h) => h.padStart(16)).join('')}`,
  );
  const latencyLabel =
    manifest.task === 'records'
      ? `ms per 10 s record, 1 thread`
      : `latency ms, 1 thread (${manifest.units.latency} ${spec.unit})`;
  console.log(
    `  ${latencyLabel.padEnd(34)}${cells('latency', (r) => r.median_ms, 2).join('')}${fmt(page?.median_ms ?? null).padStart(16)}`,
  );
  // Workers count windows; a unit (record) is windowsPerUnit of them.
  console.log(
    `  ${`throughput ${spec.unit}/s, ${THREADS.throughput} thread${THREADS.throughput > 1 ? 's' : ''}`.padEnd(34)}${cells('throughput', (r) => r.per_s / manifest.windowsPerUnit, 1).join('')}${'-'.padStart(16)}`,
  );
  // Below the medians: how many timed runs each is the median of, and their spread (fastest-slowest run; for
  // throughput, of the round kept). A wide spread is a loaded machine's.
  const cell = (text: string) => ` ${text}`.padStart(16);
  const range = (low: number | undefined, high: number | undefined, digits: number) =>
    low === undefined || high === undefined ? 'n/a' : `${fmt(low, digits)}-${fmt(high, digits)}`;
  const perRuntime = (text: (latency: OkResult | null, throughput: OkResult | null) => string) =>
    (['ort', 'engine', 'pytorch'] as const)
      .map((rt) => cell(text(ok(results.latency[rt]), ok(results.throughput[rt]))))
      .join('');
  const runsOf = (r: { runs: number } | null) => (r ? String(r.runs) : 'n/a');
  console.log(
    `  ${'timed runs: latency / throughput'.padEnd(34)}${perRuntime((l, t) => `${runsOf(l)} / ${runsOf(t)}`)}` +
      `${cell(page ? `${page.runs} / -` : 'n/a')}`,
  );
  console.log(
    `  ${'latency min-max ms'.padEnd(34)}${perRuntime((l) => range(l?.min_ms, l?.max_ms, 2))}` +
      `${cell(page ? range(page.min_ms, page.max_ms, 2) : 'n/a')}`,
  );
  // A throughput run is one batch of windows: its rate in units/s, slowest run first.
  const rate = (r: OkResult, ms: number | undefined) =>
    ms === undefined ? undefined : r.batch / manifest.windowsPerUnit / (ms / 1000);
  console.log(
    `  ${`throughput min-max ${spec.unit}/s`.padEnd(34)}` +
      `${perRuntime((_, t) => (t ? range(rate(t, t.max_ms), rate(t, t.min_ms), 1) : 'n/a'))}${cell('-')}`,
  );

  const ort = { latency: ok(results.latency.ort), throughput: ok(results.throughput.ort) };
  const ratio = (mode: Mode, other: Runtime) => {
    const a = ort[mode];
    const b = ok(results[mode][other]);
    if (!a || !b) return null;
    return mode === 'throughput' ? a.per_s / b.per_s : b.median_ms / a.median_ms;
  };
  console.log(
    `  ratios ORT/PyTorch: throughput ${times(ratio('throughput', 'pytorch'))}, latency ${times(ratio('latency', 'pytorch'))};` +
      ` ORT/engine: throughput ${times(ratio('throughput', 'engine'))}, latency ${times(ratio('latency', 'engine'))}`,
  );
  const ortLatency = ort.latency?.median_ms ?? null;
  if (pages.length > 0)
    console.log(
      `  Chromium latency: ${pages
        .map(
          (p) =>
            `${p.threads} thread${p.threads > 1 ? 's' : ''}${p.isolated ? '' : ' (NOT isolated)'} ${fmt(p.median_ms)} ms` +
            ` (${ortLatency ? fmt(p.median_ms / ortLatency) : 'n/a'}x onnxruntime-node)`,
        )
        .join(', ')}; first run of a fresh session ${pages.map((p) => `${fmt(p.first_ms)} ms`).join(' / ')}` +
        ` (timed runs follow ${options.browserWarmup} s of untimed ones)`,
    );
  // Throughput on N threads below the rate of the same runtime on 1 thread (its latency runs, which batch fewer
  // windows and so are if anything slower per unit): the threads fight for the cores.
  const oneThreadRate = (ms: number) => manifest.units.latency / (ms / 1000);
  const latencyBatch = `${manifest.units.latency} ${manifest.units.latency === 1 ? spec.unit.replace(/s$/, '') : spec.unit}`;
  for (const rt of ['ort', 'engine', 'pytorch'] as const) {
    const latency = ok(results.latency[rt]);
    const throughput = ok(results.throughput[rt]);
    if (!latency || !throughput) continue;
    const line = contentionLine(
      `${manifest.name}, ${RUNTIME_LABELS[rt]}`,
      THREADS.throughput,
      throughput.per_s / manifest.windowsPerUnit,
      oneThreadRate(latency.median_ms),
      `${spec.unit}/s`,
      ` (its latency runs: batches of ${latencyBatch})`,
      rt !== 'ort',
    );
    if (line) console.log(`  ${line}`);
  }
  if (pages.length > 1) {
    const line = contentionLine(
      `${manifest.name}, Chromium`,
      pages[1]!.threads,
      oneThreadRate(pages[1]!.median_ms),
      oneThreadRate(pages[0]!.median_ms),
      `${spec.unit}/s`,
      ` (latency runs of ${latencyBatch})`,
      false,
    );
    if (line) console.log(`  ${line}`);
  }
  const parity = parityLine(run);
  console.log(
    `  parity, max |logit - onnxruntime-node| on the same ${manifest.batches.throughput} windows: ${parity.text}`,
  );
  // A runtime that disagrees with onnxruntime times another computation: the run fails, whatever it measured.
  if (parity.mismatches.length > 0) {
    notices.push(
      `${manifest.name}: ${parity.mismatches.join(', ')} do NOT match onnxruntime-node (a bug to fix)`,
    );
    process.exitCode = 1;
  }
  for (const [mode, byRuntime] of Object.entries(results)) {
    for (const [runtime, result] of Object.entries(byRuntime)) {
      if (result.status === 'n/a')
        notices.push(
          `${manifest.name}: ${RUNTIME_LABELS[runtime as Runtime]} ${mode}: n/a (${result.reason})`,
        );
    }
  }
  if (typeof run.browser === 'string') notices.push(`${manifest.name}: Chromium: ${run.browser}`);
  const versions = new Set(
    Object.values(results).flatMap((r) =>
      Object.values(r)
        .map((x) => ok(x)?.version)
        .filter(Boolean),
    ),
  );
  for (const p of pages) versions.add(p.version);
  console.log(`  (${[...versions].join('; ')})`);

  const throughputRatio = ratio('throughput', 'pytorch');
  if (throughputRatio === null) {
    notices.push(
      `${manifest.name}: excluded from ratio (no PyTorch throughput: ${naReason(results.throughput.pytorch)})`,
    );
    return null;
  }
  if (!parity.pytorchOk) {
    notices.push(
      `${manifest.name}: excluded from ratio: the PyTorch twin does NOT match onnxruntime (a bug to fix)`,
    );
    process.exitCode = 1;
    return null;
  }
  return throughputRatio;
}

function naReason(result: WorkerResult): string {
  return result.status === 'n/a' ? result.reason : 'ok';
}

function parityLine(run: ModelRun): { text: string; pytorchOk: boolean; mismatches: string[] } {
  const reference = ok(run.results.throughput.ort);
  if (!reference) return { text: 'n/a (no onnxruntime-node logits)', pytorchOk: false, mismatches: [] };
  const parts: string[] = [];
  const mismatches: string[] = [];
  const compare = (label: string, diff: number, detail = '') => {
    const matches = diff <= PARITY_TOLERANCE;
    if (!matches) mismatches.push(label);
    parts.push(`${label} ${diff.toExponential(2)}${detail}${matches ? '' : ' MISMATCH'}`);
  };
  for (const runtime of ['pytorch', 'engine'] as const) {
    const other = ok(run.results.throughput[runtime]);
    if (other) compare(RUNTIME_LABELS[runtime], maxAbsDiff(other.logits, reference.logits));
    else parts.push(`${RUNTIME_LABELS[runtime]} n/a`);
  }
  if (typeof run.browser !== 'string' && run.browser[0]) {
    const rows = run.browser[0].logits.length;
    const diff = maxAbsDiff(run.browser[0].logits, reference.logits.slice(0, rows));
    compare('Chromium', diff, ` (${rows} row${rows === 1 ? '' : 's'})`);
  }
  const pytorchOk =
    ok(run.results.throughput.pytorch) !== null && !mismatches.includes(RUNTIME_LABELS.pytorch);
  return { text: parts.join(', '), pytorchOk, mismatches };
}

async function main(): Promise<void> {
  const load = loadavg();
  const loaded = load[0]! > 2 ? ' (LOADED: figures below are slower than on an idle machine)' : '';
  console.log(
    `load average at start: ${load.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores${loaded}`,
  );
  console.log(ompPolicyLine());
  const catalog = readCatalog(options.modelsDir);
  const wanted = options.models?.split(',');
  const models = catalog.models.filter((m) => !wanted || wanted.includes(m.name));
  const dir = mkdtempSync(join(tmpdir(), 'efficientecg-bench-infer-'));
  const browser = options.browser ? await launchBrowser().catch(() => null) : null;
  const notices: string[] = [];
  const ratios: Array<number | null> = [];
  try {
    for (const model of models) {
      const info = parseModelInfo(
        readOnnxSummary(new Uint8Array(readFileSync(model.paths.onnx))).metadata,
        model.paths.onnx,
      );
      const { manifest, path } = writeManifest(
        dir,
        { name: model.name, onnx: model.paths.onnx, checkpoint: model.paths.checkpoint },
        info,
      );
      ratios.push(report(await benchModel(path, manifest, browser), notices));
    }
  } finally {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nload average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const notice of notices) console.log(`notice: ${notice}`);
  const smallest = smallestRatio(ratios);
  console.log(`ratio: ${smallest === null ? 'n/a' : smallest.toFixed(3)}`);
}

await main();
