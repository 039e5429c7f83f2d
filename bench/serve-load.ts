/**
 * Load test of `efficientecg serve` on 127.0.0.1 only: the server runs as its own process (so the load generator
 * does not share its event loop), autocannon sends POST /api/predict (base64 JSON of a real record) from many
 * concurrent connections, bounded by a request count and a time limit. Prints p50/p99 latency, throughput and
 * errors (non-2xx, 503 from the bounded queue, socket errors).
 *
 *   npx tsx bench/serve-load.ts [--connections 64] [--amount 600] [--seconds 30] [--models a.onnx ...]
 *
 * Models: the bundled catalogue, or --models, or else the tiny UNTRAINED dev model of test/server (plumbing only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCatalog } from '../src/models/bundled.js';

interface Histogram {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  average: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  throughput: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const DEV_MODEL = root('test/server/fixtures/dev-1lead-untrained.onnx');
/** CinC 2017 A00001 (30 s, one lead, 300 Hz): a real record committed as a test fixture. */
const RECORD = ['A00001.hea', 'A00001.mat'].map((f) => root(`test/fixtures/wfdb/${f}`));

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    amount: { type: 'string', default: '600' },
    seconds: { type: 'string', default: '30' },
    models: { type: 'string', multiple: true },
  },
});

function modelArgs(): { args: string[]; label: string } {
  if (flags.models?.length) return { args: ['--models', ...flags.models], label: flags.models.join(', ') };
  const bundled = existsSync(root('models/catalog.json')) ? readCatalog(root('models')).models : [];
  if (bundled.length > 0) return { args: [], label: `bundled: ${bundled.map((m) => m.name).join(', ')}` };
  return { args: ['--models', DEV_MODEL], label: 'dev-1lead-untrained (UNTRAINED dev model: timing only)' };
}

/** Starts the CLI server on a free port and resolves with its address (parsed from its start-up line). */
function startServer(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', root('src/cli/index.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve({ child, address: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const models = modelArgs();
  const body = JSON.stringify({
    files: RECORD.map((path) => ({
      name: path.split('/').pop(),
      data: readFileSync(path).toString('base64'),
    })),
  });
  const { child, address } = await startServer(models.args);
  try {
    const url = `${address}/api/predict`;
    const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!probe.ok) throw new Error(`probe request failed: HTTP ${probe.status} ${await probe.text()}`);
    const result = await autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: Number(flags.connections),
      amount: Number(flags.amount),
      duration: Number(flags.seconds),
      timeout: 30,
    });
    const codes = Object.entries(result.statusCodeStats)
      .map(([code, s]) => `${code}: ${s.count}`)
      .join(', ');
    const lines = [
      `serve load test on ${address} (server in its own process)`,
      `models:       ${models.label}`,
      `record:       CinC 2017 A00001 (.hea + .mat, ${(body.length / 1024).toFixed(0)} kB JSON)`,
      `load:         ${flags.connections} connections, up to ${flags.amount} requests or ${flags.seconds} s`,
      `requests:     ${result.requests.total} in ${result.duration.toFixed(1)} s -> ${(result.requests.total / result.duration).toFixed(1)} req/s`,
      `latency:      p50 ${ms(result.latency.p50)}, p90 ${ms(result.latency.p90)}, p99 ${ms(result.latency.p99)}, max ${ms(result.latency.max)}`,
      `status codes: ${codes}`,
      `errors:       ${result.errors} socket errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
