/**
 * Fuzzing of every parser and model loader: `npm run bench:fuzz -- [--cases N] [--seed S] [--batch B] [--save DIR]`.
 *
 * Cases run in a child process (`--child`), in batches; case i of seed S is always the same input. The parent is a
 * watchdog: a child silent for longer than the hang limit, or whose resident memory passes the memory limit, is
 * killed and its batch rerun one case at a time to name the case. Per case the child measures time and its peak
 * resident memory (getrusage maxrss) before and after the case. Prints cases, outcomes per target, crashes, hangs
 * (> 2 s of CPU; wall-time-only cases apart), the cases that use over 512 MB, peak memory; the last line is
 * `crashes: N`. A case uses over 512 MB when it raised the child's peak (peaks only rise: a later case is not
 * blamed for an earlier one's peak) to over 512 MB above the child's resident memory after warm-up, or above its
 * resident memory at the case's start when that is higher (garbage an earlier case left); the first such case is
 * named. `--case I` replays one case and prints it; `--save DIR` writes the slowest cases and the first case of
 * each kind of error per target as fixtures. Option values are checked (bench/options.ts: a bad one exits with 2).
 * test/bench/fuzz-smoke.test.ts runs a few hundred cases in CI (it asserts no crash, never a time).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EcgError } from '../src/errors.js';
import { describeHdf5 } from '../src/io/hdf5.js';
import { seededRandom } from '../src/util/random.js';
import { pick, type Rng } from './fuzz/mutate.js';
import { TARGETS, type FuzzInput, type Target } from './fuzz/targets.js';
import { optionValue, positiveInteger, wholeNumber } from './options.js';

const SLOW_MS = 2000;
const MEMORY_LIMIT_MB = 512;
/** The watchdog's limits: a child silent this long is hung, one this large is killed. */
const HANG_KILL_MS = 15_000;
/** A child loading tsx, onnxruntime and the readers on a loaded machine may take long before its first case. */
const STARTUP_MS = 180_000;
const RSS_KILL_MB = 1536;

interface Args {
  cases: number;
  seed: number;
  batch: number;
  save: string | null;
  caseIndex: number | null;
  child: boolean;
  workers: number;
}

function parseArgs(argv: string[]): Args {
  const option = <T>(flag: string, parse: (value: string) => T, fallback: T) =>
    optionValue('fuzz', argv, flag, parse, fallback);
  return {
    cases: option('--cases', positiveInteger, 20_000),
    seed: option('--seed', wholeNumber, 1),
    batch: option('--batch', positiveInteger, 2000),
    save: option<string | null>('--save', (dir) => dir, null),
    caseIndex: option<number | null>('--case', wholeNumber, null),
    child: argv.includes('--child'),
    workers: option('--workers', positiveInteger, 1),
  };
}

const TOTAL_WEIGHT = TARGETS.reduce((a, t) => a + t.weight, 0);

/** The deterministic input of case `index`. */
export function caseOf(seed: number, index: number): { target: Target; input: FuzzInput; rng: Rng } {
  const rng = seededRandom((Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b)) >>> 0);
  let roll = rng() * TOTAL_WEIGHT;
  const target = TARGETS.find((t) => (roll -= t.weight) < 0) ?? pick(rng, TARGETS);
  return { target, input: target.make(rng), rng };
}

interface CaseResult {
  index: number;
  target: string;
  outcome: string;
  message: string;
  /** Wall time of the case (includes the machine's scheduling stalls when it is loaded). */
  ms: number;
  /** CPU time of the case, user + system, all threads: the work the input costs, whatever the load. */
  cpuMs: number;
  /** Rise of the process's peak RSS during this case, MB (0 when the peak did not move). */
  peakRiseMb: number;
  peakMb: number;
  /**
   * The peak after the case above where the case started: the child's resident memory after warm-up, or its
   * resident memory at the start of the case when that is higher (what earlier cases left for the garbage collector
   * is not this case's). Counted against the limit only when the case raised the peak (peakRiseMb > 0): otherwise
   * the peak is an earlier case's (or start-up's), and this case's own high point is not known.
   */
  aboveStartMb: number;
}

/**
 * The child's resident memory once its readers are loaded, before the first case. Not its peak so far: tsx
 * transforming h5wasm's 4 MB of glue code peaks at ~600 MB once and most of it is freed, and a case that needs
 * 700 MB may then stay under that peak plus the limit.
 */
let baselineMb = 0;

/** Over the limit: the case raised the process's peak, and the new peak is MEMORY_LIMIT_MB above its start. */
const overMemory = (r: CaseResult) => r.peakRiseMb > 0 && r.aboveStartMb > MEMORY_LIMIT_MB;

