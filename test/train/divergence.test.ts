/**
 * A non-finite loss stops training with a TrainingDivergedError naming the epoch and step, before the step: the
 * weights and the last checkpoint stay those of the previous epoch (a NaN step would have spoilt both).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import * as F from '../../src/engine/ops.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { TrainingDivergedError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { Linear } from '../../src/nn/index.js';
import { batchesOf, RUN_FILES, runTraining } from '../../src/train/loop.js';
import { memoryTask } from '../helpers/memory-task.js';
import { tempDir, tinyConfig } from './helpers.js';

test('a NaN loss is a TrainingDivergedError naming epoch and step; the last checkpoint keeps the epoch before', async () => {
  const { dir, dispose } = tempDir();
  try {
    const config = tinyConfig(dir, { batchSize: 4, epochs: 3, lr: 0.01 });
    manualSeed(1);
    const module = new Linear(2, 2);
    let steps = 0;
    const run = runTraining(config, { progressBar: false }, () =>
      Promise.resolve(
        memoryTask({
          model: { module, spec: { name: 'test-linear', config: {} }, logits: (x) => module.forward(x) },
          epochBatches: () => batchesOf([0, 1, 2, 3, 4, 5, 6, 7], 4),
          loss: (indices) => {
            // The fourth step (epoch 2, step 2) meets a non-finite sample.
            const bad = ++steps === 4 ? Number.NaN : 1;
            const x = F.tensor(Float32Array.from(indices.flatMap((i) => [i / 8, bad])), [indices.length, 2]);
            return F.mean(F.pow(module.forward(x), 2));
          },
          training: { config },
        }),
      ),
    );
    await assert.rejects(
      run,
      (error: unknown) =>
        error instanceof TrainingDivergedError &&
        /the loss is NaN at epoch 2, step 2; the step was not taken and last\.safetensors holds epoch 1/.test(
          error.message,
        ),
    );
    const last = readCheckpoint(join(dir, RUN_FILES.last));
    const state = (last.metadata.extra!.training as { state: { epoch: number } }).state;
    assert.equal(state.epoch, 1);
    for (const [name, tensor] of last.state) assert.ok(tensor.data.every(Number.isFinite), name);
    for (const p of module.parameters()) assert.ok(p.data<'float32'>().every(Number.isFinite));
  } finally {
    dispose();
  }
});

test('a finite loss with non-finite gradients is a TrainingDivergedError too, with or without clipping', async () => {
  for (const gradClip of [1, null]) {
    const { dir, dispose } = tempDir();
    try {
      const config = tinyConfig(dir, { batchSize: 4, epochs: 3, lr: 0.01, gradClip });
      manualSeed(1);
      const module = new Linear(2, 2);
      let steps = 0;
      const run = runTraining(config, { progressBar: false }, () =>
        Promise.resolve(
          memoryTask({
            model: { module, spec: { name: 'test-linear', config: {} }, logits: (x) => module.forward(x) },
            epochBatches: () => batchesOf([0, 1, 2, 3, 4, 5, 6, 7], 4),
            loss: (indices) => {
              const x = F.tensor(Float32Array.from(indices.flatMap((i) => [i / 8, 1])), [indices.length, 2]);
              const out = module.forward(x);
              const loss = F.mean(F.pow(out, 2));
              // The fourth step adds sqrt(0 * out): 0 in value, but its gradient is infinity times 0 (NaN).
              return ++steps === 4 ? F.add(loss, F.sum(F.sqrt(F.mul(out, 0)))) : loss;
            },
            training: { config },
          }),
        ),
      );
      await assert.rejects(
        run,
        (error: unknown) =>
          error instanceof TrainingDivergedError &&
          /the gradient norm is NaN \(loss [0-9.e-]+\) at epoch 2, step 2; the step was not taken and last\.safetensors holds epoch 1/.test(
            error.message,
          ),
        `gradClip ${gradClip}`,
      );
      for (const p of module.parameters()) assert.ok(p.data<'float32'>().every(Number.isFinite));
    } finally {
      dispose();
    }
  }
});
