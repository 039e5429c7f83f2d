/**
 * Self-supervised pre-training (`efficientecg pretrain`, docs/pretraining.md): contrastive learning with SimCLR's
 * NT-Xent loss (Chen et al. 2020) on unlabelled single-lead ECG read by any dataset adapter. The two views of an
 * example are two random crops of one `segmentSeconds` stretch of one lead, each augmented; the batch's other
 * examples are its negatives, and a batch never holds two examples of one record (a record's other stretches
 * would be false negatives). The network is a registry model with one input lead whose classifier, with
 * `projection` outputs, is the projection head. Its checkpoint starts supervised runs through `--init`, which
 * adapts the stem to their lead count and leaves their classifier fresh (no label is shared).
 *
 * A third task of the one loop (src/train/task.ts): the loop's validation figure is the top-1 retrieval accuracy of
 * held-out records' views (does view A find its own view B among all of them?), a monitor of the pretext task,
 * not an accuracy on any diagnosis.
 */
import { FOLDER_SOURCE, openRecordFolder, type RecordFolder } from '../datasets/folder.js';
import { DATASETS, type Dataset } from '../datasets/index.js';
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/ops.js';
import { manualSeed } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError } from '../errors.js';
import type { CheckpointMetadata } from '../export/checkpoint.js';
import { augmentExample, type WindowSpec } from './batch.js';
import type { TrainingState } from './checkpoint.js';
import type { AugmentConfig, TrainConfig } from './config.js';
import { loadTrainingData, preprocessOf, type SampleStore } from './data.js';
import { withInit } from './init.js';
import { RUN_FILES, runTraining, type TrainOptions, type TrainResult } from './loop.js';
import { newTrainableModel, restoredModel, type TrainableModel } from './model.js';
import { hashKey, rankKey, seededRandom, shuffled, STREAM, type Random } from './random.js';
import type { TaskOutputs, TrainingTask } from './task.js';
import { validationSummary, type ValidationMetrics } from './validate.js';

export type PretrainConfig = NonNullable<TrainConfig['pretrain']>;

/** The metric the loop logs and early-stops on. */
export const PRETRAIN_METRIC = 'contrastive_top1';

/** One record of one source: where its leads sit in that source's samples. */
export interface PretrainRecord {
  /** `source:id`, unique over the sources. */
  id: string;
  store: SampleStore;
  index: number;
}

/** What the views are cut from: records, the segment and crop lengths, the augmentation. */
export interface ViewSpec {
  segment: number;
  window: WindowSpec;
  augment: AugmentConfig;
}

/** Epoch's examples: each training record `min(segmentsPerRecord, its segments)` times, shuffled. */
export function epochExamples(
  records: readonly PretrainRecord[],
  segmentSamples: number,
  segmentsPerRecord: number,
  random: Random,
): number[] {
  const examples: number[] = [];
  records.forEach((record, r) => {
    const segments = Math.floor(record.store.slots[record.index]!.length / segmentSamples);
    for (let k = 0; k < Math.min(segmentsPerRecord, Math.max(1, segments)); k++) examples.push(r);
  });
  return shuffled(examples, random);
}

/**
 * Cuts examples (record indices, in order) into batches of `size` with no record twice in a batch: a repeat waits
 * for the next batch. A last batch of one is dropped (BatchNorm needs two, and NT-Xent a negative).
 */
export function distinctBatches(examples: readonly number[], size: number): number[][] {
  const batches: number[][] = [];
  let waiting = [...examples];
  while (waiting.length > 0) {
    const batch: number[] = [];
    const inBatch = new Set<number>();
    const next: number[] = [];
    for (const record of waiting) {
      if (batch.length < size && !inBatch.has(record)) {
        batch.push(record);
        inBatch.add(record);
      } else next.push(record);
    }
    // Fewer than two distinct records left: no contrastive batch (the other view's negatives) can be made of them.
    if (batch.length < 2) break;
    batches.push(batch);
    waiting = next;
  }
  return batches;
}

/** A stretch of `length` samples of one lead of `record` at a random start (the whole lead if shorter). */
function segmentOf(record: PretrainRecord, segment: number, random: Random): Float32Array {
  const { offset, length } = record.store.slots[record.index]!;
  const lead = random.int(record.store.leads);
  const leadStart = offset + lead * length;
  const start = length > segment ? random.int(length - segment + 1) : 0;
  return record.store.samples.subarray(leadStart + start, leadStart + start + Math.min(segment, length));
}

