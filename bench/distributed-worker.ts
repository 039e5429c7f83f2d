/**
 * One process of bench/distributed.ts: trains EfficientECG-w0.25 (1 lead, 10 s at 100 Hz, 4 classes, cross-entropy,
 * AdamW) on fixed synthetic batches through the one training loop, alone or as one rank of a data-parallel group.
 *   tsx bench/distributed-worker.ts RANK WORLD PORT THREADS GLOBAL_BATCH STEPS
 * WORLD 0: no process group. Epoch 1 warms up; epoch 2 is measured. Rank 0 prints one JSON line: samples/s
 * (global), gradient all-reduce ms per step in training (including any wait for a slower rank), bytes per step,
 * and the all-reduce of those bytes alone after a barrier (20 repetitions).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as F from '../src/engine/ops.js';
import { ProcessGroup } from '../src/engine/distributed.js';
import { DataParallel } from '../src/train/distributed.js';
import { mergeConfig, parseTrainConfig, TRAIN_DEFAULTS } from '../src/train/config.js';
import { batchesOf, runTraining } from '../src/train/loop.js';
import { newTrainableModel } from '../src/train/model.js';
import { seededRandom } from '../src/train/random.js';
import type { TrainingTask } from '../src/train/task.js';
import { memoryTask } from '../test/helpers/memory-task.js';

const [rank, world, port, threads, globalBatch, steps] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const LENGTH = 1000;
const CLASSES = 4;
const examples = globalBatch * steps;
const random = seededRandom(7);
const inputs = Float32Array.from({ length: examples * LENGTH }, () => random.normal());
const labels = BigInt64Array.from({ length: examples }, () => BigInt(random.int(CLASSES)));

function task(): TrainingTask<number[]> {
  const model = newTrainableModel('efficientecg-w0.25', false, { leads: 1, classes: CLASSES }, []);
  return memoryTask({
    model,
    epochBatches: () =>
      batchesOf(
        Array.from({ length: examples }, (_, i) => i),
        globalBatch,
      ),
    loss: (indices) => {
      const x = new Float32Array(indices.length * LENGTH);
      indices.forEach((index, row) =>
        x.set(inputs.subarray(index * LENGTH, (index + 1) * LENGTH), row * LENGTH),
      );
      const target = BigInt64Array.from(indices.map((index) => labels[index]!));
      return F.crossEntropy(
        model.logits(F.tensor(x, [indices.length, 1, LENGTH]), []),
        F.tensor(target, [indices.length]),
      );
    },
  });
}

const out = mkdtempSync(join(tmpdir(), 'eecg-bench-ddp-'));
const config = parseTrainConfig(
  mergeConfig(TRAIN_DEFAULTS, {
    dataset: 'cinc2017',
    data: '<memory>',
    model: 'efficientecg-w0.25',
    out,
    batchSize: globalBatch,
    epochs: 2,
    threads,
    workers: 0,
    logEvery: 1000,
    patience: null,
  }),
);
const parallel =
  world === 0
    ? undefined
    : new DataParallel(
        ProcessGroup.init({
          rank,
          worldSize: world,
          masterAddr: '127.0.0.1',
          masterPort: port,
          timeoutMs: 600_000,
        }),
      );
let afterWarmup = { steps: 0, allReduceMs: 0 };
let measured: { samplesPerSecond: number } | null = null;
try {
  await runTraining(
    config,
    {
      progressBar: false,
      ...(parallel ? { distributed: parallel } : {}),
      onLog: (line) => {
        if (line.type !== 'epoch') return;
        if (line.epoch === 1) afterWarmup = { ...(parallel?.stats ?? { steps: 0, allReduceMs: 0 }) };
        else measured = { samplesPerSecond: line.samplesPerSecond as number };
      },
    },
    () => Promise.resolve(task()),
  );
  // The all-reduce alone (after a barrier, so no rank waits for a slower one): the communication cost of a step.
  let pureAllReduceMs = 0;
  if (parallel) {
    const gradients = F.zeros([parallel.stats.bytesPerStep / 4]);
    parallel.barrier();
    const started = performance.now();
    for (let i = 0; i < 20; i++) parallel.group.allReduce([gradients], 'mean');
    pureAllReduceMs = (performance.now() - started) / 20;
  }
  if (rank === 0) {
    const stats = parallel?.stats;
    const measuredSteps = stats ? stats.steps - afterWarmup.steps : 0;
    process.stdout.write(
      `${JSON.stringify({
        samplesPerSecond: measured!.samplesPerSecond,
        allReduceMsPerStep:
          stats && measuredSteps > 0 ? (stats.allReduceMs - afterWarmup.allReduceMs) / measuredSteps : 0,
        bytesPerStep: stats?.bytesPerStep ?? 0,
        pureAllReduceMs,
      })}\n`,
    );
  }
} finally {
  parallel?.destroy();
  rmSync(out, { recursive: true, force: true });
}
