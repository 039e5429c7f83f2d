/**
 * The torch.distributed process group (native/distributed.cc, src/engine/distributed.ts) on 127.0.0.1 only: ranks
 * run as separate processes (test/helpers/distributed-rank.ts) and report what they computed or the typed error
 * they got. Expected values are worked out by hand from each rank's inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ops as F } from '../../src/engine/index.js';
import { ProcessGroup } from '../../src/engine/distributed.js';
import { CollectiveTimeoutError, ConfigError, DistributedError, PortInUseError } from '../../src/errors.js';
import { freePort } from '../helpers/ports.js';

const rankScript = fileURLToPath(new URL('../helpers/distributed-rank.ts', import.meta.url));

interface RankReport {
  error?: string;
  failure?: string;
  message?: string;
  ms?: number;
  [key: string]: unknown;
}

function runRank(scenario: string, rank: number, world: number, port: number, timeoutMs: number) {
  return new Promise<RankReport>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', rankScript, scenario, String(rank), String(world), String(port), String(timeoutMs)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').pop();
      if (line) resolve(JSON.parse(line) as RankReport);
      else resolve({ exit: code, signal, stderr: err.slice(-2000) });
    });
  });
}

async function runGroup(scenario: string, world: number, timeoutMs: number): Promise<RankReport[]> {
  const port = await freePort();
  return Promise.all(
    Array.from({ length: world }, (_, rank) => runRank(scenario, rank, world, port, timeoutMs)),
  );
}

test('all-reduce (sum, mean) over a list of tensors, broadcast and barrier across 3 processes', async () => {
  const reports = await runGroup('collectives', 3, 30_000);
  for (const report of reports) {
    // rank r contributes (r + 1) * [1..6]: the sum is (1 + 2 + 3) * [1..6]
    assert.deepEqual(report.sum, [6, 12, 18, 24, 30, 36], JSON.stringify(report));
    assert.deepEqual(report.sumScalar, [10 + 11 + 12]);
    // mean of [r, -r] over r = 0, 1, 2
    assert.deepEqual(report.mean, [1, -1]);
    // rank 2's values
    assert.deepEqual(report.broadcast, [2, 4, 6]);
  }
});

test('a rank that stops answering gives the others a CollectiveTimeoutError, not a hang', async () => {
  const timeoutMs = 2000;
  const [waiting, sleeping] = await runGroup('hang', 2, timeoutMs);
  assert.equal(sleeping!.slept, true, JSON.stringify(sleeping));
  assert.equal(waiting!.error, 'CollectiveTimeoutError', JSON.stringify(waiting));
  assert.equal(waiting!.failure, 'timeout');
  assert.match(waiting!.message!, /^rank 0: barrier: /);
  // The sleeper sleeps 4 timeouts: the error came from the timeout, not from the sleeper leaving.
  assert.ok(waiting!.ms! < timeoutMs * 4, `error after ${waiting!.ms} ms`);
});

test('a killed rank gives the survivor a PeerLostError well within the timeout', async () => {
  const timeoutMs = 60_000;
  const [survivor, killed] = await runGroup('kill', 2, timeoutMs);
  assert.equal(killed!.signal, 'SIGKILL', JSON.stringify(killed));
  assert.equal(survivor!.error, 'PeerLostError', JSON.stringify(survivor));
  assert.equal(survivor!.failure, 'peer-lost');
  assert.match(survivor!.message!, /^rank 0: allReduce: /);
  assert.ok(survivor!.ms! < timeoutMs, `error after ${survivor!.ms} ms`);
});

test('rank 0 cannot host the rendezvous on a port another process holds: PortInUseError', async () => {
  const port = await freePort();
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  try {
    assert.throws(
      () =>
        ProcessGroup.init({
          rank: 0,
          worldSize: 2,
          masterAddr: '127.0.0.1',
          masterPort: port,
          timeoutMs: 5000,
        }),
      (error: unknown) =>
        error instanceof PortInUseError &&
        error instanceof DistributedError &&
        error.failure === 'port-in-use' &&
        error.message.includes(`127.0.0.1:${port}`) &&
        /Address already in use/.test(error.message),
    );
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});

test('a rank whose master never comes up fails the rendezvous with CollectiveTimeoutError', async () => {
  const port = await freePort();
  assert.throws(
    () =>
      ProcessGroup.init({
        rank: 1,
        worldSize: 2,
        masterAddr: '127.0.0.1',
        masterPort: port,
        timeoutMs: 1000,
      }),
    (error: unknown) =>
      error instanceof CollectiveTimeoutError && /rendezvous at 127\.0\.0\.1/.test(error.message),
  );
});

test('a group of one: collectives are the identity; a destroyed group refuses work', async () => {
  const port = await freePort();
  const group = ProcessGroup.init({
    rank: 0,
    worldSize: 1,
    masterAddr: '127.0.0.1',
    masterPort: port,
    timeoutMs: 5000,
  });
  const x = F.tensor(Float32Array.from([1.5, -2]), [2]);
  group.allReduce([x], 'mean');
  group.broadcast([x], 0);
  group.barrier();
  assert.deepEqual([...x.data()], [1.5, -2]);
  group.destroy();
  assert.throws(
    () => group.barrier(),
    (error: unknown) => error instanceof DistributedError && /destroyed/.test(error.message),
  );
});

test('options are checked before any connection', () => {
  const base = { rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 29500, timeoutMs: 1000 };
  for (const bad of [
    { rank: 2 },
    { worldSize: 0 },
    { masterPort: 70000 },
    { timeoutMs: 0 },
    { masterAddr: ' ' },
  ])
    assert.throws(() => ProcessGroup.init({ ...base, ...bad }), ConfigError, JSON.stringify(bad));
});
