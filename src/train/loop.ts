/**
 * The training loop, one for every task (src/train/task.ts). Async on purpose: it awaits each batch, which lets the
 * event loop run (Node frees native tensor handles from finalizers scheduled there; a long synchronous loop would
 * let them pile up).
 *
 * Determinism: the task draws the epoch order from PRNG(seed, epoch) and a batch's crops and augmentation from
 * PRNG(seed, epoch, step); libtorch is reseeded with f(seed, epoch, step) before every step (dropout, stochastic
 * depth); the model is initialised under manualSeed(seed). A resumed run therefore continues exactly.
 *
 * A cross-validation fold (`config.cvFold`, src/train/cv.ts) trains on a fixed schedule: its validation split is the
 * held-out fold, so nothing is selected on it (no early stopping, no best checkpoint); the held-out fold is scored
 * once, with the last weights, into `heldout.json`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, setNumThreads } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import { ConfigError, MissingFileError, TrainingDivergedError } from '../errors.js';
import { readCheckpoint, type Checkpoint } from '../export/checkpoint.js';
import {
  AdamW,
  clipGradNorm,
  cosineWithWarmup,
  oneCycle,
  weightDecayGroups,
  type Schedule,
} from '../optim/index.js';
import {
  removeStaleTemporaries,
  writeFileAtomic,
  type AtomicOptions,
  type AtomicStep,
} from '../util/atomic.js';
import { INITIAL_STATE, writeCheckpoint, type TrainingState } from './checkpoint.js';
import { mergeConfig, runDefiningConfig, TRAIN_DEFAULTS, type TrainConfig } from './config.js';
import { createReporter, truncateLog, type Reporter } from './progress.js';
import { torchSeed } from './random.js';
import type { DataParallel } from './distributed.js';
import type { TaskOutputs, TrainingTask } from './task.js';
import { WeightAverage, withoutLiveWeights } from './weight-average.js';
import type { ValidationMetrics } from './validate.js';

export const RUN_FILES = {
  last: 'last.safetensors',
  best: 'best.safetensors',
  log: 'log.jsonl',
  config: 'config.json',
  /** A cross-validation fold's scores on its held-out records (last weights). */
  heldout: 'heldout.json',
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
  onLog?: (line: import('./progress.js').LogLine) => void;
  /** `config.init` notices and its one-line summary (default: stderr). */
  onNotice?: (message: string) => void;
  /** Catalogue folder where `config.init` names a bundled model (default: the package models/). */
  modelsDir?: string;
  /** Progress of the preprocessed-cache build (records done of total), when it is built. */
  onDataProgress?: (done: number, total: number) => void;
  /**
   * This process is one rank of a data-parallel group (src/train/distributed.ts): gradients are averaged across
   * ranks every step, each rank trains on its part of every batch, and only rank 0 writes checkpoints and logs.
   */
  distributed?: DataParallel;
  /**
   * Fault injection: called before each step of every run-file write (checkpoints, held-out scores). The
   * crash-consistency test kills the process there to prove that no instant loses `best` or `last`.
   */
  beforeWriteStep?: (step: AtomicStep, path: string) => void;
}

export interface TrainResult {
  state: TrainingState;
  validation: ValidationMetrics | null;
  /**
   * The checkpoint-selecting metric's name: this run's validation's, or on resuming a finished run (no epoch
   * validated here) the one its last checkpoint recorded; null when never validated.
   */
  metric: string | null;
  lastPath: string;
  bestPath: string | null;
  aborted: boolean;
}

/** A cross-validation fold's held-out scores, as written to `heldout.json`. */
export interface HeldoutFile {
  fold: number;
  folds: number;
  metrics: ValidationMetrics;
  outputs: TaskOutputs;
}

/** Everything an epoch needs, built once per run. */
interface Run<Batch> {
  config: TrainConfig;
  task: TrainingTask<Batch>;
  optimizer: AdamW;
  schedule: Schedule;
  reporter: Reporter;
  options: TrainOptions;
  /** The weight average (`config.ema`) that validation scores and checkpoints store; null: the live weights. */
  average: WeightAverage | null;
}

