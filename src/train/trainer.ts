/**
 * The training loop. Async on purpose: it awaits the batch source every step, which lets the event loop run (Node
 * frees native tensor handles from finalizers scheduled there; a long synchronous loop would let them pile up).
 * Determinism: the epoch order comes from PRNG(seed, epoch), a batch's crops and augmentation from
 * PRNG(seed, epoch, step), and libtorch is reseeded with f(seed, epoch, step) before every step (dropout,
 * stochastic depth); the model is initialised under manualSeed(seed). A resumed run therefore continues exactly.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, DatasetEntry } from '../datasets/types.js';
import * as F from '../engine/ops.js';
import { manualSeed, setNumThreads } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import { ConfigError, MissingFileError } from '../errors.js';
import { readCheckpoint, type Checkpoint, type CheckpointMetadata } from '../export/checkpoint.js';
import {
  AdamW,
  clipGradNorm,
  cosineWithWarmup,
  oneCycle,
  weightDecayGroups,
  type Schedule,
} from '../optim/index.js';
import type { WindowSpec } from './batch.js';
import { INITIAL_STATE, restoreOptimizerState, writeCheckpoint, type TrainingState } from './checkpoint.js';
import { runDefiningConfig, type TrainConfig } from './config.js';
import { beatTokenValues, DEFAULT_BEAT_PCA, fitTrainingBeatPca, storedBeats } from './beat-token.js';
import type { BeatPcaSpec, FusionConfig, NumericGroupSpec, PatientRow } from '../models/fusion.js';
import { loadTrainingData, splitIndices, type TrainingData } from './data.js';
import { initFromCheckpoint } from './init.js';
import { createBatchSource, type BatchSource } from './loader.js';
import { newTrainableModel, rowOf, trainableFromSpec, type TrainableModel } from './model.js';
import { classWeights, lossOf, targetTensor, type ClassWeights } from './objective.js';
import { createReporter, type LogLine, type Reporter } from './progress.js';
import { seededRandom, shuffled, STREAM, torchSeed, type Random } from './random.js';
import { predictRecords, validationMetrics, type ValidationMetrics } from './validate.js';

export const RUN_FILES = {
  last: 'last.safetensors',
  best: 'best.safetensors',
  log: 'log.jsonl',
  config: 'config.json',
} as const;

export interface TrainOptions {
  /** Continue from `<out>/last.safetensors`. */
  resume?: boolean;
  /** Start over in an out dir that holds another run (its run files are deleted). */
  force?: boolean;
  /** Stops the run before the next step; the last completed epoch's checkpoint stays. */
  signal?: AbortSignal;
  /** Progress bar on stderr (default: when stderr is a terminal). */
  progressBar?: boolean;
  /** Called with every JSONL log line. */
  onLog?: (line: LogLine) => void;
  /** `config.init` notices and its one-line summary (default: stderr). */
  onNotice?: (message: string) => void;
  /** Catalogue folder where `config.init` names a bundled model (default: the package models/). */
  modelsDir?: string;
  /** Progress of the preprocessed-cache build (records done of total), when it is built. */
  onDataProgress?: (done: number, total: number) => void;
}

export interface TrainResult {
  state: TrainingState;
  validation: ValidationMetrics | null;
  lastPath: string;
  bestPath: string | null;
  aborted: boolean;
}

/** Everything an epoch needs, built once per run. */
interface Run {
  config: TrainConfig;
  data: TrainingData;
  train: number[];
  validation: number[];
  window: WindowSpec;
  model: TrainableModel;
  optimizer: AdamW;
  weights: ClassWeights;
  schedule: Schedule;
  stepsPerEpoch: number;
  source: BatchSource;
  reporter: Reporter;
  options: TrainOptions;
}

export async function train(
  config: TrainConfig,
  dataset: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const saved = prepareOutDir(config, options);
  setNumThreads(config.threads);
  const data = await loadTrainingData(dataset, {
    preprocess: {
      resampleTo: config.preprocess.fs,
      bandpass: config.preprocess.bandpass,
      standardize: config.preprocess.standardize,
    },
    cacheDir: config.cacheDir,
    rhythm: config.fusion && config.fusionTokens.includes('rhythm'),
    ...(options.onDataProgress ? { onProgress: options.onDataProgress } : {}),
  });
  const run = setUp(config, data, saved, options);
  let state: TrainingState = saved ? savedState(saved) : { ...INITIAL_STATE };
  let validation: ValidationMetrics | null = null;
  try {
    while (state.epoch < config.epochs && state.stopped === null) {
      if (options.signal?.aborted) break;
      const result = await runEpoch(run, state);
      if (result === null) break;
      ({ state, validation } = result);
    }
  } finally {
    await run.source.close();
    run.optimizer.dispose();
    run.model.module.dispose();
  }
  const bestPath = join(config.out, RUN_FILES.best);
  return {
    state,
    validation,
    lastPath: join(config.out, RUN_FILES.last),
    bestPath: existsSync(bestPath) ? bestPath : null,
    aborted: options.signal?.aborted ?? false,
  };
}

