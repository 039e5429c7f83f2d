/**
 * Beat-classifier training (MIT-BIH, task 'beats'): every annotated beat of the training records becomes a window
 * of `before + after` samples around its R peak plus its four RR intervals, held in memory (DS1 is ~51k beats,
 * ~60 MB). The record is preprocessed exactly as the Predictor does at inference (src/infer/prepare.ts
 * prepareRecord + cutBeatWindows), so a shipped ONNX model sees what it was trained on.
 *
 * Class imbalance: N beats outnumber S beats ~50:1 in DS1. Each epoch uses every non-N beat and a fresh random
 * `normalPerEpoch` N beats, and the cross-entropy weights are balanced over that epoch's mix, capped at
 * `maxClassWeight`. Validation classifies every beat of the held-out DS1 patients; the model is selected on the
 * mean F1 of N, S and V (`aami_nsv_f1`, see SELECTION_CLASSES).
 *
 * Determinism and resume follow the record trainer (src/train/trainer.ts): order from PRNG(seed, epoch), crops
 * and augmentation from PRNG(seed, epoch, step), libtorch reseeded every step, checkpoints every epoch.
 */
import { join } from 'node:path';
import type { MitdbDataset } from '../datasets/mitdb/index.js';
import { AAMI_CLASSES } from '../datasets/mitdb/index.js';
import * as F from '../engine/ops.js';
import { manualSeed, setNumThreads } from '../engine/runtime.js';
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import { ConfigError } from '../errors.js';
import { aamiBeatMetrics, aamiConfusion, SCORED_AAMI_CLASSES, type BeatMetrics } from '../eval/beats.js';
import type { Checkpoint, CheckpointMetadata } from '../export/checkpoint.js';
import { cutBeatWindows, prepareRecord } from '../infer/prepare.js';
import {
  BEAT_RR_FEATURES,
  beatModelConfig,
  beatRrFeatures,
  EfficientEcgBeat,
  fitBeatStandardisation,
  rrGroups,
  type BeatModelConfig,
} from '../models/beats.js';
import type { EfficientEcgVariant } from '../models/efficientecg.js';
import { AdamW, clipGradNorm, weightDecayGroups, type Schedule } from '../optim/index.js';
import { augmentExample } from './batch.js';
import { INITIAL_STATE, restoreOptimizerState, writeCheckpoint, type TrainingState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { TrainableModel } from './model.js';
import { createReporter, type Reporter } from './progress.js';
import { seededRandom, shuffled, STREAM, torchSeed } from './random.js';
import {
  nextState,
  prepareOutDir,
  RUN_FILES,
  savedState,
  scheduleOf,
  type TrainOptions,
  type TrainResult,
} from './trainer.js';
import type { ValidationMetrics } from './validate.js';

/** Registry name of beat models. */
export const BEAT_MODEL_NAME = 'efficientecg-beat';
/** MIT-BIH's modified limb lead II: present in 44 of the 48 records and the usual single-lead choice. */
export const BEAT_LEADS = ['MLII'];

/** Beats of some records, ready to batch. */
export interface BeatSet {
  /** [count, leads, width] with width = before + after + 2 * margin. */
  windows: Float32Array;
  /** AAMI class index per beat. */
  labels: Int32Array;
  /** [count, 4] RR intervals (s) in BEAT_RR_FEATURES order. */
  rr: Float32Array;
  count: number;
  leads: number;
  width: number;
  /** Record id of each beat's record, by index into `records`. */
  recordOf: Int32Array;
  records: string[];
}

export interface BeatGeometry {
  fs: number;
  before: number;
  after: number;
  /** Extra samples cut on both sides for the training shift. */
  margin: number;
}

export function beatGeometry(config: TrainConfig, sourceFs: number): BeatGeometry {
  const fs = config.preprocess.fs ?? sourceFs;
  const samples = (seconds: number) => Math.max(1, Math.round(seconds * fs));
  return {
    fs,
    before: samples(config.beats.beforeSeconds),
    after: samples(config.beats.afterSeconds),
    margin: Math.round(config.beats.shiftSeconds * fs),
  };
}

/** Reads, preprocesses and cuts the beats of `ids` (records without the model's lead are a ConfigError). */
export async function loadBeatSet(
  dataset: MitdbDataset,
  ids: readonly string[],
  config: TrainConfig,
  geometry: BeatGeometry,
  onProgress?: (done: number, total: number) => void,
): Promise<BeatSet> {
  const info = {
    leads: BEAT_LEADS,
    fs: geometry.fs,
    bandpass: config.preprocess.bandpass,
    standardize: config.preprocess.standardize,
  };
  const parts: Array<{ windows: Float32Array; labels: number[]; rr: number[] }> = [];
  for (const [i, id] of ids.entries()) {
    const { record } = await dataset.load(id);
    const beats = dataset.beats.get(id) ?? [];
    const prepared = prepareRecord(record, info);
    const scale = geometry.fs / record.fs;
    const peaks = beats.map((beat) => Math.round(beat.sample * scale));
    const before = geometry.before + geometry.margin;
    parts.push({
      windows: cutBeatWindows(prepared.signals, peaks, before, geometry.after + geometry.margin),
      labels: beats.map((beat) => AAMI_CLASSES.indexOf(beat.aami)),
      rr: beats.flatMap((beat) => BEAT_RR_FEATURES.map((name) => beat[name])),
    });
    onProgress?.(i + 1, ids.length);
  }
  return concatParts(
    parts,
    [...ids],
    BEAT_LEADS.length,
    geometry.before + geometry.after + 2 * geometry.margin,
  );
}

function concatParts(
  parts: ReadonlyArray<{ windows: Float32Array; labels: number[]; rr: number[] }>,
  records: string[],
  leads: number,
  width: number,
): BeatSet {
  const count = parts.reduce((n, part) => n + part.labels.length, 0);
  const set: BeatSet = {
    windows: new Float32Array(count * leads * width),
    labels: new Int32Array(count),
    rr: new Float32Array(count * 4),
    count,
    leads,
    width,
    recordOf: new Int32Array(count),
    records,
  };
  let at = 0;
  parts.forEach((part, r) => {
    set.windows.set(part.windows, at * leads * width);
    set.labels.set(part.labels, at);
    set.rr.set(part.rr, at * 4);
    set.recordOf.fill(r, at, at + part.labels.length);
    at += part.labels.length;
  });
  return set;
}

/** This epoch's beats: every non-N beat and a seeded sample of `normalPerEpoch` N beats, shuffled. */
export function epochBeats(set: BeatSet, normalPerEpoch: number, seed: number, epoch: number): number[] {
  const normal: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < set.count; i++) (set.labels[i] === 0 ? normal : others).push(i);
  const random = seededRandom(seed, epoch, STREAM.order);
  const sampled = shuffled(normal, random).slice(0, normalPerEpoch);
  return shuffled([...others, ...sampled], random);
}

