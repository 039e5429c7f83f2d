/**
 * npm run bench:engine -- [--steps 20] [--rounds 2]
 * Trains the reference 1D EfficientNet-B0 (12x1000 input, batch 32, 5 outputs, BCE-with-logits, AdamW, 2 threads)
 * in the TypeScript engine and in PyTorch (Debian python3-torch), each in its own process, alternating rounds so
 * that both see the same machine load. Prints samples/s, peak resident memory, the memory ratio and, last,
 * `ratio: X` = TypeScript samples/s / PyTorch samples/s (best round of each).
 * --tensor-cache both also runs the engine with libtorch's default allocator (glibc malloc) in every round.
 * Both sides are libtorch workers, started with OMP_WAIT_POLICY=PASSIVE unless it is set (bench/omp.ts; printed in
 * the header). The run fails (exit code 1) when the PyTorch twin is not the engine's model: another parameter count,
 * or, loaded strictly with the engine's trained weights, another eval-mode output on the same input
 * (max |difference| > 1e-4). Option values are checked (bench/options.ts: a bad one exits with 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libtorchEnv, ompPolicyLine } from './omp.js';
import { benchCommand, oneOf, positiveInteger, wholeNumber } from './options.js';

const options = benchCommand()
  .option('--steps <n>', 'measured training steps per round', positiveInteger, 20)
  .option('--warmup <n>', 'unmeasured steps first', wholeNumber, 3)
  .option('--rounds <n>', 'alternating rounds per engine', positiveInteger, 2)
  .option('--batch <n>', 'batch size', positiveInteger, 32)
  .option('--leads <n>', 'input leads', positiveInteger, 12)
  .option('--length <n>', 'samples per lead', positiveInteger, 1000)
  .option('--threads <n>', 'intra-op threads', positiveInteger, 2)
  .option(
    '--tensor-cache <mode>',
    "the engine's tensor cache (default on): on, off or both",
    oneOf(['on', 'off', 'both'] as const),
    'both' as const,
  )
  .parse()
  .opts<{
    steps: number;
    warmup: number;
    rounds: number;
    batch: number;
    leads: number;
    length: number;
    threads: number;
    tensorCache: 'on' | 'off' | 'both';
  }>();

/** Largest |output difference| accepted between the engine and its PyTorch twin on the same weights and input. */
const PARITY_TOLERANCE = 1e-4;

interface Result {
  engine: string;
  version: string;
  parameters: number;
  samples_per_s: number;
  peak_rss_mb: number;
  /** PyTorch, given the engine's weights: max |twin output - engine output| in eval mode, or why it has none. */
  parity_max_diff?: number;
  parity_error?: string;
}

