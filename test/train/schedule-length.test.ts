/**
 * The schedule's length is the steps the loop runs: a trailing batch of one is dropped (BatchNorm needs two), and
 * the one-cycle must still end on the last step that runs (a task that counted the dropped batch ended with the
 * learning rate well above its final value).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { ConfigError } from '../../src/errors.js';
import { Linear } from '../../src/nn/index.js';
import { oneCycle } from '../../src/optim/schedules.js';
import { batchesOf, runTraining, scheduleOf } from '../../src/train/loop.js';
import { memoryTask } from '../helpers/memory-task.js';
import { tempDir, tinyConfig } from './helpers.js';

test('the one-cycle ends on the last step run when the trailing batch of one is dropped', async () => {
  const { dir, dispose } = tempDir();
  try {
    const config = tinyConfig(dir, { batchSize: 4, epochs: 3, lr: 0.01, schedule: 'one-cycle' });
    manualSeed(1);
    const module = new Linear(2, 2);
    const inputs = Float32Array.from({ length: 18 }, (_, i) => Math.sin(i));
    await runTraining(config, { progressBar: false }, () =>
      Promise.resolve(
        memoryTask({
          model: { module, spec: { name: 'test-linear', config: {} }, logits: (x) => module.forward(x) },
          epochBatches: () => batchesOf([0, 1, 2, 3, 4, 5, 6, 7, 8], 4), // [4, 4]; the ninth example is dropped
          loss: (indices) => {
            const x = F.tensor(
              Float32Array.from(indices.flatMap((i) => [inputs[2 * i]!, inputs[2 * i + 1]!])),
              [indices.length, 2],
            );
            return F.mean(F.pow(module.forward(x), 2));
          },
          training: { config },
        }),
      ),
    );
    const epochs = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; lr: number; steps: number })
      .filter((line) => line.type === 'epoch');
    assert.deepEqual(
      epochs.map((e) => e.steps),
      [2, 2, 2],
    );
    const schedule = oneCycle({ maxLr: 0.01, totalSteps: 6, pctStart: config.warmupFraction });
    assert.equal(epochs.at(-1)!.lr, schedule(5));
    assert.ok(
      epochs.at(-1)!.lr < 1e-6,
      `the run ends at the schedule's final rate, not ${epochs.at(-1)!.lr}`,
    );
  } finally {
    dispose();
  }
});

test('a cosine schedule whose warm-up fraction rounds to every step keeps one step after the warm-up', () => {
  for (const [warmupFraction, steps] of [
    [0.8, 2],
    [0.9, 3],
    [0.95, 10],
  ] as const) {
    const schedule = scheduleOf(tinyConfig('/tmp/unused', { warmupFraction, schedule: 'cosine' }), steps);
    const rates = Array.from({ length: steps }, (_, s) => schedule(s));
    assert.ok(
      rates.every((lr) => Number.isFinite(lr) && lr > 0),
      `${warmupFraction} x ${steps}: ${rates}`,
    );
    assert.equal(Math.max(...rates), rates.at(-2) ?? rates[0]);
  }
});

test('a run with no training step in an epoch is a ConfigError, not a run that ends with its initial weights', async () => {
  const { dir, dispose } = tempDir();
  try {
    const module = new Linear(2, 2);
    await assert.rejects(
      runTraining(tinyConfig(dir, { batchSize: 4 }), { progressBar: false }, () =>
        Promise.resolve(
          memoryTask({
            model: { module, spec: { name: 'test-linear', config: {} }, logits: (x) => module.forward(x) },
            epochBatches: () => batchesOf([0], 4), // one example: its batch of one is dropped
            loss: () => F.sum(module.forward(F.zeros([2, 2]))),
          }),
        ),
      ),
      (error: unknown) =>
        error instanceof ConfigError &&
        /no training step in an epoch: 0 training example\(s\)/.test(error.message),
    );
  } finally {
    dispose();
  }
});
