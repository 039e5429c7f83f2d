/**
 * Command-line start-up: the built CLI (`dist/cli/index.js`, as `npx efficientecg` runs it) spawned for a command that
 * loads one command's modules (`predict --help`) and for one that loads every command's (`--help`), rounds
 * alternating, best of each kept. Start-up is mostly module loading; src/cli/commands.ts imports a command's module
 * only when it runs.
 *
 *   npm run build && npx tsx bench/cli-startup.ts [--rounds 5]
 *
 * The last line, `ratio:`, is one command's start-up time over every command's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { benchCommand, positiveInteger } from './options.js';

const options = benchCommand()
  .option('--rounds <n>', 'alternating rounds (best kept per case)', positiveInteger, 5)
  .parse()
  .opts<{ rounds: number }>();
const cli = new URL('../dist/cli/index.js', import.meta.url).pathname;
if (!existsSync(cli)) throw new Error(`${cli}: not built; run npm run build first`);

const cases: Record<string, string[]> = {
  '--version (no command)': ['--version'],
  'predict --help (one command)': ['predict', '--help'],
  '--help (every command)': ['--help'],
};
const best = new Map<string, number>();
for (let round = 0; round < options.rounds; round++) {
  for (const [name, args] of Object.entries(cases)) {
    const start = performance.now();
    const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const ms = performance.now() - start;
    if (run.status !== 0) throw new Error(`${name}: exit ${run.status}: ${run.stderr}`);
    best.set(name, Math.min(best.get(name) ?? Infinity, ms));
  }
}
for (const [name, ms] of best) console.log(`${name.padEnd(30)} ${ms.toFixed(0).padStart(6)} ms`);
const one = best.get('predict --help (one command)')!;
const all = best.get('--help (every command)')!;
console.log(`ratio: ${(one / all).toFixed(3)}`);
