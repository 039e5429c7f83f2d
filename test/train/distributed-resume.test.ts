/**
 * Data-parallel resume, end to end through the CLI on 127.0.0.1: `train --nproc-per-node 2` on the custom fixture
 * is killed with SIGKILL (launcher and both ranks, as a crashed node) after its first checkpoint, resumed with
 * `--resume`, and ends with the weights and optimiser state of an uninterrupted 2-rank run.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_FILES } from '../../src/train/loop.js';
import { checkpointTensors, maxDifference, TINY_MODEL } from './helpers.js';
import { freePort } from '../helpers/ports.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const data = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eecg-ddp-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EPOCHS = 4;

async function trainArgs(out: string, ...extra: string[]): Promise<string[]> {
  const config = join(dir, 'tiny.json');
  // One preprocessed cache for every run: both ranks of the first run build it at once (src/datasets/cache).
  writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL, cacheDir: join(dir, 'cache') }));
  return [
    ...['--import', 'tsx', cli, 'train'],
    ...['--config', config, '--dataset', 'custom', '--data', data, '--out', out],
    ...['--model', 'efficientecg-w0.25', '--epochs', String(EPOCHS), '--window', '5', '--batch-size', '2'],
    ...['--workers', '0', '--threads', '1', '--no-augment'],
    ...['--nproc-per-node', '2', '--master-port', String(await freePort()), '--dist-timeout', '120'],
    ...extra,
  ];
}

const epochLines = (out: string) =>
  existsSync(join(out, RUN_FILES.log))
    ? readFileSync(join(out, RUN_FILES.log), 'utf8')
        .split('\n')
        .filter((line) => line.includes('"type":"epoch"')).length
    : 0;

test('2 ranks killed after a checkpoint and resumed end with the weights of an uninterrupted 2-rank run', async () => {
  const straight = join(dir, 'straight');
  const full = spawnSync(process.execPath, await trainArgs(straight), { encoding: 'utf8', timeout: 300_000 });
  assert.equal(full.status, 0, full.stderr);
  assert.equal(epochLines(straight), EPOCHS);

  // The launcher in its own process group, so that one SIGKILL takes it and both ranks, mid-run.
  const killed = join(dir, 'killed');
  const child = spawn(process.execPath, await trainArgs(killed), { detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (epochLines(killed) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  const done = epochLines(killed);
  assert.ok(done >= 1 && done < EPOCHS, `killed after ${done} of ${EPOCHS} epochs`);

  const resumed = spawnSync(process.execPath, await trainArgs(killed, '--resume'), {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(epochLines(killed), EPOCHS);

  const worst = maxDifference(
    checkpointTensors(join(straight, RUN_FILES.last)),
    checkpointTensors(join(killed, RUN_FILES.last)),
  );
  assert.ok(worst <= 1e-6, `resumed weights differ by ${worst}`);
});