const args = [
  options.steps,
  options.batch,
  options.leads,
  options.length,
  options.threads,
  options.warmup,
].map(String);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function run(command: string, commandArgs: string[]): Result {
  const child = spawnSync(command, commandArgs, { encoding: 'utf8', env: libtorchEnv() });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed:\n${child.stderr}`);
  }
  return JSON.parse(line) as Result;
}

type Engine = 'typescript' | 'typescript-glibc' | 'pytorch';
const cacheMode = options.tensorCache;
const tsEngines: Engine[] =
  cacheMode === 'both'
    ? ['typescript', 'typescript-glibc']
    : [cacheMode === 'off' ? 'typescript-glibc' : 'typescript'];
// The first engine run writes its trained weights, an input and its eval-mode output there; the first PyTorch run
// after it loads them into the twin (strictly) and reports how far its output is (bench/engine_torch.py).
const parityDir = mkdtempSync(join(tmpdir(), 'efficientecg-bench-engine-'));
const parityFile = join(parityDir, 'engine-b0.safetensors');
let parityWritten = false;
let parity: Result | null = null;
const commandOf = (engine: Engine): [string, string[]] => {
  if (engine === 'pytorch') {
    const check = parityWritten && parity === null ? [parityFile] : [];
    return ['/usr/bin/python3', [here('./engine_torch.py'), ...args, ...check]];
  }
  const write = parityWritten ? [] : [parityFile];
  return [
    process.execPath,
    [
      '--import',
      'tsx',
      here('./engine-worker.ts'),
      ...args,
      engine === 'typescript' ? 'on' : 'off',
      ...write,
    ],
  ];
};

const runs = new Map<Engine, Result[]>([...tsEngines, 'pytorch' as const].map((engine) => [engine, []]));
const rounds = options.rounds;
const load = () => loadavg()[0]!.toFixed(1);
console.log(
  `EfficientNet-B0 1D training, batch ${options.batch}, ${options.leads}x${options.length}, ${options.threads} threads, ` +
    `${options.steps} steps x ${rounds} rounds per engine; load average ${load()}`,
);
console.log(ompPolicyLine('typescript engine, PyTorch'));
try {
  for (let round = 0; round < rounds; round++) {
    const order: Engine[] =
      round % 2 === 0 ? [...tsEngines, 'pytorch'] : ['pytorch', ...[...tsEngines].reverse()];
    for (const engine of order) {
      const command = commandOf(engine);
      const result = run(...command);
      runs.get(engine)!.push(result);
      if (engine !== 'pytorch') parityWritten = true;
      else if (command[1].includes(parityFile)) parity = result;
      console.log(
        `  round ${round + 1} ${engine.padEnd(16)} ${result.samples_per_s.toFixed(1).padStart(7)} samples/s  ` +
          `peak RSS ${result.peak_rss_mb.toFixed(0)} MB  (${result.version}, ${result.parameters} parameters; ` +
          `load ${load()})`,
      );
    }
  }
} finally {
  rmSync(parityDir, { recursive: true, force: true });
}
// Throughput: best round of each (least disturbed by load). Memory: highest peak over all rounds.
const summary = (engine: Engine) => {
  const rs = runs.get(engine)!;
  return {
    samplesPerS: Math.max(...rs.map((r) => r.samples_per_s)),
    peakRssMb: Math.max(...rs.map((r) => r.peak_rss_mb)),
    parameters: rs[0]!.parameters,
  };
};
const pt = summary('pytorch');
// The comparison holds only if both sides train the same model: a twin that differs fails the run (exit code 1).
const failures: string[] = [];
for (const engine of [...tsEngines, 'pytorch' as const]) {
  const { samplesPerS, peakRssMb, parameters } = summary(engine);
  if (parameters !== pt.parameters)
    failures.push(
      `${engine} has ${parameters} parameters, the PyTorch twin ${pt.parameters}: they are not the same model`,
    );
  console.log(
    `${`${engine}:`.padEnd(18)} ${samplesPerS.toFixed(1)} samples/s, peak RSS ${peakRssMb.toFixed(0)} MB`,
  );
}
if (parity === null) failures.push('no PyTorch run checked the twin against the engine weights');
else if (parity.parity_error !== undefined)
  failures.push(`the PyTorch twin cannot load the engine's weights: ${parity.parity_error}`);
else {
  const diff = parity.parity_max_diff ?? Number.NaN;
  console.log(
    `parity: PyTorch twin loaded with the engine's trained weights (strict), eval mode, same input: ` +
      `max |output difference| ${diff.toExponential(2)}`,
  );
  if (!(diff <= PARITY_TOLERANCE))
    failures.push(
      `the PyTorch twin's eval output differs from the engine's by ${diff} (> ${PARITY_TOLERANCE})`,
    );
}
for (const failure of failures) console.log(`FAILED: ${failure}`);
if (failures.length > 0) process.exitCode = 1;
for (const engine of tsEngines) {
  const ts = summary(engine);
  const label = engine === tsEngines[0] ? '' : ` ${engine}`;
  console.log(`memory ratio${label} (peak RSS / pytorch's): ${(ts.peakRssMb / pt.peakRssMb).toFixed(3)}`);
}
// Last line: the figure the issue tracks, for the engine as shipped (tensor cache on) when it ran.
for (const engine of [...tsEngines].reverse()) {
  const label = engine === tsEngines[0] ? '' : ` ${engine}`;
  // A twin that is not the engine's model timed another computation: no ratio (the run fails above).
  const ratio = (summary(engine).samplesPerS / pt.samplesPerS).toFixed(3);
  console.log(`ratio${label}: ${failures.length > 0 ? 'n/a (FAILED above)' : ratio}`);
}