/** n / (classes * count) over the epoch's mix, capped; classes absent from it get weight 1. */
export function epochClassWeights(set: BeatSet, indices: readonly number[], cap: number): number[] {
  const counts = new Array<number>(AAMI_CLASSES.length).fill(0);
  for (const i of indices) counts[set.labels[i]!]! += 1;
  return counts.map((count) =>
    count > 0 ? Math.min(cap, indices.length / (AAMI_CLASSES.length * count)) : 1,
  );
}

interface BeatRun {
  config: TrainConfig;
  geometry: BeatGeometry;
  train: BeatSet;
  validation: BeatSet;
  model: EfficientEcgBeat;
  trainable: TrainableModel;
  optimizer: AdamW;
  schedule: Schedule;
  reporter: Reporter;
  options: TrainOptions;
}

export async function trainBeats(
  config: TrainConfig,
  dataset: MitdbDataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  if (!config.model.startsWith('efficientecg-') || config.model === BEAT_MODEL_NAME) {
    throw new ConfigError(
      `beat training: --model names the EfficientECG backbone (efficientecg-w0.5, ...), got ${config.model}`,
    );
  }
  const saved = prepareOutDir(config, options);
  setNumThreads(config.threads);
  const ids = (split: string) => dataset.entries.filter((e) => e.split === split).map((e) => e.id);
  const sourceFs = dataset.entries.length > 0 ? (await dataset.load(dataset.entries[0]!.id)).record.fs : 360;
  const geometry = beatGeometry(config, sourceFs);
  const progress = options.onDataProgress;
  const train = await loadBeatSet(dataset, ids('train'), config, geometry, progress);
  const validation = await loadBeatSet(dataset, ids('val'), config, geometry, progress);
  if (train.count < 2 || validation.count === 0)
    throw new ConfigError(
      `dataset ${dataset.name}: ${train.count} training and ${validation.count} validation beats`,
    );
  const run = setUpBeatRun(config, geometry, train, validation, saved, options);
  let state: TrainingState = saved ? savedState(saved) : { ...INITIAL_STATE };
  let metrics: ValidationMetrics | null = null;
  try {
    while (state.epoch < config.epochs && state.stopped === null && !options.signal?.aborted) {
      const result = await runBeatEpoch(run, state);
      if (result === null) break;
      ({ state, validation: metrics } = result);
    }
  } finally {
    run.optimizer.dispose();
    run.model.dispose();
  }
  const bestPath = join(config.out, RUN_FILES.best);
  return {
    state,
    validation: metrics,
    lastPath: join(config.out, RUN_FILES.last),
    bestPath: state.bestEpoch === null ? null : bestPath,
    aborted: options.signal?.aborted ?? false,
  };
}