/** Refuses to mix runs: an out dir holding one needs --resume or --force. Returns the checkpoint to resume. */
export function prepareOutDir(config: TrainConfig, options: TrainOptions): Checkpoint | null {
  const lastPath = join(config.out, RUN_FILES.last);
  const hasRun = Object.values(RUN_FILES).some((file) => existsSync(join(config.out, file)));
  if (options.resume) {
    if (!existsSync(lastPath))
      throw new MissingFileError(lastPath, 'nothing to resume: no last checkpoint in the out dir');
    const saved = readCheckpoint(lastPath);
    checkSameRun(saved, config, lastPath);
    return saved;
  }
  if (hasRun && !options.force) {
    throw new ConfigError(
      `out dir ${config.out} holds another run (${RUN_FILES.last} / ${RUN_FILES.log}): pass --resume to continue it or --force to start over`,
    );
  }
  for (const file of Object.values(RUN_FILES)) rmSync(join(config.out, file), { force: true });
  mkdirSync(config.out, { recursive: true });
  writeFileSync(join(config.out, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  return null;
}

function checkSameRun(saved: Checkpoint, config: TrainConfig, source: string): void {
  const training = saved.metadata.extra?.training as { config?: TrainConfig } | undefined;
  if (training?.config === undefined)
    throw new ConfigError(`${source}: not a training checkpoint (no training config)`);
  const before = runDefiningConfig(training.config) as Record<string, unknown>;
  const now = runDefiningConfig(config) as Record<string, unknown>;
  const changed = Object.keys({ ...before, ...now }).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(now[key]),
  );
  if (changed.length > 0) {
    throw new ConfigError(
      `--resume: ${changed.join(', ')} differ from the run in ${source} (only threads, workers, paths, patience and logEvery may change)`,
    );
  }
}

export function savedState(saved: Checkpoint): TrainingState {
  return (saved.metadata.extra?.training as { state: TrainingState }).state;
}

function setUp(
  config: TrainConfig,
  data: TrainingData,
  saved: Checkpoint | null,
  options: TrainOptions,
): Run {
  const train = splitIndices(data, 'train');
  const validation = splitIndices(data, 'val');
  if (train.length < 2)
    throw new ConfigError(`dataset ${data.name}: ${train.length} training entries (need >= 2)`);
  if (validation.length === 0) {
    throw new ConfigError(
      `dataset ${data.name} has no validation entries (split ${data.split.method}): cannot validate`,
    );
  }
  const window: WindowSpec = {
    samples: Math.max(1, Math.round(config.windowSeconds * data.fs)),
    shortRecords: config.shortRecords,
    fs: data.fs,
  };
  manualSeed(config.seed);
  // --init only shapes the start: a resumed run continues from its own last checkpoint.
  const model = saved ? restoredModel(saved) : initialModel(config, data, train, options);
  if (saved) restoreBeatValues(model, data);
  model.module.train();
  const optimizer = new AdamW(weightDecayGroups(model.module, config.lr, config.weightDecay));
  if (saved) restoreOptimizerState(optimizer, saved.optimizerState, savedState(saved).step, RUN_FILES.last);
  // A last batch of one would break BatchNorm's training statistics: it is dropped.
  const stepsPerEpoch =
    Math.floor(train.length / config.batchSize) + (train.length % config.batchSize >= 2 ? 1 : 0);
  return {
    config,
    data,
    train,
    validation,
    window,
    model,
    optimizer,
    weights: classWeights(
      data.labelKind,
      data.classes.length,
      train.map((i) => data.entries[i]!),
      config.classWeighting,
    ),
    schedule: scheduleOf(config, stepsPerEpoch * config.epochs),
    stepsPerEpoch,
    source: createBatchSource({ store: data.store, window, augment: config.augment }, config.workers),
    reporter: createReporter(join(config.out, RUN_FILES.log), {
      bar: options.progressBar ?? process.stderr.isTTY === true,
      ...(options.onLog ? { onLog: options.onLog } : {}),
    }),
    options,
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
  const model = freshModel(config, data, train);
  if (config.init === null) return model;
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`${message}\n`));
  try {
    initFromCheckpoint(
      model,
      config.init,
      {
        labels: data.classes,
        fs: data.fs,
        windowSeconds: config.windowSeconds,
        bandpass: config.preprocess.bandpass,
        standardize: config.preprocess.standardize,
      },
      notice,
      options.modelsDir,
    );
  } catch (error) {
    model.module.dispose();
    throw error;
  }
  return model;
}