/** Runs `config.epochs` epochs of the task `makeTask` builds (from the resumed checkpoint, when resuming). */
export async function runTraining<Batch>(
  config: TrainConfig,
  options: TrainOptions,
  makeTask: (saved: Checkpoint | null) => Promise<TrainingTask<Batch>>,
): Promise<TrainResult> {
  const parallel = options.distributed;
  const main = parallel?.isMain ?? true;
  const saved = main || options.resume ? prepareOutDir(config, options, main) : null;
  setNumThreads(config.threads);
  const task = await makeTask(saved);
  let optimizer: AdamW | null = null;
  let average: WeightAverage | null = null;
  let state: TrainingState = saved ? savedState(saved) : { ...INITIAL_STATE };
  let validation: ValidationMetrics | null = null;
  if (saved && main) truncateLog(join(config.out, RUN_FILES.log), state.epoch);
  try {
    task.model.module.train();
    parallel?.broadcastState(task.model.module);
    optimizer = new AdamW(weightDecayGroups(task.model.module, config.lr, config.weightDecay));
    if (config.ema !== null) {
      average = new WeightAverage(task.model.module, config.ema);
      if (saved) average.restoreLive(saved.optimizerState, RUN_FILES.last);
    }
    if (saved) optimizer.loadState(withoutLiveWeights(saved.optimizerState), state.step, RUN_FILES.last);
    const run: Run<Batch> = {
      config,
      task,
      optimizer,
      schedule: scheduleOf(config, stepsPerEpoch(task, options.distributed, config.out) * config.epochs),
      average,
      reporter: createReporter(main ? join(config.out, RUN_FILES.log) : null, {
        bar: main && (options.progressBar ?? process.stderr.isTTY === true),
        ...(options.onLog && main ? { onLog: options.onLog } : {}),
      }),
      options,
    };
    // A CV fold killed between its last checkpoint and heldout.json resumes complete: its saved model is scored.
    if (config.cvFold !== null && state.epoch >= config.epochs) {
      const scored = await validateEpoch(run, config.epochs - 1);
      validation = scored?.metrics ?? null;
      writeHeldout(run, scored?.heldout ?? null);
    }
    while (state.epoch < config.epochs && state.stopped === null) {
      if (options.signal?.aborted) break;
      const result = await runEpoch(run, state);
      if (result === null) break;
      ({ state, validation } = result);
    }
  } finally {
    optimizer?.dispose();
    average?.dispose();
    await task.close();
  }
  const bestPath = join(config.out, RUN_FILES.best);
  const savedMetric = (saved?.metadata.extra?.validation as { metric?: unknown } | null | undefined)?.metric;
  return {
    state,
    validation,
    metric: validation?.metric ?? (typeof savedMetric === 'string' ? savedMetric : null),
    lastPath: join(config.out, RUN_FILES.last),
    bestPath: existsSync(bestPath) ? bestPath : null,
    aborted: options.signal?.aborted ?? false,
  };
}

/**
 * Refuses to mix runs: an out dir holding one needs --resume or --force. Returns the checkpoint to resume. Only
 * the main process (`main`: rank 0 of a data-parallel group) deletes or writes files.
 */