function setUpBeatRun(
  config: TrainConfig,
  geometry: BeatGeometry,
  train: BeatSet,
  validation: BeatSet,
  saved: Checkpoint | null,
  options: TrainOptions,
): BeatRun {
  manualSeed(config.seed);
  const modelConfig: BeatModelConfig = saved
    ? (saved.metadata.model.config as BeatModelConfig)
    : freshBeatConfig(config, train);
  const model = new EfficientEcgBeat(modelConfig);
  if (saved) model.loadState(saved.state, RUN_FILES.last);
  model.train();
  const optimizer = new AdamW(weightDecayGroups(model, config.lr, config.weightDecay));
  if (saved) restoreOptimizerState(optimizer, saved.optimizerState, savedState(saved).step, RUN_FILES.last);
  const stepsPerEpoch = Math.ceil(
    epochBeats(train, config.beats.normalPerEpoch, config.seed, 0).length / config.batchSize,
  );
  return {
    config,
    geometry,
    train,
    validation,
    model,
    trainable: {
      module: model,
      spec: { name: BEAT_MODEL_NAME, config: modelConfig },
      logits: () => {
        throw new ConfigError('beat models read rr: use EfficientEcgBeat.forward(ecg, rr)');
      },
    },
    optimizer,
    schedule: scheduleOf(config, stepsPerEpoch * config.epochs),
    reporter: createReporter(join(config.out, RUN_FILES.log), {
      bar: options.progressBar ?? process.stderr.isTTY === true,
      ...(options.onLog ? { onLog: options.onLog } : {}),
    }),
    options,
  };
}

function freshBeatConfig(config: TrainConfig, train: BeatSet): BeatModelConfig {
  const variant = config.model.slice('efficientecg-'.length) as EfficientEcgVariant;
  const shape = { leads: train.leads, classes: AAMI_CLASSES.length };
  return beatModelConfig({
    ...shape,
    variant,
    rrContext: config.beats.rrContext,
    backbone: config.modelOverrides,
    groups: fitBeatStandardisation(rrGroups(), train.rr),
  });
}

