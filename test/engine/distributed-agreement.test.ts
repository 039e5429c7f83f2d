/**
 * Collectives whose ranks disagree (native/distributed.cc): element counts or dtypes that differ are a
 * DistributedError on every rank, before any data moves, instead of a SIGABRT on Gloo's thread or a partly
 * overwritten tensor. Ranks run as separate processes on 127.0.0.1 (distributed-agreement-rank.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProcessGroup } from '../../src/engine/distributed.js';
import { loadAddon, type NativeProcessGroupOptions } from '../../src/engine/binding.js';
import { ConfigError } from '../../src/errors.js';
import { freePort } from '../helpers/ports.js';

const rankScript = fileURLToPath(new URL('./distributed-agreement-rank.ts', import.meta.url));

interface Report {
  error?: { name: string; message: string };
  values?: number[];
  after?: number[];
  [key: string]: unknown;
}

function runRank(scenario: string, rank: number, port: number): Promise<Report> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', rankScript, scenario, String(rank), '2', String(port), '20000'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').pop();
      resolve(line ? (JSON.parse(line) as Report) : { exit: code, signal, stderr: err.slice(-2000) });
    });
  });
}

async function runPair(scenario: string): Promise<Report[]> {
  const port = await freePort();
  return Promise.all([runRank(scenario, 0, port), runRank(scenario, 1, port)]);
}

function assertMismatch(reports: Report[], pattern: RegExp, values: number[][]): void {
  reports.forEach((report, rank) => {
    const text = JSON.stringify(report);
    assert.equal(report.error?.name, 'DistributedError', text);
    assert.match(report.error!.message, pattern, text);
    assert.deepEqual(report.values, values[rank], text);
    assert.deepEqual(report.after, [2, 2], text);
  });
}

test('all-reduce of 4 against 4096 elements is a DistributedError on both ranks, not a SIGABRT', async () => {
  const reports = await runPair('sizes');
  assertMismatch(
    reports,
    /^rank \d: allReduce: the ranks' tensors disagree: this rank has (4|4096) float32 elements; across the ranks: 4 to 4096 elements/,
    [Array(4).fill(1), Array(4096).fill(1)],
  );
});

test('all-reduce of float32 against float64 is a DistributedError naming both dtypes', async () => {
  const reports = await runPair('dtypes');
  assertMismatch(reports, /dtype float32 to float64/, [
    [1, 1, 1, 1],
    [1, 1, 1, 1],
  ]);
});

test('broadcast from a root with fewer elements leaves the receiver untouched and says why', async () => {
  const reports = await runPair('broadcast');
  assertMismatch(reports, /^rank \d: broadcast: .*across the ranks: 3 to 5 elements/, [
    [1, 1, 1],
    [2, 2, 2, 2, 2],
  ]);
});

test("all-reduce 'mean' of integers is refused before the sum changes the tensor", async () => {
  for (const report of await runPair('intMean')) {
    const text = JSON.stringify(report);
    assert.equal(report.error?.name, 'TypeError', text);
    assert.match(report.error!.message, /'mean' needs floating-point tensors, got int64/);
    assert.deepEqual(report.values, [1, 2], text);
    assert.deepEqual(report.after, [2, 2], text);
  }
});

test('a broadcast root that is not a rank (NaN, 0.7) is a ConfigError, not rank 0', async () => {
  for (const report of await runPair('badRoot')) {
    const text = JSON.stringify(report);
    assert.equal(report.error?.name, 'ConfigError', text);
    assert.match(report.error!.message, /broadcast root must be a rank in \[0, 2\), got (NaN|0\.7)/);
    assert.deepEqual(report.after, [2, 2], text);
  }
});

test('group options out of range are refused before any connection, in TS and in the addon', () => {
  const base = { rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1, timeoutMs: 1000 };
  const bad: Array<Partial<NativeProcessGroupOptions>> = [
    { worldSize: 2 ** 32 + 1 },
    { worldSize: 1.5 },
    { rank: 0.7 },
    { timeoutMs: NaN },
    { timeoutMs: Infinity },
    { timeoutMs: 0.5 },
  ];
  const addon = loadAddon();
  for (const change of bad) {
    const options = { ...base, ...change };
    assert.throws(() => ProcessGroup.init(options), ConfigError, JSON.stringify(change));
    if (addon.ProcessGroupHandle === undefined) continue;
    assert.throws(
      () => new addon.ProcessGroupHandle!(options),
      (e: unknown) => e instanceof RangeError && /process group option \w+ must be/.test(e.message),
      JSON.stringify(change),
    );
  }
});