/** One augmented crop of `segment` into `out` (zero-padded when the segment is shorter than the window). */
function writeView(segment: Float32Array, spec: ViewSpec, random: Random, out: Float32Array): void {
  const slack = segment.length - out.length;
  out.fill(0);
  if (slack >= 0) out.set(segment.subarray(random.int(slack + 1)).subarray(0, out.length));
  else out.set(segment, random.int(-slack + 1));
  augmentExample(out, 1, spec.window, spec.augment, random);
}

/**
 * The batch's two views, [2B, 1, window]: rows 0..B-1 are the first views of the examples, rows B..2B-1 the second
 * views in the same order. Everything random comes from `random`.
 */
export function assembleViews(
  records: readonly PretrainRecord[],
  examples: readonly number[],
  spec: ViewSpec,
  random: Random,
): Float32Array {
  const n = spec.window.samples;
  const batch = new Float32Array(2 * examples.length * n);
  examples.forEach((r, b) => {
    const segment = segmentOf(records[r]!, spec.segment, random);
    writeView(segment, spec, random, batch.subarray(b * n, (b + 1) * n));
    const second = examples.length + b;
    writeView(segment, spec, random, batch.subarray(second * n, (second + 1) * n));
  });
  return batch;
}

/** Rows scaled to unit length. */
function normalizedRows(z: Tensor): Tensor {
  return F.div(z, F.sqrt(F.add(F.sum(F.mul(z, z), 1, true), 1e-12)));
}

/**
 * NT-Xent over [2B, D] projections whose row i and row i + B (mod 2B) are the two views of one example: cross-entropy
 * of each row's cosine similarities / temperature against every other row, the positive being its partner.
 */
export function ntXent(z: Tensor, temperature: number): Tensor {
  const rows = z.shape[0]!;
  if (rows % 2 !== 0 || rows < 4)
    throw new ConfigError(`NT-Xent needs an even number of views, at least 4 (got ${rows})`);
  const half = rows / 2;
  const unit = normalizedRows(z);
  const similarity = F.div(F.matmul(unit, F.transpose(unit, 0, 1)), temperature);
  const self = new Float32Array(rows * rows);
  for (let i = 0; i < rows; i++) self[i * rows + i] = 1e9; // a view is never its own candidate
  const logits = F.sub(similarity, F.tensor(self, [rows, rows]));
  const partner = BigInt64Array.from({ length: rows }, (_, i) => BigInt((i + half) % rows));
  return F.crossEntropy(logits, F.tensor(partner, [rows]));
}

/** Top-1 retrieval: the share of rows of `a` whose most similar row of `b` (cosine) is their own partner. */
export function retrievalTop1(a: Float32Array, b: Float32Array, dim: number): number {
  const rows = a.length / dim;
  const unit = (x: Float32Array, i: number) => {
    const row = x.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row) || 1;
    return Array.from(row, (v) => v / norm);
  };
  const bs = Array.from({ length: rows }, (_, j) => unit(b, j));
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    const q = unit(a, i);
    let best = -1;
    let bestScore = -Infinity;
    bs.forEach((row, j) => {
      const score = row.reduce((sum, v, k) => sum + v * q[k]!, 0);
      if (score > bestScore) [best, bestScore] = [j, score];
    });
    if (best === i) hits++;
  }
  return rows === 0 ? 0 : hits / rows;
}

/**
 * The sources' datasets, opened from `pretrain.sources` (tests may pass their own). A `folder` source gives one
 * dataset per lead count; what it found, and what it could not read, is said through `notice`.
 */
export async function openSources(
  pretrain: PretrainConfig,
  notice: (message: string) => void,
): Promise<Dataset[]> {
  const datasets: Dataset[] = [];
  for (const source of pretrain.sources) {
    if (source.dataset !== FOLDER_SOURCE) {
      datasets.push(await DATASETS[source.dataset].open(source.data));
      continue;
    }
    const folder = await openRecordFolder(source.data, source.fs === undefined ? {} : { fs: source.fs });
    datasets.push(...folder.groups.map((group) => group.dataset));
    notice(folderSummary(source.data, folder));
  }
  return datasets;
}

/** `folder=DIR: 120 records (100 with 2 leads, 20 with 12 leads); 3 unreadable: a.csv (reason), ...`. */
function folderSummary(root: string, folder: RecordFolder): string {
  const counts = folder.groups.map(({ leads, dataset }) => `${dataset.entries.length} with ${leads} lead(s)`);
  const records = folder.groups.reduce((sum, { dataset }) => sum + dataset.entries.length, 0);
  const skipped = folder.skipped.slice(0, 3).map(({ id, reason }) => `${id} (${reason})`);
  const more = folder.skipped.length > 3 ? `, and ${folder.skipped.length - 3} more` : '';
  return (
    `pretrain source folder=${root}: ${records} records (${counts.join(', ')})` +
    (folder.skipped.length > 0 ? `; ${folder.skipped.length} not read: ${skipped.join(', ')}${more}` : '') +
    (folder.otherFiles.length > 0 ? `; ${folder.otherFiles.length} other file(s) ignored` : '')
  );
}