export function prepareOutDir(config: TrainConfig, options: TrainOptions, main = true): Checkpoint | null {
  const lastPath = join(config.out, RUN_FILES.last);
  if (main) removeStaleTemporaries(config.out); // left by a run killed mid-write
  const found = Object.values(RUN_FILES).filter((file) => existsSync(join(config.out, file)));
  // A run that stopped before writing anything but its config (e.g. on a bad record) is this run if the config
  // matches: starting it again loses nothing.
  const onlyThisConfig = found.length === 1 && found[0] === RUN_FILES.config && startedSameRun(config);
  const hasRun = found.length > 0 && !onlyThisConfig;
  if (options.resume) {
    if (existsSync(lastPath)) {
      const saved = readCheckpoint(lastPath);
      checkSameRun(saved, config, lastPath);
      return saved;
    }
    // Killed before its first checkpoint: resuming the same run is starting it again. Only the main process judges
    // that: it may already be clearing the folder (config.json included) while the other ranks look.
    if (!main) return null;
    if (!startedSameRun(config))
      throw new MissingFileError(lastPath, 'nothing to resume: no last checkpoint in the out dir');
    if (main)
      (options.onNotice ?? console.error)(
        `--resume: ${config.out} has no checkpoint yet (stopped in its first epoch): starting the run again`,
      );
  } else if (hasRun && !options.force) {
    throw new ConfigError(
      `out dir ${config.out} holds another run (${found.join(', ')}): pass --resume to continue it or --force to start over`,
    );
  }
  if (!main) return null;
  for (const file of Object.values(RUN_FILES)) rmSync(join(config.out, file), { force: true });
  mkdirSync(config.out, { recursive: true });
  writeFileAtomic(join(config.out, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  return null;
}

/** The out dir's config.json describes this run (same run-defining settings). */
function startedSameRun(config: TrainConfig): boolean {
  let written: TrainConfig;
  try {
    written = JSON.parse(readFileSync(join(config.out, RUN_FILES.config), 'utf8')) as TrainConfig;
  } catch {
    return false;
  }
  return changedRunSettings(written, config).length === 0;
}

/**
 * The run-defining settings (all but threads, workers, paths, patience, logEvery) that differ. Settings added to
 * the config after a run was started are absent from its saved config and read as their defaults (which keep the
 * earlier behaviour), so such runs still resume.
 */
export function changedRunSettings(saved: TrainConfig, config: TrainConfig): string[] {
  const before = runDefiningConfig(mergeConfig(TRAIN_DEFAULTS, saved) as TrainConfig) as Record<
    string,
    unknown
  >;
  const now = runDefiningConfig(config) as Record<string, unknown>;
  return Object.keys({ ...before, ...now }).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(now[key]),
  );
}

function checkSameRun(saved: Checkpoint, config: TrainConfig, source: string): void {
  const training = saved.metadata.extra?.training as { config?: TrainConfig } | undefined;
  if (training?.config === undefined)
    throw new ConfigError(`${source}: not a training checkpoint (no training config)`);
  const changed = changedRunSettings(training.config, config);
  if (changed.length > 0) {
    const before = runDefiningConfig(mergeConfig(TRAIN_DEFAULTS, training.config) as TrainConfig);
    const now = runDefiningConfig(config);
    const differences = changed.map((key) =>
      settingChange(key, before[key as keyof TrainConfig], now[key as keyof TrainConfig]),
    );
    throw new ConfigError(
      `--resume: this command differs from the run in ${source}: ${differences.join('; ')} ` +
        `(only threads, workers, paths, patience and logEvery may change)`,
    );
  }
}

/** One setting as the run has it and as this command gives it, e.g. `epochs: 1 in the run, 2 in this command`. */
function settingChange(key: string, run: unknown, command: unknown): string {
  const show = (value: unknown) => {
    if (value === null || value === undefined) return 'none';
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  if (key === 'init') {
    const fix =
      run === null || run === undefined
        ? ' (drop --init)'
        : ` (${command === null || command === undefined ? 'add' : 'give'} --init ${show(run)})`;
    return `init: the run used ${show(run)}, this command ${show(command)}${fix}`;
  }
  return `${key}: ${show(run)} in the run, ${show(command)} in this command`;
}

export function savedState(saved: Checkpoint): TrainingState {
  return (saved.metadata.extra?.training as { state: TrainingState }).state;
}

export function scheduleOf(config: TrainConfig, totalSteps: number): Schedule {
  const steps = Math.max(2, totalSteps);
  return config.schedule === 'one-cycle'
    ? oneCycle({ maxLr: config.lr, totalSteps: steps, pctStart: config.warmupFraction })
    : cosineWithWarmup({
        lr: config.lr,
        totalSteps: steps,
        // At least one warm-up step and one after it (a short run with a large fraction rounded to all of them).
        warmupSteps: Math.min(steps - 1, Math.max(1, Math.round(config.warmupFraction * steps))),
      });
}

/**
 * Optimiser steps per epoch as the loop runs them: the task's batches (every epoch has as many), sharded when
 * data-parallel (a batch too small for every rank is dropped), so the schedule ends on the last step it runs.
 */
function stepsPerEpoch(
  task: TrainingTask<unknown>,
  distributed: TrainOptions['distributed'],
  out: string,
): number {
  const global = task.epochBatches(0);
  const steps = (distributed?.shardBatches(global) ?? global).length;
  // A run of no steps would end "trained" with its initial weights.
  if (steps === 0) {
    const examples = global.reduce((n, batch) => n + batch.length, 0);
    const ranks = distributed?.worldSize ?? 1;
    throw new ConfigError(
      `${out}: no training step in an epoch: ${examples} training example(s) in batches of 2 or more` +
        (ranks > 1 ? ` for each of ${ranks} processes (a batch needs ${2 * ranks})` : '') +
        ': more training records, or fewer processes',
    );
  }
  return steps;
}

/** Cuts an epoch's shuffled example order into batches; a trailing batch of one is dropped (BatchNorm needs two). */
export function batchesOf(order: readonly number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let from = 0; from + 2 <= order.length; from += batchSize)
    batches.push(order.slice(from, from + batchSize));
  return batches;
}

/** One epoch: steps, validation, checkpoints. null when aborted mid-epoch (nothing saved for it). */
async function runEpoch<Batch>(
  run: Run<Batch>,
  state: TrainingState,
): Promise<{ state: TrainingState; validation: ValidationMetrics | null } | null> {
  const { config, reporter, task } = run;
  const epoch = state.epoch;
  const global = task.epochBatches(epoch);
  const batches = run.options.distributed?.shardBatches(global) ?? global;
  const started = performance.now();
  reporter.startEpoch(epoch + 1, batches.length);
  const inFlight: Array<Promise<Batch>> = [];
  let requested = 0;
  let step = state.step;
  let lossSum = 0;
  let group = { loss: 0, steps: 0, samples: 0, started: performance.now() };
  for (let s = 0; s < batches.length; s++) {
    while (requested < batches.length && inFlight.length < task.prefetch)
      inFlight.push(task.fetch(batches, epoch, requested++));
    const batch = await inFlight.shift()!;
    if (run.options.signal?.aborted) {
      reporter.endEpoch();
      return null;
    }
    const lr = run.schedule(step);
    const loss = trainStep(run, batch, batches[s]!, { epoch, step: s }, lr);
    task.release(batch);
    step += 1;
    lossSum += loss;
    group = {
      ...group,
      loss: group.loss + loss,
      steps: group.steps + 1,
      samples: group.samples + global[s]!.length,
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
  const samples = global.slice(0, batches.length).reduce((n, b) => n + b.length, 0);
  const validationStarted = performance.now();
  const scored = await validateEpoch(run, epoch);
  const validation = scored?.metrics ?? null;
  const next = nextState(state, epoch, step, validation, config.cvFold === null ? config.patience : null);
  reporter.log({
    type: 'epoch',
    epoch: epoch + 1,
    steps: batches.length,
    loss: lossSum / Math.max(1, batches.length),
    lr: run.schedule(Math.max(0, step - 1)),
    seconds: trainSeconds,
    samplesPerSecond: samples / trainSeconds,
    validationSeconds: (performance.now() - validationStarted) / 1000,
    ...task.epochLog?.(epoch),
    validation: validation ? { [validation.metric]: validation.value, ...validation.details } : null,
    best: next.bestMetric,
    bestEpoch: next.bestEpoch,
    epochsWithoutImprovement: next.epochsWithoutImprovement,
    stopped: next.stopped,
  });
  // Logged before the checkpoint: a kill between them leaves a line that resume drops (truncateLog), never a
  // checkpoint whose epoch the log lacks.
  if (run.options.distributed?.isMain ?? true) {
    if (run.average) await run.average.withAverage(() => saveEpoch(run, next, validation));
    else saveEpoch(run, next, validation);
  }
  writeHeldout(run, scored?.heldout ?? null);
  return { state: next, validation };
}

function trainStep<Batch>(
  run: Run<Batch>,
  batch: Batch,
  indices: readonly number[],
  at: { epoch: number; step: number },
  lr: number,
): number {
  const { task, optimizer, config } = run;
  const parallel = run.options.distributed;
  manualSeed(torchSeed(config.seed, at.epoch, at.step, parallel?.rank ?? 0));
  optimizer.setLearningRate(lr);
  parallel?.broadcastBuffers(task.model.module);
  const loss = scope(() => {
    const value = task.loss(batch, indices, at);
    const item = value.item();
    // Before backward: a NaN step would spoil every weight, and the checkpoint written next.
    if (!Number.isFinite(item)) throw diverged(run, `the loss is ${item}`, at);
    value.backward();
    return item;
  });
  parallel?.syncGradients(task.model.module.parameters());
  // A finite loss can still have infinite or NaN gradients (an overflow in backward): AdamW would write NaN into
  // every weight. The norm is measured with or without clipping (an infinite bound scales nothing).
  const norm = clipGradNorm(task.model.module.parameters(), config.gradClip ?? Infinity);
  if (!Number.isFinite(norm)) throw diverged(run, `the gradient norm is ${norm} (loss ${loss})`, at);
  optimizer.step();
  optimizer.zeroGrad();
  run.average?.update(optimizer.stepCount - 1);
  return loss;
}

function diverged<Batch>(run: Run<Batch>, what: string, at: { epoch: number; step: number }): Error {
  return new TrainingDivergedError(
    `${run.config.out}: ${what} at epoch ${at.epoch + 1}, step ${at.step + 1}; the step was not taken ` +
      `and ${RUN_FILES.last} holds epoch ${at.epoch} (non-finite samples in the data, or a learning rate too high: ` +
      `try a lower --lr or --grad-clip)`,
  );
}

/**
 * Validation of an ordinary run: every epoch. A cross-validation fold scores its held-out records once, after the
 * last epoch, and writes them to heldout.json; its other epochs log no validation.
 */
async function validateEpoch<Batch>(
  run: Run<Batch>,
  epoch: number,
): Promise<{ metrics: ValidationMetrics; heldout: HeldoutFile | null } | null> {
  const fold = run.config.cvFold;
  if (fold !== null && epoch + 1 < run.config.epochs) return null;
  const parallel = run.options.distributed;
  const validate = () => {
    // Each rank's last step left its own BatchNorm statistics: every rank scores with the saved model's (rank 0's).
    parallel?.broadcastBuffers(run.task.model.module);
    return run.task.validate(parallel?.validationShard);
  };
  const { metrics, outputs } = await (run.average ? run.average.withAverage(validate) : validate());
  // Every rank must take the same early-stopping decision: rank 0's value decides.
  if (parallel) metrics.value = parallel.agree(metrics.value);
  const heldout = fold !== null ? { fold: fold.fold, folds: fold.folds, metrics, outputs } : null;
  return { metrics, heldout };
}

/** A CV fold's held-out scores, written after its last checkpoint: heldout.json marks the fold done. */
function writeHeldout<Batch>(run: Run<Batch>, heldout: HeldoutFile | null): void {
  if (heldout === null || !(run.options.distributed?.isMain ?? true)) return;
  writeFileAtomic(join(run.config.out, RUN_FILES.heldout), `${JSON.stringify(heldout)}\n`, writeOptions(run));
}

export function nextState(
  state: TrainingState,
  epoch: number,
  step: number,
  validation: ValidationMetrics | null,
  patience: number | null,
): TrainingState {
  const value = validation?.value ?? null;
  const improved = value !== null && (state.bestMetric === null || value > state.bestMetric);
  const epochsWithoutImprovement = improved ? 0 : state.epochsWithoutImprovement + 1;
  return {
    epoch: epoch + 1,
    step,
    bestMetric: improved ? value : state.bestMetric,
    bestEpoch: improved ? epoch + 1 : state.bestEpoch,
    epochsWithoutImprovement,
    stopped: patience !== null && epochsWithoutImprovement >= patience ? 'early-stopping' : null,
  };
}

/**
 * last.safetensors every epoch (with optimiser state; with `config.ema`, the model's weights are the average and the
 * live ones go beside the optimiser state); best.safetensors when the metric improved, except in a
 * cross-validation fold, whose validation split is the held-out fold and must select nothing.
 */
function saveEpoch<Batch>(run: Run<Batch>, state: TrainingState, validation: ValidationMetrics | null): void {
  const metadata = run.task.checkpointMetadata(state, validation);
  // best before last: a kill between them leaves last at the previous epoch, whose resume redoes this one (and
  // writes best again); the other order could leave a last that claims a best never written.
  const write = writeOptions(run);
  if (run.config.cvFold === null && state.bestEpoch === state.epoch)
    writeCheckpoint(join(run.config.out, RUN_FILES.best), run.task.model, metadata, null, { write });
  writeCheckpoint(join(run.config.out, RUN_FILES.last), run.task.model, metadata, run.optimizer, {
    extraState: run.average?.liveState(),
    write,
  });
}

function writeOptions<Batch>(run: Run<Batch>): AtomicOptions {
  return {
    whatToFree:
      'a run needs room for its last and best checkpoints (twice one checkpoint) and its log; resume with --resume',
    ...(run.options.beforeWriteStep ? { beforeStep: run.options.beforeWriteStep } : {}),
  };
}