async function runCase(seed: number, index: number): Promise<CaseResult> {
  const { target, input } = caseOf(seed, index);
  const before = process.resourceUsage().maxRSS / 1024;
  const residentBefore = process.memoryUsage.rss() / 2 ** 20;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let outcome = 'ok';
  let message = '';
  try {
    await target.run(input);
  } catch (error) {
    outcome = error instanceof EcgError ? error.name : 'crash';
    message = error instanceof EcgError ? error.message : String((error as Error)?.stack ?? error);
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const after = process.resourceUsage().maxRSS / 1024;
  return {
    index,
    target: target.name,
    outcome,
    message,
    ms,
    cpuMs,
    peakRiseMb: after - before,
    peakMb: after,
    aboveStartMb: after - Math.max(baselineMb, residentBefore),
  };
}

/** Loads what a target loads lazily (h5wasm), so that its start-up is no case's time or memory. */
async function warmUp(): Promise<void> {
  await describeHdf5(
    fileURLToPath(new URL('../test/fixtures/datasets/code15/exams_part0.hdf5', import.meta.url)),
  );
}

/** Child: runs the cases it is sent, reporting every result worth keeping and a heartbeat per case group. */
async function child(): Promise<void> {
  process.on('message', async (job: { seed: number; from: number; to: number; each: boolean }) => {
    const counts: Record<string, number> = {};
    const notable: CaseResult[] = [];
    let slowest: CaseResult | null = null;
    let lastBeat = performance.now();
    for (let i = job.from; i < job.to; i++) {
      if (job.each) process.send!({ kind: 'start', index: i });
      const r = await runCase(job.seed, i);
      const key = `${r.target}\t${r.outcome}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (slowest === null || r.ms > slowest.ms) slowest = r;
      if (r.outcome === 'crash' || r.ms > SLOW_MS || r.cpuMs > SLOW_MS || overMemory(r)) notable.push(r);
      if (performance.now() - lastBeat > 1000) {
        lastBeat = performance.now();
        process.send!({ kind: 'beat', index: i });
      }
    }
    process.send!({ kind: 'done', counts, notable, slowest, peakMb: process.resourceUsage().maxRSS / 1024 });
  });
  await warmUp();
  baselineMb = process.memoryUsage.rss() / 2 ** 20;
  process.send!({ kind: 'ready', baselineMb });
}

function residentMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Totals {
  counts: Record<string, number>;
  crashes: CaseResult[];
  /** Over SLOW_MS of CPU: inputs that cost too much work. */
  slow: CaseResult[];
  /** Over SLOW_MS of wall time only: scheduling stalls of a loaded machine, listed apart. */
  slowWallOnly: CaseResult[];
  overMemory: CaseResult[];
  killed: Array<{ index: number; why: string }>;
  slowest: CaseResult | null;
  peakMb: number;
  /** Lowest and highest resident memory of a child after warm-up (the baselines of the memory check). */
  baselineMb: { min: number; max: number };
}

type BatchOutcome =
  | {
      kind: 'done';
      counts: Record<string, number>;
      notable: CaseResult[];
      slowest: CaseResult;
      peakMb: number;
      baselineMb: number;
    }
  | { kind: 'killed'; why: string; lastStarted: number };

/** Runs cases [from, to) in a fresh child under the watchdog. */
function runBatch(seed: number, from: number, to: number, each: boolean): Promise<BatchOutcome> {
  return new Promise((resolve) => {
    const worker: ChildProcess = fork(new URL(import.meta.url).pathname, ['--child'], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${RSS_KILL_MB}`],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let last = Date.now();
    let ready = false;
    let lastStarted = from;
    let baselineMb = 0;
    let settled = false;
    const finish = (outcome: BatchOutcome) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      worker.kill('SIGKILL');
      resolve(outcome);
    };
    const watch = setInterval(() => {
      if (Date.now() - last > (ready ? HANG_KILL_MS : STARTUP_MS))
        finish({ kind: 'killed', why: `no progress for ${HANG_KILL_MS} ms`, lastStarted });
      const rss = worker.pid ? residentMb(worker.pid) : 0;
      if (rss > RSS_KILL_MB)
        finish({ kind: 'killed', why: `resident memory ${rss.toFixed(0)} MB`, lastStarted });
    }, 200);
    worker.on('message', (message: { kind: string; index?: number; baselineMb?: number }) => {
      last = Date.now();
      if (message.kind === 'ready') {
        ready = true;
        baselineMb = message.baselineMb!;
        worker.send({ seed, from, to, each });
      } else if (message.kind === 'start') lastStarted = message.index!;
      else if (message.kind === 'done')
        finish({ ...(message as unknown as BatchOutcome), baselineMb } as BatchOutcome);
    });
    worker.on('exit', (code, signal) =>
      finish({ kind: 'killed', why: `child exited (code ${code}, signal ${signal})`, lastStarted }),
    );
  });
}