function restoredModel(saved: Checkpoint): TrainableModel {
  const model = trainableFromSpec(saved.metadata.model);
  model.module.loadState(saved.state, RUN_FILES.last);
  return model;
}

export function scheduleOf(config: TrainConfig, totalSteps: number): Schedule {
  const steps = Math.max(2, totalSteps);
  return config.schedule === 'one-cycle'
    ? oneCycle({ maxLr: config.lr, totalSteps: steps, pctStart: config.warmupFraction })
    : cosineWithWarmup({
        lr: config.lr,
        totalSteps: steps,
        warmupSteps: Math.max(1, Math.round(config.warmupFraction * steps)),
      });
}

/** The epoch's batches: a seeded shuffle cut into batchSize chunks (a trailing chunk of one is dropped). */
export function epochBatches(
  train: readonly number[],
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  const order = shuffled(train, seededRandom(seed, epoch, STREAM.order));
  const batches: number[][] = [];
  for (let from = 0; from + 2 <= order.length; from += batchSize)
    batches.push(order.slice(from, from + batchSize));
  return batches;
}

/** One epoch: steps, validation, checkpoints. null when aborted mid-epoch (nothing saved for it). */
async function runEpoch(
  run: Run,
  state: TrainingState,
): Promise<{ state: TrainingState; validation: ValidationMetrics } | null> {
  const { config, reporter } = run;
  const epoch = state.epoch;
  const batches = epochBatches(run.train, config.batchSize, config.seed, epoch);
  const started = performance.now();
  reporter.startEpoch(epoch + 1, batches.length);
  const inFlight: Array<Promise<Float32Array>> = [];
  const request = (s: number) =>
    run.source.build({ indices: batches[s]!, seed: config.seed, epoch, step: s });
  let requested = 0;
  let step = state.step;
  let lossSum = 0;
  let group = { loss: 0, steps: 0, samples: 0, started: performance.now() };
  for (let s = 0; s < batches.length; s++) {
    while (requested < batches.length && inFlight.length < run.source.depth)
      inFlight.push(request(requested++));
    const batch = await inFlight.shift()!;
    if (run.options.signal?.aborted) {
      reporter.endEpoch();
      return null;
    }
    const lr = run.schedule(step);
    const rows = trainingRows(run, batches[s]!, seededRandom(config.seed, epoch, s, STREAM.tokenDropout));
    const loss = trainStep(run, batch, batches[s]!, rows, torchSeed(config.seed, epoch, s), lr);
    run.source.recycle(batch);
    step += 1;
    lossSum += loss;
    group = {
      ...group,
      loss: group.loss + loss,
      steps: group.steps + 1,
      samples: group.samples + batches[s]!.length,
    };
    const seconds = (performance.now() - group.started) / 1000;
    reporter.step({ loss: lossSum / (s + 1), samplesPerSecond: group.samples / seconds });
    if (group.steps === config.logEvery || s === batches.length - 1) {
      reporter.log({
        type: 'steps',
        epoch: epoch + 1,
        step,
        loss: group.loss / group.steps,
        lr,
        seconds,
        samplesPerSecond: group.samples / seconds,
      });
      group = { loss: 0, steps: 0, samples: 0, started: performance.now() };
    }
  }
  reporter.endEpoch();
  const trainSeconds = (performance.now() - started) / 1000;
  const samples = batches.reduce((n, b) => n + b.length, 0);
  const validationStarted = performance.now();
  const validation = await validate(run);
  const next = nextState(state, epoch, step, validation, config.patience);
  saveEpoch(run, next, validation);
  reporter.log({
    type: 'epoch',
    epoch: epoch + 1,
    steps: batches.length,
    loss: lossSum / Math.max(1, batches.length),
    lr: run.schedule(Math.max(0, step - 1)),
    seconds: trainSeconds,
    samplesPerSecond: samples / trainSeconds,
    validationSeconds: (performance.now() - validationStarted) / 1000,
    validation: { [validation.metric]: validation.value, ...validation.details },
    best: next.bestMetric,
    bestEpoch: next.bestEpoch,
    epochsWithoutImprovement: next.epochsWithoutImprovement,
    stopped: next.stopped,
  });
  return { state: next, validation };
}