/**
 * Records of every dataset, preprocessed (and cached) as supervised runs read them. The validation records are the
 * `validationFraction` (at least 2) whose hash of (seed, id) is smallest: a fixed set, whatever the sources' order.
 */
async function loadSources(
  config: TrainConfig,
  pretrain: PretrainConfig,
  datasets: readonly Dataset[],
  options: TrainOptions,
): Promise<{ train: PretrainRecord[]; validation: PretrainRecord[]; fs: number }> {
  const records: PretrainRecord[] = [];
  let fs: number | null = null;
  for (const dataset of datasets) {
    const data = await loadTrainingData(dataset, {
      preprocess: preprocessOf(config),
      cacheDir: config.cacheDir,
      storedLeadOrder: true, // one random lead per example: which is which does not matter
      ...(options.onDataProgress ? { onProgress: options.onDataProgress } : {}),
    });
    if (fs !== null && data.fs !== fs)
      throw new ConfigError(
        `pretrain source ${dataset.name} (${dataset.root}) is at ${data.fs} Hz, the others at ${fs} Hz: set preprocess.fs`,
      );
    fs = data.fs;
    data.entries.forEach((entry, index) =>
      records.push({ id: `${dataset.name}:${entry.id}`, store: data.store, index }),
    );
  }
  const held = Math.max(2, Math.round(pretrain.validationFraction * records.length));
  if (records.length - held < 2)
    throw new ConfigError(
      `pretrain: ${records.length} records; ${held} are held out for validation and at least 2 must train`,
    );
  const rank = (record: PretrainRecord) =>
    hashKey(config.seed, ...Array.from(record.id, (c) => c.charCodeAt(0)));
  const order = [...records].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1));
  const validation = new Set(order.slice(0, held));
  return {
    train: records.filter((record) => !validation.has(record)),
    validation: records.filter((record) => validation.has(record)),
    fs: fs!,
  };
}

interface PretrainRun {
  config: TrainConfig;
  pretrain: PretrainConfig;
  train: PretrainRecord[];
  validation: PretrainRecord[];
  spec: ViewSpec;
  fs: number;
  model: TrainableModel;
  /** Data-parallel rank (0 alone): keys this process's random streams (src/train/random.ts rankKey). */
  rank: number;
}

/** The labels of the projection outputs (no supervised run shares them, so `--init` leaves its classifier fresh). */
export function projectionLabels(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `z${i}`);
}

function initialModel(
  config: TrainConfig,
  pretrain: PretrainConfig,
  fs: number,
  options: TrainOptions,
): TrainableModel {
  const labels = projectionLabels(pretrain.projection);
  const shape = { leads: 1, classes: labels.length };
  return withInit(
    newTrainableModel(config.model, false, shape, [], config.modelOverrides),
    config.init,
    {
      labels,
      fs,
      windowSeconds: config.windowSeconds,
      bandpass: config.preprocess.bandpass,
      standardize: config.preprocess.standardize,
    },
    options,
  );
}

/** Contrastive pre-training of `config.model` on `config.pretrain.sources` in `config.out` (resumable). */
export async function pretrain(
  config: TrainConfig,
  options: TrainOptions = {},
  datasets?: readonly Dataset[],
): Promise<TrainResult> {
  const pretrainConfig = config.pretrain;
  if (pretrainConfig === null) throw new ConfigError('pretrain: the config has no `pretrain` section');
  if (config.cvFold !== null) throw new ConfigError('pretrain: cross-validation folds do not apply');
  return runTraining(config, options, async (saved) => {
    const opened = datasets ?? (await openSources(pretrainConfig, options.onNotice ?? console.error));
    const { train, validation, fs } = await loadSources(config, pretrainConfig, opened, options);
    manualSeed(config.seed);
    const model = saved
      ? restoredModel(saved, RUN_FILES.last)
      : initialModel(config, pretrainConfig, fs, options);
    const window: WindowSpec = {
      samples: Math.max(1, Math.round(config.windowSeconds * fs)),
      shortRecords: 'zero-pad',
      fs,
    };
    const segment = Math.max(window.samples, Math.round(pretrainConfig.segmentSeconds * fs));
    const spec: ViewSpec = { segment, window, augment: pretrainConfig.augment };
    const rank = options.distributed?.rank ?? 0;
    return pretrainTask({ config, pretrain: pretrainConfig, train, validation, spec, fs, model, rank });
  });
}

