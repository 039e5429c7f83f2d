/**
 * The record task (src/train/task.ts) and `train`, the one entry point of training: windows of whole recordings
 * (random crops in training; sliding windows whose logits are averaged per record in validation), any registry model
 * or EfficientECG-Fusion with patient tokens. `train` hands MIT-BIH (beats) to the beat task; both run in the one
 * loop of src/train/loop.ts, which owns seeding, the schedule, checkpoints and resume.
 */
import type { Dataset, DatasetEntry } from '../datasets/types.js';
import type { MitdbDataset } from '../datasets/mitdb/index.js';
import * as F from '../engine/ops.js';
import { manualSeed } from '../engine/runtime.js';
import type { Checkpoint, CheckpointMetadata } from '../export/checkpoint.js';
import type { WindowSpec } from './batch.js';
import type { TrainingState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { beatTokenValues, DEFAULT_BEAT_PCA, fitTrainingBeatPca, storedBeats } from './beat-token.js';
import type { BeatPcaSpec, FusionConfig, NumericGroupSpec, PatientRow } from '../models/fusion.js';
import { applyCvFold } from './cv-folds.js';
import { loadTrainingData, preprocessOf, splitIndices, type TrainingData } from './data.js';
import { withInit } from './init.js';
import { inheritedTrainingRecords, unconfirmedCustomAncestors } from './lineage.js';
import { createBatchSource, type BatchSource } from './loader.js';
import { batchesOf, RUN_FILES, runTraining, type TrainOptions, type TrainResult } from './loop.js';
import { newTrainableModel, restoredModel, rowOf, type TrainableModel } from './model.js';
import { classWeights, lossOf, targetTensor, type ClassWeights } from './objective.js';
import { blendLosses, softLoss, softTargets, type SoftTargets } from './distill.js';
import { rankKey, seededRandom, shuffled, STREAM, type Random } from './random.js';
import type { ValidationShard } from './distributed.js';
import type { TaskOutputs, TrainingTask } from './task.js';
import { predictRecords, validationMetrics, validationSummary, type ValidationMetrics } from './validate.js';
import { ConfigError } from '../errors.js';
import { trainBeats } from './beats.js';
import { pretrain } from './pretrain.js';

export {
  RUN_FILES,
  prepareOutDir,
  savedState,
  scheduleOf,
  nextState,
  type TrainOptions,
  type TrainResult,
} from './loop.js';

/**
 * Trains `config` on `dataset` in `config.out` (checkpoints, log.jsonl, config.json): records, or beats for MIT-BIH.
 * With `config.cvFold` the dataset is re-split into that fold of a patient-grouped cross-validation first.
 */
export async function train(
  config: TrainConfig,
  dataset: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  if (config.pretrain !== null) return pretrain(config, options);
  if (config.dataset === 'mitdb') {
    if (config.cvFold !== null) dataset.split = applyCvFold(dataset.name, dataset.entries, config.cvFold);
    return trainBeats(config, dataset as MitdbDataset, options);
  }
  return runTraining(config, options, async (saved) => {
    const data = await loadTrainingData(dataset, {
      preprocess: preprocessOf(config),
      cacheDir: config.cacheDir,
      rhythm: config.fusion && config.fusionTokens.includes('rhythm'),
      ...(options.onDataProgress ? { onProgress: options.onDataProgress } : {}),
    });
    // Folds are cut after loading: the preprocessed cache is keyed by the dataset's own split, shared by all folds.
    if (config.cvFold !== null) data.split = applyCvFold(data.name, data.entries, config.cvFold);
    return await recordTask(config, data, saved, options);
  });
}

/** Everything the record task holds for a run. */
interface RecordRun {
  config: TrainConfig;
  data: TrainingData;
  train: number[];
  validation: number[];
  window: WindowSpec;
  /** Validation's (and the exported model's) window: the training crop unless config.evalWindowSeconds is set. */
  evalWindow: WindowSpec;
  model: TrainableModel;
  weights: ClassWeights;
  source: BatchSource;
  /** Distillation: the teachers' soft targets for a batch (config.distill), else null. */
  teacher: SoftTargets | null;
  /** Data-parallel rank (0 alone): keys this process's random streams (src/train/random.ts rankKey). */
  rank: number;
  /** Training record ids passed on by a start or teachers of the same dataset (lineage.ts); null: unknown. */
  inherited: string[] | null;
}

async function recordTask(
  config: TrainConfig,
  data: TrainingData,
  saved: Checkpoint | null,
  options: TrainOptions,
): Promise<TrainingTask<Float32Array>> {
  const run = setUp(config, data, saved, options);
  if (config.distill !== null)
    run.teacher = await softTargets(
      config.distill,
      config.cvFold,
      data,
      run.train,
      run.window,
      options.modelsDir,
      config.preprocess.standardize,
    );
  run.inherited = inheritedTrainingRecords(config, data.name, options.modelsDir);
  if (run.rank === 0)
    for (const notice of unconfirmedCustomAncestors(config, data.folder, options.modelsDir))
      (options.onNotice ?? console.error)(notice);
  return {
    name: 'records',
    model: run.model,
    prefetch: run.source.depth,
    epochBatches: (epoch) => epochBatches(run.train, config.batchSize, config.seed, epoch),
    fetch: (batches, epoch, s) =>
      run.source.build({ indices: batches[s]!, seed: config.seed, epoch, step: s, rank: run.rank }),
    loss: (batch, indices, at) => recordLoss(run, batch, indices, at),
    release: (batch) => run.source.recycle(batch),
    validate: (shard) => validate(run, shard),
    checkpointMetadata: (state, validation) => checkpointMetadata(run, state, validation),
    close: async () => {
      await run.source.close();
      run.teacher?.dispose();
      run.model.module.dispose();
    },
  };
}

function setUp(
  config: TrainConfig,
  data: TrainingData,
  saved: Checkpoint | null,
  options: TrainOptions,
): RecordRun {
  const train = splitIndices(data, 'train');
  const validation = splitIndices(data, 'val');
  if (train.length < 2)
    throw new ConfigError(`dataset ${data.name}: ${train.length} training entries (need >= 2)`);
  if (validation.length === 0) {
    throw new ConfigError(
      `dataset ${data.name} has no validation entries (split ${data.split.method}): cannot validate`,
    );
  }
  if (config.windowAggregate === 'max' && data.labelKind !== 'multi-label')
    throw new ConfigError(
      `windowAggregate 'max' is for multi-label tasks; ${data.name} is ${data.labelKind}`,
    );
  const window: WindowSpec = {
    samples: Math.max(1, Math.round(config.windowSeconds * data.fs)),
    shortRecords: config.shortRecords,
    fs: data.fs,
  };
  const evalWindow: WindowSpec =
    config.evalWindowSeconds === null
      ? window
      : { ...window, samples: Math.max(1, Math.round(config.evalWindowSeconds * data.fs)) };
  manualSeed(config.seed);
  // --init only shapes the start: a resumed run continues from its own last checkpoint.
  const model = saved ? restoredModel(saved, RUN_FILES.last) : initialModel(config, data, train, options);
  if (saved) restoreBeatValues(model, data);
  return {
    config,
    data,
    train,
    validation,
    window,
    evalWindow,
    model,
    weights: classWeights(
      data.labelKind,
      data.classes.length,
      train.map((i) => data.entries[i]!),
      config.classWeighting,
    ),
    source: createBatchSource({ store: data.store, window, augment: config.augment }, config.workers),
    teacher: null,
    rank: options.distributed?.rank ?? 0,
    inherited: [],
  };
}

function freshModel(config: TrainConfig, data: TrainingData, train: number[]): TrainableModel {
  const shape = { leads: data.store.leads, classes: data.classes.length };
  let beatPca: BeatPcaSpec | undefined;
  if (needsBeats(config)) {
    const beats = storedBeats(data, DEFAULT_BEAT_PCA.lead, DEFAULT_BEAT_PCA.window);
    beatPca = fitTrainingBeatPca(data, beats, train);
    data.beats = beatTokenValues(beats, beatPca);
  }
  const rows = train.map((i) => rowOf(data, i));
  return newTrainableModel(config.model, config.fusion, shape, rows, config.modelOverrides, {
    tokens: config.fusionTokens,
    design: config.fusionDesign,
    shortcut: config.fusionShortcut,
    ...(beatPca ? { beatPca } : {}),
  });
}

function needsBeats(config: TrainConfig): boolean {
  return config.fusion && config.fusionTokens.includes('beats');
}

/** A resumed model's `beats` token values, from the PCA its checkpoint stores (fitted when the run began). */
function restoreBeatValues(model: TrainableModel, data: TrainingData): void {
  const groups = (model.spec.config as Partial<FusionConfig>).groups ?? [];
  const beats = groups.find((g): g is NumericGroupSpec => g.kind === 'numeric' && g.beatPca !== undefined);
  if (beats?.beatPca)
    data.beats = beatTokenValues(storedBeats(data, beats.beatPca.lead, beats.beatPca), beats.beatPca);
}

/** A fresh model, with `config.init`'s weights copied in when given. */
function initialModel(
  config: TrainConfig,
  data: TrainingData,
  train: number[],
  options: TrainOptions,
): TrainableModel {
  return withInit(
    freshModel(config, data, train),
    config.init,
    {
      labels: data.classes,
      fs: data.fs,
      windowSeconds: config.windowSeconds,
      bandpass: config.preprocess.bandpass,
      standardize: config.preprocess.standardize,
      dataset: data.name,
      ...(data.folder === undefined ? {} : { folder: data.folder }),
      cvFold: config.cvFold,
    },
    options,
  );
}

/** The epoch's batches: a seeded shuffle cut into batchSize chunks (a trailing chunk of one is dropped). */
export function epochBatches(
  train: readonly number[],
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  return batchesOf(shuffled(train, seededRandom(seed, epoch, STREAM.order)), batchSize);
}

/** The batch's patient rows, with fusionTokenDropout hiding tokens (a hidden token reads as missing). */
function trainingRows(run: RecordRun, indices: readonly number[], random: Random): PatientRow[] {
  const rows = indices.map((i) => rowOf(run.data, i));
  const p = run.config.fusionTokenDropout;
  if (!run.config.fusion || p === 0) return rows;
  const tokens = run.config.fusionTokens;
  return rows.map((row) => {
    const kept: Record<string, unknown> = { ...row };
    for (const token of tokens) if (random.next() < p) kept[token] = null;
    return kept as PatientRow;
  });
}

function recordLoss(
  run: RecordRun,
  batch: Float32Array,
  indices: readonly number[],
  at: { epoch: number; step: number },
): ReturnType<typeof lossOf> {
  const { data, model, config } = run;
  const random = seededRandom(config.seed, at.epoch, at.step, STREAM.tokenDropout, ...rankKey(run.rank));
  const rows = trainingRows(run, indices, random);
  const entries: DatasetEntry[] = indices.map((i) => data.entries[i]!);
  const ecg = F.tensor(batch, [indices.length, data.store.leads, run.window.samples]);
  const logits = model.logits(ecg, rows);
  const hard = lossOf(
    data.labelKind,
    logits,
    targetTensor(data.labelKind, data.classes.length, entries),
    run.weights,
  );
  if (run.teacher === null || config.distill === null) return hard;
  const target = F.tensor(run.teacher.of(batch, indices), [indices.length, data.classes.length]);
  return blendLosses(
    hard,
    softLoss(data.labelKind, logits, target, config.distill.temperature),
    config.distill.alpha,
  );
}

/** Data-parallel runs (`shard`): each rank predicts its part of the records, then every rank has all the logits. */
async function validate(
  run: RecordRun,
  shard?: ValidationShard,
): Promise<{ metrics: ValidationMetrics; outputs: TaskOutputs }> {
  const hop = validationHop(run);
  const mine = await predictRecords(
    run.model,
    run.data,
    shard?.part(run.validation) ?? run.validation,
    run.evalWindow,
    hop,
    run.config.batchSize,
    run.config.windowAggregate,
  );
  const logits = shard ? shard.gather(mine, run.validation.length, run.data.classes.length) : mine;
  const entries = run.validation.map((i) => run.data.entries[i]!);
  return {
    metrics: validationMetrics(run.data, run.validation, logits, {
      thresholdF1: run.config.cvFold === null,
    }),
    outputs: {
      task: 'records',
      classes: [...run.data.classes],
      labelKind: run.data.labelKind,
      ids: entries.map((entry) => entry.id),
      groups: entries.map((entry) => entry.patientId ?? entry.id),
      labels: entries.map((entry) => [...entry.labels]),
      logits: logits.map((row) => Array.from(row)),
    },
  };
}

const idsOf = (data: TrainingData, indices: readonly number[]) => indices.map((i) => data.entries[i]!.id);

/**
 * The ids of the records the model learned labels from (its own training split, and its start's and teachers' of the
 * same dataset: src/train/lineage.ts) and of its validation split, which `evaluate` names among the records it
 * scores. None when a start or teacher of the same dataset names none of its own. A `custom` dataset's ids may be
 * file names or patient ids: only the digest of its folder's record list (src/datasets/folder-digest.ts).
 */
function recordIds(run: RecordRun): { records?: { train: string[]; val: string[] }; folder?: string } {
  if (run.data.name === 'custom') return run.data.folder === undefined ? {} : { folder: run.data.folder };
  if (run.inherited === null) return {};
  const train = [...new Set([...idsOf(run.data, run.train), ...run.inherited])];
  return { records: { train, val: idsOf(run.data, run.validation) } };
}

/** The hop of validation windows in samples: the window without --validation-hop, never under one sample. */
function validationHop(run: RecordRun): number {
  const seconds = run.config.validationHopSeconds;
  return seconds === null ? run.evalWindow.samples : Math.max(1, Math.round(seconds * run.data.fs));
}

function checkpointMetadata(
  run: RecordRun,
  state: TrainingState,
  validation: ValidationMetrics | null,
): CheckpointMetadata {
  const { config, data, evalWindow: window } = run;
  return {
    model: run.model.spec,
    labels: [...data.classes],
    preprocessing: {
      ...preprocessOf(config),
      fs: data.fs,
      leads: data.leadNames,
      windowSeconds: window.samples / data.fs,
      windowSamples: window.samples,
      shortRecords: config.shortRecords,
      // Validation (and the recommended inference) averages the logits of windows cut like this.
      windows: {
        hopSamples: validationHop(run),
        lastAlignedToEnd: true,
        aggregate: config.windowAggregate,
      },
    },
    extra: {
      labelKind: data.labelKind,
      outputActivation: data.labelKind === 'multi-label' ? 'sigmoid' : 'softmax',
      patientInputs: config.fusion ? config.fusionTokens : [],
      dataset: {
        name: data.name,
        split: data.split,
        entries: { train: run.train.length, val: run.validation.length },
        ...recordIds(run),
      },
      classWeights: run.weights,
      // A cross-validation fold's validation split is its held-out fold: no thresholds are chosen on it.
      thresholds: config.cvFold === null && validation ? validation.thresholds : {},
      validation: validationSummary(validation),
      training: { config, state },
    },
  };
}