/** The batch's patient rows, with fusionTokenDropout hiding tokens (a hidden token reads as missing). */
function trainingRows(run: Run, indices: readonly number[], random: Random): PatientRow[] {
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

function trainStep(
  run: Run,
  batch: Float32Array,
  indices: readonly number[],
  rows: readonly PatientRow[],
  seed: number,
  lr: number,
): number {
  const { data, model, optimizer, config } = run;
  manualSeed(seed);
  optimizer.setLearningRate(lr);
  const entries: DatasetEntry[] = indices.map((i) => data.entries[i]!);
  const loss = scope(() => {
    const ecg = F.tensor(batch, [indices.length, data.store.leads, run.window.samples]);
    const logits = model.logits(ecg, rows);
    const value = lossOf(
      data.labelKind,
      logits,
      targetTensor(data.labelKind, data.classes.length, entries),
      run.weights,
    );
    value.backward();
    return value.item();
  });
  if (config.gradClip !== null) clipGradNorm(model.module.parameters(), config.gradClip);
  optimizer.step();
  optimizer.zeroGrad();
  return loss;
}

async function validate(run: Run): Promise<ValidationMetrics> {
  const hop =
    run.config.validationHopSeconds === null
      ? run.window.samples
      : Math.max(1, Math.round(run.config.validationHopSeconds * run.data.fs));
  const logits = await predictRecords(
    run.model,
    run.data,
    run.validation,
    run.window,
    hop,
    run.config.batchSize,
  );
  return validationMetrics(run.data, run.validation, logits);
}

export function nextState(
  state: TrainingState,
  epoch: number,
  step: number,
  validation: ValidationMetrics,
  patience: number | null,
): TrainingState {
  const improved =
    validation.value !== null && (state.bestMetric === null || validation.value > state.bestMetric);
  const epochsWithoutImprovement = improved ? 0 : state.epochsWithoutImprovement + 1;
  return {
    epoch: epoch + 1,
    step,
    bestMetric: improved ? validation.value : state.bestMetric,
    bestEpoch: improved ? epoch + 1 : state.bestEpoch,
    epochsWithoutImprovement,
    stopped: patience !== null && epochsWithoutImprovement >= patience ? 'early-stopping' : null,
  };
}

/** last.safetensors every epoch (with optimiser state); best.safetensors when the metric improved. */
function saveEpoch(run: Run, state: TrainingState, validation: ValidationMetrics): void {
  const metadata = checkpointMetadata(run, state, validation);
  writeCheckpoint(join(run.config.out, RUN_FILES.last), run.model, metadata, run.optimizer);
  if (state.bestEpoch === state.epoch)
    writeCheckpoint(join(run.config.out, RUN_FILES.best), run.model, metadata, null);
}

export function checkpointMetadata(
  run: Pick<Run, 'config' | 'data' | 'window' | 'model' | 'weights' | 'train' | 'validation'>,
  state: TrainingState,
  validation: ValidationMetrics,
): CheckpointMetadata {
  const { config, data, window } = run;
  return {
    model: run.model.spec,
    labels: [...data.classes],
    preprocessing: {
      resampleTo: config.preprocess.fs,
      bandpass: config.preprocess.bandpass,
      standardize: config.preprocess.standardize,
      fs: data.fs,
      leads: data.leadNames,
      windowSeconds: config.windowSeconds,
      windowSamples: window.samples,
      shortRecords: config.shortRecords,
      // Validation (and the recommended inference) averages the logits of windows cut like this.
      windows: {
        hopSamples:
          config.validationHopSeconds === null
            ? window.samples
            : Math.round(config.validationHopSeconds * data.fs),
        lastAlignedToEnd: true,
        aggregate: 'mean-logits',
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
      },
      classWeights: run.weights,
      thresholds: validation.thresholds,
      validation: {
        metric: validation.metric,
        value: validation.value,
        records: validation.records,
        ...validation.details,
      },
      training: { config, state },
    },
  };
}
