/**
 * npm run bench:distributed -- [--steps 12] [--batch 32] [--rounds 2]
 * The same training run (EfficientECG-w0.25, 1 lead x 1000 samples, global batch 32, bench/distributed-worker.ts)
 * as 1 process x 2 libtorch threads and as 2 data-parallel processes x 1 thread (c10d + Gloo on 127.0.0.1, batch
 * 16 each, gradients all-reduced every step), in rounds whose order alternates (1 process first on even rounds,
 * 2 processes first on odd ones, as bench/engine.ts does) so that both see the same machine load. Prints samples/s
 * of each, the all-reduce time and bytes per step, and last `ratio: X` = 2-process samples/s / 1-process samples/s
 * (best round of each). docs/distributed.md turns the measured bytes into a cost model for N machines.
 * Every worker runs with OMP_WAIT_POLICY=PASSIVE unless it is set (bench/omp.ts; printed first). A `contention:`
 * line warns when 1 process x 2 threads trains slower than one rank of the pair does on its 1 thread (the pair's
 * samples/s / 2, its all-reduce waits included). Option values are checked (bench/options.ts: a bad one exits with 2).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { contentionLine, libtorchEnv, ompPolicyLine } from './omp.js';
import { benchCommand, integerIn, positiveInteger } from './options.js';

const options = benchCommand()
  .option('--steps <n>', 'steps per epoch (epoch 1 warms up, epoch 2 is measured)', positiveInteger, 12)
  .option('--batch <n>', 'global batch size (split over the 2 processes: at least 2 each)', integerIn(4), 32)
  .option(
    '--rounds <n>',
    'alternating rounds of each layout (the order flips every round)',
    positiveInteger,
    2,
  )
  .parse()
  .opts<{ steps: number; batch: number; rounds: number }>();

interface Result {
  samplesPerSecond: number;
  allReduceMsPerStep: number;
  bytesPerStep: number;
  pureAllReduceMs: number;
}

const worker = fileURLToPath(new URL('./distributed-worker.ts', import.meta.url));

function runWorker(args: (string | number)[]): Promise<Result | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: libtorchEnv(),
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${args.join(' ')} exited with code ${code}`));
      const line = out.trim().split('\n').pop();
      resolve(line ? (JSON.parse(line) as Result) : null);
    });
  });
}

const steps = options.steps;
const batch = options.batch;
console.log(ompPolicyLine('engine'));
const single: Result[] = [];
const pair: Result[] = [];
const runSingle = async (): Promise<Result> => (await runWorker([0, 0, 0, 2, batch, steps]))!;
const runPair = async (): Promise<Result> => {
  const port = await freePort();
  const [rank0] = await Promise.all([0, 1].map((rank) => runWorker([rank, 2, port, 1, batch, steps])));
  return rank0!;
};
for (let round = 0; round < options.rounds; round++) {
  // Even rounds run the single process first, odd rounds the pair first (bench/engine.ts alternates the same way).
  const pairFirst = round % 2 === 1;
  if (pairFirst) pair.push(await runPair());
  single.push(await runSingle());
  if (!pairFirst) pair.push(await runPair());
  const rank0 = pair.at(-1);
  console.log(
    `round ${round + 1} (${pairFirst ? '2 processes first' : '1 process first'}): 1 process x 2 threads ${single.at(-1)!.samplesPerSecond.toFixed(1)} samples/s | ` +
      `2 processes x 1 thread ${rank0!.samplesPerSecond.toFixed(1)} samples/s, all-reduce ${rank0!.allReduceMsPerStep.toFixed(1)} ms/step in training, ${rank0!.pureAllReduceMs.toFixed(2)} ms alone ` +
      `(load average ${loadavg()[0]!.toFixed(1)})`,
  );
}
const best = (results: Result[]) =>
  results.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
const one = best(single);
const two = best(pair);
console.log(`1 process x 2 threads: ${one.samplesPerSecond.toFixed(1)} samples/s`);
console.log(
  `2 processes x 1 thread: ${two.samplesPerSecond.toFixed(1)} samples/s; gradient all-reduce ${two.allReduceMsPerStep.toFixed(2)} ms/step in training (with waits for the slower rank), ${two.pureAllReduceMs.toFixed(2)} ms alone; ${two.bytesPerStep} bytes/step per rank`,
);
// One rank of the pair trains half the batch on 1 thread: if 2 threads in one process do less than that, they
// fight for the cores (and the ratio below overstates what data parallelism gains).
const contention = contentionLine(
  '1 process',
  2,
  one.samplesPerSecond,
  two.samplesPerSecond / 2,
  'samples/s',
  ' (one rank of the pair: its samples/s / 2)',
);
if (contention) console.log(contention);
console.log(`ratio: ${(two.samplesPerSecond / one.samplesPerSecond).toFixed(3)}`);
