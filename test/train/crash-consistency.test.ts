/**
 * Crash consistency of a run's files (issue 17): a training process SIGKILLed before any step of any checkpoint
 * write (open, write, fsync, rename, folder fsync; best and last) never loses the last good `best` or `last`, and
 * `--resume` then ends exactly where an uninterrupted run ends: same weights, same best, same log, no temporaries.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { RUN_FILES, train } from '../../src/train/index.js';
import { checkpointTensors, maxDifference, tempDir, tinyConfig } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

const child = fileURLToPath(new URL('../helpers/train-until-killed.ts', import.meta.url));
const EPOCHS = 3;
const STEPS_PER_WRITE = 5; // open, write, fsync, rename, fsync-dir

interface WriteStep {
  step: string;
  file: string;
}

function runChild(out: string, killAt: number): { steps: WriteStep[]; killed: boolean } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, out, String(EPOCHS), String(killAt)],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const killed = result.signal === 'SIGKILL';
  assert.ok(killed || result.status === 0, result.stderr);
  const steps = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WriteStep);
  return { steps, killed };
}

/** The log without its clock: type, epoch, step, loss and validation of every line. */
function logShape(out: string): string[] {
  return readFileSync(join(out, RUN_FILES.log), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const { type, epoch, step, loss, validation } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify({ type, epoch, step, loss, validation });
    });
}

test('a kill before any step of a checkpoint write loses neither best nor last; resume ends as a straight run', async () => {
  const { dir, dispose } = tempDir();
  try {
    const straight = join(dir, 'straight');
    const { steps } = runChild(straight, -1);
    // Every epoch improves the metric on this data: best then last, each in five steps.
    assert.equal(steps.length, EPOCHS * 2 * STEPS_PER_WRITE);
    assert.deepEqual(
      steps.slice(0, 2 * STEPS_PER_WRITE).map((s) => s.file),
      [...Array(STEPS_PER_WRITE).fill(RUN_FILES.best), ...Array(STEPS_PER_WRITE).fill(RUN_FILES.last)],
    );
    const perEpoch = 2 * STEPS_PER_WRITE;
    // Every step of the second epoch's two writes, and two of the first epoch's (before any `last` exists).
    const killPoints = [1, perEpoch - 2, ...Array.from({ length: perEpoch }, (_, i) => perEpoch + i)];
    for (const killAt of killPoints) {
      const out = join(dir, `kill-${killAt}`);
      const run = runChild(out, killAt);
      assert.ok(run.killed, `kill point ${killAt} reached`);
      assert.equal(run.steps.length, killAt);
      // The last best whose rename completed before the kill is still there and readable.
      const bestRenamed = steps
        .slice(0, killAt)
        .some((s) => s.file === RUN_FILES.best && s.step === 'rename');
      if (bestRenamed) readCheckpoint(join(out, RUN_FILES.best));
      if (killAt >= perEpoch) readCheckpoint(join(out, RUN_FILES.last));

      const notices: string[] = [];
      const resumed = await train(
        tinyConfig(out, { epochs: EPOCHS, logEvery: 1 }),
        syntheticDataset({ leads: 2, labelKind: 'multi-label' }),
        { resume: true, progressBar: false, onNotice: (m) => notices.push(m) },
      );
      assert.equal(resumed.state.epoch, EPOCHS, `kill point ${killAt}`);
      assert.equal(
        maxDifference(checkpointTensors(join(straight, RUN_FILES.last)), checkpointTensors(resumed.lastPath)),
        0,
      );
      assert.equal(
        maxDifference(
          checkpointTensors(join(straight, RUN_FILES.best)),
          checkpointTensors(resumed.bestPath!),
        ),
        0,
      );
      assert.deepEqual(logShape(out), logShape(straight), `log after kill point ${killAt}`);
      assert.deepEqual(
        readdirSync(out).filter((name) => name.endsWith('.tmp')),
        [],
        `no temporaries after kill point ${killAt}`,
      );
      assert.equal(
        notices.some((m) => m.includes('no checkpoint yet')),
        killAt <= perEpoch - STEPS_PER_WRITE + 3,
      );
    }
  } finally {
    dispose();
  }
});

test('--resume in a folder that holds no run is a MissingFileError', async () => {
  const { dir, dispose } = tempDir();
  try {
    await assert.rejects(
      train(tinyConfig(join(dir, 'empty'), { epochs: 1 }), syntheticDataset(), { resume: true }),
      (error: Error) => error.name === 'MissingFileError' && /nothing to resume/.test(error.message),
    );
    assert.equal(existsSync(join(dir, 'empty', RUN_FILES.config)), false);
  } finally {
    dispose();
  }
});

test('a full disk while writing a checkpoint is a DiskFullError naming the file and what to free', async () => {
  const { dir, dispose } = tempDir();
  try {
    const out = join(dir, 'full');
    const noSpace = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    await assert.rejects(
      train(tinyConfig(out, { epochs: 1 }), syntheticDataset(), {
        progressBar: false,
        beforeWriteStep: (step) => {
          if (step === 'write') throw noSpace;
        },
      }),
      (error: Error) =>
        error.name === 'DiskFullError' &&
        error.message.includes(RUN_FILES.best) &&
        /disk is full/.test(error.message) &&
        /last and best checkpoints/.test(error.message),
    );
    assert.deepEqual(
      readdirSync(out).filter((name) => name.endsWith('.tmp')),
      [],
    );
  } finally {
    dispose();
  }
});