function pretrainTask(run: PretrainRun): TrainingTask<Float32Array> {
  const { config, pretrain, train, spec } = run;
  const batchesOfEpoch = (epoch: number) =>
    distinctBatches(
      epochExamples(
        train,
        spec.segment,
        pretrain.segmentsPerRecord,
        seededRandom(config.seed, epoch, STREAM.order),
      ),
      config.batchSize,
    );
  const stepsPerEpoch = batchesOfEpoch(0).length;
  return {
    name: 'pretrain',
    model: run.model,
    prefetch: 1,
    // Every epoch has the same number of examples; the distinct-record rule may drop a few at its end.
    epochBatches: (epoch) => batchesOfEpoch(epoch).slice(0, stepsPerEpoch),
    fetch: (batches, epoch, s) =>
      Promise.resolve(
        assembleViews(
          train,
          batches[s]!,
          spec,
          seededRandom(config.seed, epoch, s, STREAM.augment, ...rankKey(run.rank)),
        ),
      ),
    loss: (batch, indices) => {
      const views = F.tensor(batch, [2 * indices.length, 1, spec.window.samples]);
      return ntXent(run.model.logits(views, []), pretrain.temperature);
    },
    release: () => undefined,
    validate: () => validate(run),
    checkpointMetadata: (state, validation) => checkpointMetadata(run, state, validation),
    close: () => {
      run.model.module.dispose();
      return Promise.resolve();
    },
  };
}

/** Projections of held-out views, in eval mode, batch by batch. */
async function project(run: PretrainRun, views: Float32Array, rows: number): Promise<Float32Array> {
  const n = run.spec.window.samples;
  const out = new Float32Array(rows * run.pretrain.projection);
  for (let from = 0; from < rows; from += run.config.batchSize) {
    const count = Math.min(run.config.batchSize, rows - from);
    const chunk = views.subarray(from * n, (from + count) * n);
    const z = scope(() =>
      noGrad(() => run.model.logits(F.tensor(chunk, [count, 1, n]), []).data() as Float32Array),
    );
    out.set(z, from * run.pretrain.projection);
    await new Promise<void>((resolve) => setImmediate(resolve)); // lets Node free native handles
  }
  return out;
}

/** Fixed views of every validation record (the same each epoch), scored by top-1 retrieval. */
async function validate(run: PretrainRun): Promise<{ metrics: ValidationMetrics; outputs: TaskOutputs }> {
  const examples = run.validation.map((_, r) => r);
  const views = assembleViews(
    run.validation,
    examples,
    run.spec,
    seededRandom(run.config.seed, 0, STREAM.augment),
  );
  const rows = examples.length;
  const wasTraining = run.model.module.training;
  run.model.module.eval();
  let z: Float32Array;
  try {
    z = await project(run, views, 2 * rows);
  } finally {
    run.model.module.train(wasTraining);
  }
  const dim = run.pretrain.projection;
  const top1 = retrievalTop1(z.subarray(0, rows * dim), z.subarray(rows * dim), dim);
  return {
    metrics: {
      metric: PRETRAIN_METRIC,
      value: top1,
      details: { [PRETRAIN_METRIC]: top1, chance: 1 / rows },
      thresholds: {},
      records: rows,
    },
    outputs: {
      task: 'pretrain',
      classes: [],
      labelKind: 'single-label',
      ids: [],
      groups: [],
      labels: [],
      logits: [],
    },
  };
}

function checkpointMetadata(
  run: PretrainRun,
  state: TrainingState,
  validation: ValidationMetrics | null,
): CheckpointMetadata {
  const { config, pretrain, spec } = run;
  return {
    model: run.model.spec,
    labels: projectionLabels(pretrain.projection),
    preprocessing: {
      ...preprocessOf(config),
      fs: run.fs,
      leads: ['ECG'],
      windowSeconds: spec.window.samples / run.fs,
      windowSamples: spec.window.samples,
      shortRecords: 'zero-pad',
    },
    extra: {
      task: 'pretrain',
      outputActivation: 'none',
      pretrain: {
        ...pretrain,
        records: { train: run.train.length, validation: run.validation.length },
      },
      validation: validationSummary(validation),
      training: { config, state },
    },
  };
}
