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

/**
 * A 3-epoch run of a Linear(2, 2) over 8 samples in batches of 4, whose loss at step `s` (1-based, over the run) is
 * `loss(module, x, s)` on x = [i / 8, 1] rows; the module, to check its weights after.
 */
function diverging(
  dir: string,
  overrides: Parameters<typeof tinyConfig>[1],
  loss: (module: Linear, x: ReturnType<typeof F.tensor>, step: number) => ReturnType<typeof F.tensor>,
) {
  const config = tinyConfig(dir, { batchSize: 4, epochs: 3, lr: 0.01, ...overrides });
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
          return loss(module, x, ++steps);
        },
        training: { config },
      }),
    ),
  );
  return { run, module };
}

const finite = (module: Linear) =>
  module.parameters().every((p) => p.data<'float32'>().every(Number.isFinite));

test('a NaN loss is a TrainingDivergedError naming epoch and step; the last checkpoint keeps the epoch before', async () => {
  const { dir, dispose } = tempDir();
  try {
    // The fourth step (epoch 2, step 2) meets a non-finite sample.
    const { run, module } = diverging(dir, {}, (m, x, step) =>
      F.mean(F.pow(m.forward(step === 4 ? F.mul(x, Number.NaN) : x), 2)),
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
    assert.ok(finite(module));
  } finally {
    dispose();
  }
});

test('a finite loss with non-finite gradients is a TrainingDivergedError too, with or without clipping', async () => {
  for (const gradClip of [1, null]) {
    const { dir, dispose } = tempDir();
    try {
      // The fourth step adds sqrt(0 * out): 0 in value, but its gradient is infinity times 0 (NaN).
      const { run, module } = diverging(dir, { gradClip }, (m, x, step) => {
        const out = m.forward(x);
        const loss = F.mean(F.pow(out, 2));
        return step === 4 ? F.add(loss, F.sum(F.sqrt(F.mul(out, 0)))) : loss;
      });
      await assert.rejects(
        run,
        (error: unknown) =>
          error instanceof TrainingDivergedError &&
          /the gradient norm is NaN \(loss [0-9.e-]+\) at epoch 2, step 2; the step was not taken and last\.safetensors holds epoch 1/.test(
            error.message,
          ),
        `gradClip ${gradClip}`,
      );
      assert.ok(finite(module));
    } finally {
      dispose();
    }
  }
});
