/**
 * One rank of a data-parallel training test (test/train/distributed.test.ts), as its own process:
 *   tsx distributed-train-rank.ts OUT RANK WORLD PORT GLOBAL_BATCH STEPS [die-after-step]
 * Trains a small MLP (no BatchNorm, no dropout) on fixed synthetic examples through the one training loop
 * (src/train/loop.ts); WORLD 0 means no process group at all. Prints its final parameters as one JSON line, or the
 * typed error it got. With die-after-step, rank WORLD-1 kills itself (SIGKILL) after that many steps.
 */
import * as F from '../../src/engine/ops.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { ProcessGroup } from '../../src/engine/distributed.js';
import { Activation, Linear, Sequential } from '../../src/nn/index.js';
import { DataParallel } from '../../src/train/distributed.js';
import { batchesOf, runTraining } from '../../src/train/loop.js';
import { seededRandom, shuffled } from '../../src/train/random.js';
import type { TrainingTask } from '../../src/train/task.js';
import type { DistributedError } from '../../src/errors.js';
import { tinyConfig } from '../train/helpers.js';
import { memoryTask } from './memory-task.js';

const [out, rankText, worldText, portText, batchText, stepsText, dieText] = process.argv.slice(2);
const rank = Number(rankText);
const world = Number(worldText);
const globalBatch = Number(batchText);
const steps = Number(stepsText);
const FEATURES = 6;
const CLASSES = 3;
const examples = globalBatch * steps;

/** Fixed inputs and labels: the same on every rank and in every run. */
const random = seededRandom(11);
const inputs = Float32Array.from({ length: examples * FEATURES }, () => random.next() * 2 - 1);
const labels = Array.from({ length: examples }, (_, i) =>
  inputs[i * FEATURES]! + inputs[i * FEATURES + 1]! > 0 ? (inputs[i * FEATURES + 2]! > 0 ? 2 : 1) : 0,
);

function mlpTask(): TrainingTask<number[]> {
  // Each rank initialises differently: rank 0's weights must reach the others (broadcastState).
  manualSeed(100 + rank);
  const module = new Sequential(new Linear(FEATURES, 16), new Activation('tanh'), new Linear(16, CLASSES));
  let done = 0;
  return memoryTask({
    model: { module, spec: { name: 'test-mlp', config: {} }, logits: (x) => module.forward(x) },
    epochBatches: (epoch) =>
      batchesOf(
        shuffled(
          Array.from({ length: examples }, (_, i) => i),
          seededRandom(5, epoch),
        ),
        globalBatch,
      ),
    loss: (indices) => {
      if (dieText !== undefined && rank === world - 1 && done++ === Number(dieText))
        process.kill(process.pid, 'SIGKILL');
      const x = F.tensor(
        Float32Array.from(indices.flatMap((i) => [...inputs.subarray(i * FEATURES, (i + 1) * FEATURES)])),
        [indices.length, FEATURES],
      );
      const target = F.tensor(BigInt64Array.from(indices.map((i) => BigInt(labels[i]!))), [indices.length]);
      return F.crossEntropy(module.forward(x), target);
    },
    labels: ['a', 'b', 'c'],
    training: { config },
  });
}

const config = tinyConfig(out!, {
  batchSize: globalBatch,
  epochs: 1,
  lr: 0.05,
  gradClip: null,
  weightDecay: 0,
});
const report = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
try {
  const parallel =
    world === 0
      ? undefined
      : new DataParallel(
          ProcessGroup.init({
            rank,
            worldSize: world,
            masterAddr: '127.0.0.1',
            masterPort: Number(portText),
            timeoutMs: 20_000,
          }),
        );
  let module: Sequential | null = null;
  await runTraining(config, { distributed: parallel, progressBar: false }, () => {
    const task = mlpTask();
    module = task.model.module as Sequential;
    return Promise.resolve(task);
  });
  report({ parameters: module!.parameters().map((p) => [...p.data()]), stats: parallel?.stats ?? null });
  parallel?.destroy();
} catch (error) {
  const e = error as DistributedError;
  report({ error: e.name, failure: e.failure, message: e.message });
}
