/**
 * npm run bench:engine -- [--steps 20] [--rounds 2]
 * Trains the reference 1D EfficientNet-B0 (12x1000 input, batch 32, 5 outputs, BCE-with-logits, AdamW, 2 threads)
 * in the TypeScript engine and in PyTorch (Debian python3-torch), each in its own process, alternating rounds so
 * that both see the same machine load. Prints samples/s, peak resident memory, the memory ratio and, last,
 * `ratio: X` = TypeScript samples/s / PyTorch samples/s (best round of each).
 * --tensor-cache both also runs the engine with libtorch's default allocator (glibc malloc) in every round.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const options = new Command()
  .option('--steps <n>', 'measured training steps per round', '20')
  .option('--warmup <n>', 'unmeasured steps first', '3')
  .option('--rounds <n>', 'alternating rounds per engine', '2')
  .option('--batch <n>', 'batch size', '32')
  .option('--leads <n>', 'input leads', '12')
  .option('--length <n>', 'samples per lead', '1000')
  .option('--threads <n>', 'intra-op threads', '2')
  .option('--tensor-cache <mode>', "the engine's tensor cache (default on): on, off or both", 'both')
  .parse()
  .opts<Record<string, string>>();

interface Result {
  engine: string;
  version: string;
  parameters: number;
  samples_per_s: number;
  peak_rss_mb: number;
}

const args = [
  options.steps,
  options.batch,
  options.leads,
  options.length,
  options.threads,
  options.warmup,
] as string[];
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function run(command: string, commandArgs: string[]): Result {
  const child = spawnSync(command, commandArgs, { encoding: 'utf8' });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed:\n${child.stderr}`);
  }
  return JSON.parse(line) as Result;
}

type Engine = 'typescript' | 'typescript-glibc' | 'pytorch';
const cacheMode = options.tensorCache;
if (!['on', 'off', 'both'].includes(cacheMode!))
  throw new Error(`--tensor-cache must be on, off or both, got ${cacheMode}`);
const tsEngines: Engine[] =
  cacheMode === 'both'
    ? ['typescript', 'typescript-glibc']
    : [cacheMode === 'off' ? 'typescript-glibc' : 'typescript'];
const commandOf = (engine: Engine): [string, string[]] =>
  engine === 'pytorch'
    ? ['/usr/bin/python3', [here('./engine_torch.py'), ...args]]
    : [
        process.execPath,
        ['--import', 'tsx', here('./engine-worker.ts'), ...args, engine === 'typescript' ? 'on' : 'off'],
      ];

const runs = new Map<Engine, Result[]>([...tsEngines, 'pytorch' as const].map((engine) => [engine, []]));
const rounds = Number(options.rounds);
const load = () => loadavg()[0]!.toFixed(1);
console.log(
  `EfficientNet-B0 1D training, batch ${options.batch}, ${options.leads}x${options.length}, ${options.threads} threads, ` +
    `${options.steps} steps x ${rounds} rounds per engine; load average ${load()}`,
);
for (let round = 0; round < rounds; round++) {
  const order: Engine[] =
    round % 2 === 0 ? [...tsEngines, 'pytorch'] : ['pytorch', ...[...tsEngines].reverse()];
  for (const engine of order) {
    const result = run(...commandOf(engine));
    runs.get(engine)!.push(result);
    console.log(
      `  round ${round + 1} ${engine.padEnd(16)} ${result.samples_per_s.toFixed(1).padStart(7)} samples/s  ` +
        `peak RSS ${result.peak_rss_mb.toFixed(0)} MB  (${result.version}, ${result.parameters} parameters; ` +
        `load ${load()})`,
    );
  }
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
for (const engine of [...tsEngines, 'pytorch' as const]) {
  const { samplesPerS, peakRssMb, parameters } = summary(engine);
  if (parameters !== pt.parameters)
    console.log(`WARNING: ${engine} has ${parameters} parameters, pytorch ${pt.parameters}`);
  console.log(
    `${`${engine}:`.padEnd(18)} ${samplesPerS.toFixed(1)} samples/s, peak RSS ${peakRssMb.toFixed(0)} MB`,
  );
}
for (const engine of tsEngines) {
  const ts = summary(engine);
  const label = engine === tsEngines[0] ? '' : ` ${engine}`;
  console.log(`memory ratio${label} (peak RSS / pytorch's): ${(ts.peakRssMb / pt.peakRssMb).toFixed(3)}`);
}
// Last line: the figure the issue tracks, for the engine as shipped (tensor cache on) when it ran.
for (const engine of [...tsEngines].reverse()) {
  const label = engine === tsEngines[0] ? '' : ` ${engine}`;
  console.log(`ratio${label}: ${(summary(engine).samplesPerS / pt.samplesPerS).toFixed(3)}`);
}
