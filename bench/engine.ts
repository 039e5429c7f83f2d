/**
 * npm run bench:engine -- [--steps 20] [--rounds 2]
 * Trains the reference 1D EfficientNet-B0 (12x1000 input, batch 32, 5 outputs, BCE-with-logits, AdamW, 2 threads)
 * in the TypeScript engine and in PyTorch (Debian python3-torch), each in its own process, alternating rounds so
 * that both see the same machine load. Prints samples/s, peak resident memory and, last, `ratio: X` =
 * TypeScript samples/s / PyTorch samples/s (best round of each).
 */
import { spawnSync } from 'node:child_process';
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

const runs: Record<'typescript' | 'pytorch', Result[]> = { typescript: [], pytorch: [] };
const rounds = Number(options.rounds);
console.log(
  `EfficientNet-B0 1D training, batch ${options.batch}, ${options.leads}x${options.length}, ${options.threads} threads, ` +
    `${options.steps} steps x ${rounds} rounds per engine`,
);
for (let round = 0; round < rounds; round++) {
  for (const engine of round % 2 === 0
    ? (['typescript', 'pytorch'] as const)
    : (['pytorch', 'typescript'] as const)) {
    const result =
      engine === 'typescript'
        ? run(process.execPath, ['--import', 'tsx', here('./engine-worker.ts'), ...args])
        : run('/usr/bin/python3', [here('./engine_torch.py'), ...args]);
    runs[engine].push(result);
    console.log(
      `  round ${round + 1} ${engine.padEnd(10)} ${result.samples_per_s.toFixed(1).padStart(7)} samples/s  ` +
        `peak RSS ${result.peak_rss_mb.toFixed(0)} MB  (${result.version}, ${result.parameters} parameters)`,
    );
  }
}
const best = (rs: Result[]) => rs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
const ts = best(runs.typescript);
const pt = best(runs.pytorch);
if (ts.parameters !== pt.parameters)
  console.log(`WARNING: parameter counts differ (${ts.parameters} vs ${pt.parameters})`);
console.log(`typescript: ${ts.samples_per_s.toFixed(1)} samples/s, peak RSS ${ts.peak_rss_mb.toFixed(0)} MB`);
console.log(`pytorch:    ${pt.samples_per_s.toFixed(1)} samples/s, peak RSS ${pt.peak_rss_mb.toFixed(0)} MB`);
console.log(`memory ratio (typescript / pytorch peak RSS): ${(ts.peak_rss_mb / pt.peak_rss_mb).toFixed(3)}`);
console.log(`ratio: ${(ts.samples_per_s / pt.samples_per_s).toFixed(3)}`);
