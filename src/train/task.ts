/**
 * What the one training loop (src/train/loop.ts) needs to know of a task: its model, each epoch's batches, the loss
 * of a batch, and how to score the model on the validation split. Records (src/train/trainer.ts: windows of whole
 * recordings) and beats (src/train/beats.ts: windows around R peaks with RR context) are the two tasks; the loop owns
 * everything they share (seeding, schedule, optimiser, clipping, checkpoints, resume, logs, early stopping) so that
 * cross-validation (src/train/cv.ts) and distributed training are written once, over this interface.
 */
import type { CheckpointMetadata } from '../export/checkpoint.js';
import type { Tensor } from '../engine/tensor.js';
import type { TrainingState } from './checkpoint.js';
import type { ValidationShard } from './distributed.js';
import type { TrainableModel } from './model.js';
import type { LogLine } from './progress.js';
import type { ValidationMetrics } from './validate.js';

/** Per-item outputs of a model on one split: what cross-validation pools across folds. */
export interface TaskOutputs {
  /** 'records' (one item per recording), 'beats' (one item per annotated beat) or 'pretrain' (no items). */
  task: 'records' | 'beats' | 'pretrain';
  classes: string[];
  labelKind: 'single-label' | 'multi-label';
  /** Item ids (record id, or `record:sample` for beats). */
  ids: string[];
  /** The patient (or record) each item belongs to: the unit folds are grouped by. */
  groups: string[];
  /** Reference class indices of each item. */
  labels: number[][];
  /** Raw logits of each item (aggregated over its windows for records). */
  logits: number[][];
}

export interface TrainingTask<Batch> {
  /** Human-readable name for logs ('records', 'beats', 'pretrain'). */
  readonly name: 'records' | 'beats' | 'pretrain';
  readonly model: TrainableModel;
  /** Example indices of each batch of `epoch`, from PRNG(seed, epoch). */
  epochBatches(epoch: number): number[][];
  /**
   * Starts building batches `s` of `batches` in the background where the task can (the record task's loader
   * workers); the loop awaits them in order.
   */
  fetch(batches: readonly number[][], epoch: number, s: number): Promise<Batch>;
  /** The scalar loss of a batch, with its graph (the loop calls backward). Runs inside a scope. */
  loss(batch: Batch, indices: readonly number[], at: { epoch: number; step: number }): Tensor;
  /** Hands a batch's buffers back for reuse once its step is done. */
  release(batch: Batch): void;
  /** How deep the loop may prefetch. */
  readonly prefetch: number;
  /**
   * Scores the current weights on the validation split (model left in training mode). In data-parallel training
   * `shard` lets each rank score its part and gather every item's outputs (a task may ignore it and score all).
   */
  validate(shard?: ValidationShard): Promise<{ metrics: ValidationMetrics; outputs: TaskOutputs }>;
  /** Checkpoint metadata for the current weights. */
  checkpointMetadata(state: TrainingState, validation: ValidationMetrics | null): CheckpointMetadata;
  /** Extra fields for the epoch's log line (e.g. the beat task's class weights). */
  epochLog?(epoch: number): Partial<LogLine>;
  /** Releases workers, the optimiser's model and buffers. */
  close(): Promise<void>;
}