function merge(totals: Totals, outcome: Extract<BatchOutcome, { kind: 'done' }>): void {
  for (const [key, n] of Object.entries(outcome.counts)) totals.counts[key] = (totals.counts[key] ?? 0) + n;
  for (const r of outcome.notable) {
    if (r.outcome === 'crash') totals.crashes.push(r);
    if (r.cpuMs > SLOW_MS) totals.slow.push(r);
    else if (r.ms > SLOW_MS) totals.slowWallOnly.push(r);
    if (overMemory(r)) totals.overMemory.push(r);
  }
  if (totals.slowest === null || outcome.slowest.ms > totals.slowest.ms) totals.slowest = outcome.slowest;
  totals.peakMb = Math.max(totals.peakMb, outcome.peakMb);
  totals.baselineMb.min = Math.min(totals.baselineMb.min, outcome.baselineMb);
  totals.baselineMb.max = Math.max(totals.baselineMb.max, outcome.baselineMb);
}

/** A batch whose child was killed is rerun one case at a time: the case that kills it again is named. */
async function runWithBisect(totals: Totals, seed: number, from: number, to: number): Promise<void> {
  const outcome = await runBatch(seed, from, to, false);
  if (outcome.kind === 'done') return merge(totals, outcome);
  let start = from;
  while (start < to) {
    const rerun = await runBatch(seed, start, to, true);
    if (rerun.kind === 'done') return merge(totals, rerun);
    totals.killed.push({ index: rerun.lastStarted, why: rerun.why });
    start = rerun.lastStarted + 1;
  }
}

function report(args: Args, totals: Totals, seconds: number): void {
  const byTarget = new Map<string, Record<string, number>>();
  for (const [key, n] of Object.entries(totals.counts)) {
    const [target, outcome] = key.split('\t') as [string, string];
    const row = byTarget.get(target) ?? {};
    row[outcome] = n;
    byTarget.set(target, row);
  }
  const done = Object.values(totals.counts).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz: ${done} cases, seed ${args.seed}, ${seconds.toFixed(0)} s (${(done / seconds).toFixed(0)} cases/s)`,
  );
  for (const [target, row] of [...byTarget].sort()) {
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    const parts = Object.entries(row)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o} ${n}`);
    console.log(`  ${target.padEnd(18)} ${String(total).padStart(8)}  ${parts.join(', ')}`);
  }
  const s = totals.slowest;
  console.log(
    `slowest case: ${s ? `${s.ms.toFixed(0)} ms (case ${s.index}, ${s.target}, ${s.outcome})` : 'none'}`,
  );
  console.log(
    `hangs (over ${SLOW_MS} ms of CPU or killed as silent): ${totals.slow.length + totals.killed.filter((k) => k.why.startsWith('no progress')).length}`,
  );
  for (const r of totals.slow.slice(0, 10))
    console.log(`  case ${r.index} (${r.target}): ${r.cpuMs.toFixed(0)} ms CPU, ${r.ms.toFixed(0)} ms wall`);
  console.log(
    `over ${SLOW_MS} ms of wall time with less CPU (waits of a loaded machine): ${totals.slowWallOnly.length}`,
  );
  for (const r of totals.slowWallOnly.slice(0, 10))
    console.log(`  case ${r.index} (${r.target}): ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU`);
  const baseline = totals.baselineMb;
  const baselineText =
    baseline.min > baseline.max
      ? 'no child finished'
      : `${baseline.min.toFixed(0)}${baseline.max - baseline.min >= 1 ? `-${baseline.max.toFixed(0)}` : ''} MB`;
  console.log(
    `cases over ${MEMORY_LIMIT_MB} MB above the child's resident memory after warm-up (${baselineText}; or at the ` +
      `case's start if higher), counted when the case raised the peak: ${totals.overMemory.length}`,
  );
  const overMemoryCases = [...totals.overMemory].sort((a, b) => a.index - b.index);
  for (const [i, r] of overMemoryCases.slice(0, 10).entries())
    console.log(
      `  ${i === 0 ? 'first: ' : ''}case ${r.index} (${r.target}): peak ${r.peakMb.toFixed(0)} MB (+${r.peakRiseMb.toFixed(0)} during the case), ` +
        `${r.aboveStartMb.toFixed(0)} MB above its start`,
    );
  console.log(`peak memory of a fuzz child: ${totals.peakMb.toFixed(0)} MB`);
  for (const k of totals.killed) console.log(`  killed at case ${k.index}: ${k.why}`);
  for (const r of totals.crashes.slice(0, 10))
    console.log(`  crash at case ${r.index} (${r.target}): ${r.message.slice(0, 500)}`);
  console.log(`crashes: ${totals.crashes.length + totals.killed.length}`);
}