async function runBeatEpoch(
  run: BeatRun,
  state: TrainingState,
): Promise<{ state: TrainingState; validation: ValidationMetrics } | null> {
  const { config, reporter } = run;
  const epoch = state.epoch;
  const order = epochBeats(run.train, config.beats.normalPerEpoch, config.seed, epoch);
  const weights = epochClassWeights(run.train, order, config.beats.maxClassWeight);
  const batches: number[][] = [];
  for (let from = 0; from + 2 <= order.length; from += config.batchSize)
    batches.push(order.slice(from, from + config.batchSize));
  const started = performance.now();
  reporter.startEpoch(epoch + 1, batches.length);
  let step = state.step;
  let lossSum = 0;
  let samples = 0;
  for (let s = 0; s < batches.length; s++) {
    // Yield to the event loop every step: N-API finalizers of released tensors run there.
    await new Promise((resolve) => setImmediate(resolve));
    if (run.options.signal?.aborted) {
      reporter.endEpoch();
      return null;
    }
    const lr = run.schedule(step);
    lossSum += beatStep(run, batches[s]!, weights, { epoch, step: s, lr });
    step += 1;
    samples += batches[s]!.length;
    const seconds = (performance.now() - started) / 1000;
    reporter.step({ loss: lossSum / (s + 1), samplesPerSecond: samples / seconds });
    if ((s + 1) % config.logEvery === 0 || s === batches.length - 1) {
      reporter.log({
        type: 'steps',
        epoch: epoch + 1,
        step,
        loss: lossSum / (s + 1),
        lr,
        seconds,
        samplesPerSecond: samples / seconds,
      });
    }
  }
  reporter.endEpoch();
  const trainSeconds = (performance.now() - started) / 1000;
  const validationStarted = performance.now();
  const { metrics, validation } = validateBeats(run);
  const next = nextState(state, epoch, step, validation, config.patience);
  const metadata = beatCheckpointMetadata(run, next, validation, metrics);
  writeCheckpoint(join(config.out, RUN_FILES.last), run.trainable, metadata, run.optimizer);
  if (next.bestEpoch === next.epoch)
    writeCheckpoint(join(config.out, RUN_FILES.best), run.trainable, metadata, null);
  reporter.log({
    type: 'epoch',
    epoch: epoch + 1,
    steps: batches.length,
    loss: lossSum / Math.max(1, batches.length),
    lr: run.schedule(Math.max(0, step - 1)),
    seconds: trainSeconds,
    samplesPerSecond: order.length / trainSeconds,
    validationSeconds: (performance.now() - validationStarted) / 1000,
    classWeights: weights,
    validation: { [validation.metric]: validation.value, ...validation.details },
    best: next.bestMetric,
    bestEpoch: next.bestEpoch,
    epochsWithoutImprovement: next.epochsWithoutImprovement,
    stopped: next.stopped,
  });
  return { state: next, validation };
}

/** One optimiser step on a batch of beats; returns the loss. */
function beatStep(
  run: BeatRun,
  indices: readonly number[],
  weights: readonly number[],
  at: { epoch: number; step: number; lr: number },
): number {
  const { config, model, optimizer } = run;
  manualSeed(torchSeed(config.seed, at.epoch, at.step));
  optimizer.setLearningRate(at.lr);
  const random = seededRandom(config.seed, at.epoch, at.step, STREAM.augment);
  const { ecg, rr } = trainingBatch(run, indices, random);
  const loss = scope(() => {
    const logits = model.forward(
      F.tensor(ecg, [indices.length, run.train.leads, windowOf(run.geometry)]),
      F.tensor(rr, [indices.length, 4]),
    );
    const target = F.tensor(
      BigInt64Array.from(indices, (i) => BigInt(run.train.labels[i]!)),
      [indices.length],
    );
    const value = F.crossEntropy(logits, target, {
      weight: F.tensor(Float32Array.from(weights), [weights.length]),
    });
    value.backward();
    return value.item();
  });
  if (config.gradClip !== null) clipGradNorm(model.parameters(), config.gradClip);
  optimizer.step();
  optimizer.zeroGrad();
  return loss;
}

const windowOf = (g: BeatGeometry): number => g.before + g.after;

/**
 * Training crops (a random shift of up to `margin` samples either way), amplitude/noise/wander augmentation, and
 * the RR row scaled by one random heart-rate factor (ratios unchanged) so that absolute rate is not memorised.
 */
function trainingBatch(
  run: BeatRun,
  indices: readonly number[],
  random: ReturnType<typeof seededRandom>,
): { ecg: Float32Array; rr: Float32Array } {
  const { train, geometry, config } = run;
  const width = windowOf(geometry);
  const per = train.leads * width;
  const ecg = new Float32Array(indices.length * per);
  const rr = new Float32Array(indices.length * 4);
  const spec = { samples: width, fs: geometry.fs, shortRecords: 'zero-pad' as const };
  indices.forEach((index, b) => {
    const shift = random.int(2 * geometry.margin + 1);
    const example = ecg.subarray(b * per, (b + 1) * per);
    for (let l = 0; l < train.leads; l++) {
      const from = (index * train.leads + l) * train.width + shift;
      example.set(train.windows.subarray(from, from + width), l * width);
    }
    augmentExample(example, train.leads, spec, config.augment, random);
    const factor = random.next() < 0.5 ? 0.85 + 0.3 * random.next() : 1;
    for (let k = 0; k < 4; k++) rr[b * 4 + k] = train.rr[index * 4 + k]! * factor;
  });
  return { ecg, rr };
}

