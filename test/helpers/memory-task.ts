/**
 * A training task over examples held in memory, for tests and benches that train through the one loop
 * (src/train/loop.ts) without a dataset (test/helpers/distributed-train-rank.ts, bench/distributed-worker.ts): the
 * caller gives the model, each epoch's batches of example indices and a batch's loss; validation scores nothing.
 */
import type { Tensor } from '../../src/engine/tensor.js';
import type { TrainableModel } from '../../src/train/model.js';
import type { TrainingTask } from '../../src/train/task.js';

export interface MemoryTaskParts {
  model: TrainableModel;
  epochBatches: (epoch: number) => number[][];
  /** The loss of the examples at these indices. */
  loss: (indices: readonly number[]) => Tensor;
  /** The checkpoint's labels (default none). */
  labels?: string[];
  /** More of the checkpoint's `training` metadata, beside the state. */
  training?: Record<string, unknown>;
}

export function memoryTask(parts: MemoryTaskParts): TrainingTask<number[]> {
  const { model } = parts;
  return {
    name: 'records',
    model,
    prefetch: 1,
    epochBatches: parts.epochBatches,
    fetch: (batches, _epoch, s) => Promise.resolve(batches[s]!),
    loss: (indices) => parts.loss(indices),
    release: () => undefined,
    validate: () =>
      Promise.resolve({
        metrics: { metric: 'none', value: null, details: {}, thresholds: {}, records: 0 },
        outputs: {
          task: 'records',
          classes: [],
          labelKind: 'single-label',
          ids: [],
          groups: [],
          labels: [],
          logits: [],
        },
      }),
    checkpointMetadata: (state) => ({
      model: model.spec,
      labels: parts.labels ?? [],
      preprocessing: {},
      extra: { training: { state, ...parts.training } },
    }),
    close: () => Promise.resolve(),
  };
}