/** The kind of an outcome, for keeping one case of each: the error with its numbers and quotes blanked. */
function outcomeKind(r: CaseResult): string {
  const message = r.message
    .replace(/^[^:]*: /, '')
    .replace(/"[^"]*"|'[^']*'/g, 'Q')
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    .slice(0, 48);
  return `${r.target}:${r.outcome}:${message}`;
}

/**
 * `--save DIR`: per target, the 5 slowest cases of a fresh pass over `cases` and the first case of each outcome
 * kind, at most SAVE_PER_TARGET kinds per target: a few hundred regression fixtures (test/io/fuzz-regressions).
 */
const SAVE_PER_TARGET = 30;
async function save(args: Args, dir: string): Promise<void> {
  const kept = new Map<string, CaseResult>();
  const keptPerTarget = new Map<string, number>();
  const slowest = new Map<string, CaseResult[]>();
  for (let i = 0; i < args.cases; i++) {
    const r = await runCase(args.seed, i);
    const kind = outcomeKind(r);
    if (!kept.has(kind) && (keptPerTarget.get(r.target) ?? 0) < SAVE_PER_TARGET) {
      kept.set(kind, r);
      keptPerTarget.set(r.target, (keptPerTarget.get(r.target) ?? 0) + 1);
    }
    const list = slowest.get(r.target) ?? [];
    list.push(r);
    list.sort((a, b) => b.ms - a.ms);
    slowest.set(r.target, list.slice(0, 5));
  }
  const chosen = new Map<number, CaseResult>();
  for (const r of [...kept.values(), ...[...slowest.values()].flat()]) chosen.set(r.index, r);
  const index: Array<{
    case: number;
    target: string;
    outcome: string;
    options: FuzzInput['options'];
    detect: boolean;
  }> = [];
  for (const r of chosen.values()) {
    const { input } = caseOf(args.seed, r.index);
    const folder = join(dir, `${r.target}-${r.index}`);
    mkdirSync(folder, { recursive: true });
    for (const [name, bytes] of input.files) writeFileSync(join(folder, name), bytes);
    index.push({
      case: r.index,
      target: r.target,
      outcome: r.outcome,
      options: input.options,
      detect: input.detect ?? false,
    });
  }
  index.sort((a, b) => a.target.localeCompare(b.target) || a.case - b.case);
  writeFileSync(join(dir, 'cases.json'), `${JSON.stringify({ seed: args.seed, cases: index }, null, 1)}\n`);
  console.log(`saved ${index.length} cases to ${dir}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return child();
  if (args.caseIndex !== null) {
    baselineMb = process.memoryUsage.rss() / 2 ** 20;
    const r = await runCase(args.seed, args.caseIndex);
    console.log(
      JSON.stringify({ ...r, files: [...caseOf(args.seed, args.caseIndex).input.files.keys()] }, null, 1),
    );
    return;
  }
  if (args.save !== null) return save(args, args.save);
  const totals: Totals = {
    counts: {},
    crashes: [],
    slow: [],
    slowWallOnly: [],
    overMemory: [],
    killed: [],
    slowest: null,
    peakMb: 0,
    baselineMb: { min: Number.POSITIVE_INFINITY, max: 0 },
  };
  const start = performance.now();
  let next = 0;
  let done = 0;
  // `--workers` children run batches side by side (each batch in its own child, under the watchdog).
  const worker = async () => {
    while (next < args.cases) {
      const from = next;
      next = Math.min(args.cases, next + args.batch);
      await runWithBisect(
        totals,
        args.seed,
        from,
        next === from ? from : Math.min(args.cases, from + args.batch),
      );
      done += Math.min(args.batch, args.cases - from);
      const crashes = totals.crashes.length + totals.killed.length;
      const seconds = (performance.now() - start) / 1000;
      process.stderr.write(
        `${done} / ${args.cases} cases, ${seconds.toFixed(0)} s, crashes ${crashes}, over ${SLOW_MS} ms ${totals.slow.length}, over ${MEMORY_LIMIT_MB} MB ${totals.overMemory.length}, peak ${totals.peakMb.toFixed(0)} MB\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: args.workers }, worker));
  report(args, totals, (performance.now() - start) / 1000);
  const failed = totals.crashes.length + totals.killed.length + totals.slow.length + totals.overMemory.length;
  if (failed > 0) process.exitCode = 1;
}

await main();