/** Centred windows of a beat set (what the Predictor cuts), in batches, eval mode; argmax class per beat. */
export function classifyBeats(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: BeatGeometry,
  batchSize = 512,
): Int32Array {
  const width = windowOf(geometry);
  const per = set.leads * width;
  const predicted = new Int32Array(set.count);
  model.eval();
  try {
    for (let from = 0; from < set.count; from += batchSize) {
      const n = Math.min(batchSize, set.count - from);
      const ecg = new Float32Array(n * per);
      for (let b = 0; b < n; b++)
        for (let l = 0; l < set.leads; l++) {
          const source = ((from + b) * set.leads + l) * set.width + geometry.margin;
          ecg.set(set.windows.subarray(source, source + width), b * per + l * width);
        }
      const rr = set.rr.subarray(from * 4, (from + n) * 4);
      const rows = noGrad(() =>
        scope(() => {
          const logits = model.forward(F.tensor(ecg, [n, set.leads, width]), F.tensor(rr, [n, 4]));
          return Array.from(F.argmax(logits, 1).data<'int64'>(), Number);
        }),
      );
      rows.forEach((value, b) => (predicted[from + b] = value));
    }
  } finally {
    model.train();
  }
  return predicted;
}

/**
 * Checkpoint selection reads the mean F1 of N, S and V. F beats (0.8 % of DS1) sit in a couple of patients, so in a
 * patient-wise validation split their F1 swings from 0 to 0.4 between epochs and would pick epochs by noise; F is
 * still logged and evaluated.
 */
const SELECTION_CLASSES = ['N', 'S', 'V'] as const;

function validateBeats(run: BeatRun): { metrics: BeatMetrics; validation: ValidationMetrics } {
  const predicted = classifyBeats(run.model, run.validation, run.geometry);
  const metrics = aamiBeatMetrics(aamiConfusion(run.validation.labels, predicted));
  const f1s = SELECTION_CLASSES.map((name) => metrics[name].f1).filter((f): f is number => f !== null);
  const value = f1s.length > 0 ? f1s.reduce((a, b) => a + b, 0) / f1s.length : null;
  const details: Record<string, unknown> = { accuracy: metrics.accuracy };
  for (const name of SCORED_AAMI_CLASSES) {
    const { se, ppv, f1 } = metrics[name];
    details[`${name}_se`] = se;
    details[`${name}_ppv`] = ppv;
    details[`${name}_f1`] = f1;
  }
  return {
    metrics,
    validation: {
      metric: 'aami_nsv_f1',
      value,
      records: run.validation.records.length,
      thresholds: Object.fromEntries(AAMI_CLASSES.map((name) => [name, null])),
      details,
    },
  };
}

function beatCheckpointMetadata(
  run: BeatRun,
  state: TrainingState,
  validation: ValidationMetrics,
  metrics: BeatMetrics,
): CheckpointMetadata {
  const { config, geometry } = run;
  const width = windowOf(geometry);
  return {
    model: run.trainable.spec,
    labels: [...AAMI_CLASSES],
    preprocessing: {
      resampleTo: config.preprocess.fs,
      bandpass: config.preprocess.bandpass,
      standardize: config.preprocess.standardize,
      fs: geometry.fs,
      leads: BEAT_LEADS,
      windowSeconds: width / geometry.fs,
      windowSamples: width,
      shortRecords: 'zero-pad',
      windows: { hopSamples: width, lastAlignedToEnd: true, aggregate: 'mean-logits' },
    },
    extra: {
      task: 'beats',
      beats: {
        before: geometry.before,
        after: geometry.after,
        rr: beatRrFeatures(run.trainable.spec.config as BeatModelConfig),
      },
      labelKind: 'single-label',
      outputActivation: 'softmax',
      patientInputs: [],
      dataset: {
        name: 'mitdb',
        split: 'de Chazal 2004 DS1, patient-wise train/val',
        records: { train: run.train.records, val: run.validation.records },
        beats: { train: run.train.count, val: run.validation.count },
      },
      thresholds: validation.thresholds,
      validation: {
        metric: validation.metric,
        value: validation.value,
        records: run.validation.records.length,
        beats: run.validation.count,
        ...validation.details,
        confusion: metrics,
      },
      training: { config, state },
    },
  };
}
