/**
 * torchrun-style launch (src/train/launch.ts, `train --nproc-per-node`): the rank environment, the workers' layout
 * over several machines, supervision (one worker fails: the others are stopped and the failure names the rank), and
 * a real 2-process training run through the CLI on 127.0.0.1.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DistributedError } from '../../src/errors.js';
import {
  rankFromEnvironment,
  superviseProcesses,
  superviseWorkers,
  workerEnvironments,
} from '../../src/train/launch.js';
import { TINY_MODEL } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'eecg-launch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const local = { nprocPerNode: 2, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500 };

test('the rank environment: read as torchrun sets it; absent means one process; partial or wrong is an error', () => {
  assert.equal(rankFromEnvironment({}), null);
  assert.deepEqual(
    rankFromEnvironment({
      RANK: '3',
      WORLD_SIZE: '4',
      LOCAL_RANK: '1',
      MASTER_ADDR: 'h0',
      MASTER_PORT: '29501',
    }),
    { rank: 3, worldSize: 4, localRank: 1, masterAddr: 'h0', masterPort: 29501 },
  );
  assert.throws(
    () => rankFromEnvironment({ RANK: '0', WORLD_SIZE: '2' }),
    /MASTER_ADDR, MASTER_PORT not set/,
  );
  assert.throws(
    () => rankFromEnvironment({ RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }),
    ConfigError,
  );
  assert.throws(
    () => rankFromEnvironment({ RANK: 'x', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }),
    /RANK=x/,
  );
});

test('workers of node 1 of 2 with 2 processes each are ranks 2 and 3 of 4', () => {
  const envs = workerEnvironments({ ...local, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1' });
  assert.deepEqual(
    envs.map((env) => [env.RANK, env.LOCAL_RANK, env.WORLD_SIZE, env.MASTER_ADDR]),
    [
      ['2', '0', '4', '10.0.0.1'],
      ['3', '1', '4', '10.0.0.1'],
    ],
  );
  assert.throws(
    () => workerEnvironments({ ...local, nodeRank: 1 }),
    /--node-rank 1 must be below --nnodes 1/,
  );
});

test('one worker fails: the launcher stops the other and rejects naming the rank', async () => {
  const script = "if (process.env.RANK === '1') process.exit(3); setTimeout(() => {}, 120000);";
  const lines: string[] = [];
  const started = Date.now();
  await assert.rejects(
    superviseWorkers(process.execPath, ['-e', script], local, (line) => lines.push(line)),
    (error: unknown) =>
      error instanceof DistributedError && /rank 1: worker: exited with code 3/.test(error.message),
  );
  // rank 0 would sleep 2 minutes: it was stopped instead.
  assert.ok(Date.now() - started < 60_000);
  assert.ok(lines.some((line) => line.includes('rank 1 exited with code 3')));
});

test('all workers exit 0: the launcher resolves', async () => {
  await superviseWorkers(process.execPath, ['-e', 'process.exit(0)'], local, () => undefined);
});

test('train --nproc-per-node 2: two ranks train one run; rank 0 writes the checkpoint and the log', () => {
  const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
  const data = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL }));
  const out = join(dir, 'run');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      'train',
      ...['--config', config, '--dataset', 'custom', '--data', data, '--out', out],
      ...['--model', 'efficientecg-w0.25', '--epochs', '1', '--window', '5', '--batch-size', '2'],
      ...['--workers', '0', '--threads', '1', '--cache-dir', join(dir, 'cache'), '--no-augment'],
      ...[
        '--nproc-per-node',
        '2',
        '--master-port',
        String(20000 + (process.pid % 20000)),
        '--dist-timeout',
        '120',
      ],
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.ok(existsSync(join(out, 'last.safetensors')));
  const epochs = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"epoch"'));
  assert.equal(epochs.length, 1);
  // rank 0 printed the result; both ranks reported their all-reduce.
  assert.equal(result.stdout.trim().split('\n').length, 1);
  assert.match(result.stderr, /rank 0: [1-9]\d* steps, gradient all-reduce/);
  assert.match(result.stderr, /rank 1: [1-9]\d* steps, gradient all-reduce/);
});

test(
  'a process that cannot start fails the launch (it emits no exit: the launcher waited for ever)',
  { timeout: 20_000 },
  async () => {
    const logged: string[] = [];
    const started = Date.now();
    await assert.rejects(
      superviseProcesses(
        '/nonexistent/node',
        [0, 1].map((rank) => ({
          label: `rank ${rank}`,
          args: [],
          env: {},
          failed: (how: string) => new DistributedError(rank, 'launch', how),
        })),
        (line) => logged.push(line),
      ),
      (error: unknown) =>
        error instanceof DistributedError &&
        /rank 0: launch: could not start \(spawn .*ENOENT\)/.test(error.message),
    );
    assert.ok(Date.now() - started < 10_000);
    assert.ok(
      logged.some((line) => /launcher: rank 0 could not start/.test(line)),
      logged.join('\n'),
    );
    assert.equal(process.listenerCount('SIGINT'), 0, 'signal handlers removed');
  },
);
