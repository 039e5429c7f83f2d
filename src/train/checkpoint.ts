/**
 * Training checkpoints: `last.safetensors` (weights + AdamW moments + the training state, written every epoch)
 * and `best.safetensors` (weights when the validation metric improved), both atomic. The metadata carries what
 * evaluation and prediction need: labels in order, preprocessing and window, model spec, label kind and output
 * activation, thresholds and validation metrics, dataset and split.
 */
import { saveCheckpoint, type CheckpointMetadata } from '../export/checkpoint.js';
import type { AtomicOptions } from '../util/atomic.js';
import type { StoredTensor } from '../nn/module.js';
import type { AdamW } from '../optim/index.js';
import type { TrainableModel } from './model.js';

/** Where a run stands at the end of an epoch; enough to continue it identically. */
export interface TrainingState {
  /** Completed epochs. */
  epoch: number;
  /** Optimiser steps taken (the schedule position). */
  step: number;
  bestMetric: number | null;
  bestEpoch: number | null;
  /** Epochs since the best metric last improved (early stopping counter). */
  epochsWithoutImprovement: number;
  /** Why the run ended before its last epoch, if it did. */
  stopped: 'early-stopping' | null;
}

export const INITIAL_STATE: TrainingState = {
  epoch: 0,
  step: 0,
  bestMetric: null,
  bestEpoch: null,
  epochsWithoutImprovement: 0,
  stopped: null,
};

/**
 * `extraState`: more tensors for the optimiser section (the live weights of an averaged run); `write`: the atomic
 * write's options (disk-full advice, fault injection).
 */
export function writeCheckpoint(
  path: string,
  model: TrainableModel,
  metadata: CheckpointMetadata,
  optimizer: AdamW | null,
  { extraState, write }: { extraState?: Map<string, StoredTensor>; write?: AtomicOptions } = {},
): void {
  const state = optimizer ? new Map([...optimizer.savedState(), ...(extraState ?? [])]) : undefined;
  saveCheckpoint(path, model.module, metadata, state, write);
}
