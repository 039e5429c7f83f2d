/**
 * Beat-classifier training (MIT-BIH, task 'beats'): every annotated beat of the training records becomes a window
 * of `before + after` samples around its R peak plus its four RR intervals, held in memory (DS1 is ~51k beats,
 * ~60 MB). The record is preprocessed exactly as the Predictor does at inference (src/infer/prepare.ts
 * prepareRecord + cutBeatWindows), so a shipped ONNX model sees what it was trained on.
 *
 * Class imbalance: N beats outnumber S beats ~50:1 in DS1. Each epoch uses every non-N beat and a fresh random
 * `normalPerEpoch` N beats, and the cross-entropy weights are balanced over that epoch's mix, capped at
 * `maxClassWeight`. Validation classifies every beat of the held-out DS1 patients; the model is selected on the
 * mean F1 of N, S and V (`aami_nsv_f1`, aamiNsvF1 in src/eval/beats.ts).
 *
 * This is the beat task of the one training loop (src/train/loop.ts, src/train/task.ts): determinism, resume and
 * checkpoints are the loop's; the task draws the order from PRNG(seed, epoch) and crops and augmentation from
 * PRNG(seed, epoch, step).
 */
import type { MitdbDataset } from '../datasets/mitdb/index.js';
import { AAMI_CLASSES } from '../datasets/mitdb/index.js';
import * as F from '../engine/ops.js';
import { manualSeed } from '../engine/runtime.js';
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError } from '../errors.js';
import {
  aamiBeatMetrics,
  aamiConfusion,
  aamiNsvF1,
  SCORED_AAMI_CLASSES,
  type BeatMetrics,
} from '../eval/beats.js';
import type { Checkpoint, CheckpointMetadata } from '../export/checkpoint.js';
import {
  beatModelInputs,
  requireBeatsInRecord,
  fibrillationGate,
  fusionRuleLogits,
  gateLogits,
  voteLogits,
  type BeatInputSpec,
} from '../infer/beat-inputs.js';
import type { FusionRule } from '../infer/metadata.js';
import { qrsClusters } from '../signal/beat-clusters.js';
import { prepareRecord } from '../infer/prepare.js';
import type { BeatTemplates } from '../signal/beat-context.js';
import {
  beatChannelCount,
  contextFeatureNames,
  LOCAL_TEMPLATE,
  MORPHOLOGY_CONTEXT,
  morphologyContext,
  morphologyFeatureName,
  RHYTHM_CONTEXT,
  SLOW_RHYTHM_CONTEXT,
  templateKinds,
} from '../signal/beat-context.js';
import {
  BEAT_RR_FEATURES,
  beatContextFeatures,
  beatModelConfig,
  beatResidualChannels,
  beatRrFeatures,
  EfficientEcgBeat,
  contextGroup,
  fitBeatStandardisation,
  rrGroups,
  type BeatModelConfig,
} from '../models/beats.js';
import type { EfficientEcgVariant } from '../models/efficientecg.js';
import { augmentExample } from './batch.js';
import type { TrainingState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { preprocessOf } from './data.js';
import { batchesOf, RUN_FILES, runTraining, type TrainOptions, type TrainResult } from './loop.js';
import type { TrainableModel } from './model.js';
import { corruptLead } from './beat-noise.js';
import { rankKey, seededRandom, shuffled, STREAM, type Random } from './random.js';
import type { TaskOutputs, TrainingTask } from './task.js';
import type { ValidationMetrics } from './validate.js';

/** Registry name of beat models. */
export const BEAT_MODEL_NAME = 'efficientecg-beat';
/**
 * The default lead, MIT-BIH's modified limb lead II (44 of the 48 records). `beats.leads` adds a second one, e.g.
 * `V1|V2|V5|V4`: the record's chest lead (V1 in most MIT-BIH records), a zero lead in one-lead records.
 */
export const BEAT_LEADS = ['MLII'];

/** Beats of some records, ready to batch. */
export interface BeatSet {
  /** [count, leads, width] with width = before + after + 2 * margin; `leads` counts residual channels too. */
  windows: Float32Array;
  /** [count, contextFeatures.length] patient-relative context (src/signal/beat-context.ts). */
  context: Float32Array;
  contextFeatures: string[];
  /** AAMI class index per beat. */
  labels: Int32Array;
  /** [count, 4] RR intervals (s) in BEAT_RR_FEATURES order. */
  rr: Float32Array;
  count: number;
  leads: number;
  width: number;
  /** Record id of each beat's record, by index into `records`. */
  recordOf: Int32Array;
  /** Each beat's annotated R-peak sample in its source record (identifies the beat in cross-validation outputs). */
  samples: Int32Array;
  /** Per beat, 1 where the fibrillation gate moves S to N (all 0 without `beats.fibrillationGate`). */
  gate: Uint8Array;
  /** With `beats.clusterVote`: each beat's QRS cluster (unique across records) and the vote's weight. */
  vote: { clusters: Int32Array; weight: number } | null;
  /** `beats.fusionRule`, applied per record after the vote. */
  fusionRule: FusionRule | null;
  records: string[];
  /**
   * The templates the context was measured against, one set per templateKinds(beats.template) (none without
   * context): data [templates, raw leads, width], `of` each beat's template.
   */
  templates: BeatTemplates[];
}

export interface BeatGeometry {
  fs: number;
  before: number;
  after: number;
  /** Extra samples cut on both sides for the training shift. */
  margin: number;
}

/**
 * The decision rules after the model that a config asks for (cluster vote, fusion rule), as a beat model's metadata
 * carries them: the bundle, a re-decided CV's folds and training's own checkpoint all copy them this way.
 */
export function beatDecisionRules(
  beats: Partial<Pick<TrainConfig['beats'], 'clusterVote' | 'fusionRule'>> | undefined,
): { clusterVote?: TrainConfig['beats']['clusterVote']; fusionRule?: TrainConfig['beats']['fusionRule'] } {
  return {
    ...(beats?.clusterVote ? { clusterVote: beats.clusterVote } : {}),
    ...(beats?.fusionRule ? { fusionRule: beats.fusionRule } : {}),
  };
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

/** The context columns and channels a training config asks for (src/infer/beat-inputs.ts). */
export function beatInputSpec(config: TrainConfig, geometry: BeatGeometry): BeatInputSpec {
  const context = config.beats.context;
  const slow = config.beats.slowRhythm ? [...SLOW_RHYTHM_CONTEXT] : [];
  const names =
    context === 'none'
      ? []
      : context === 'rhythm'
        ? [...RHYTHM_CONTEXT, ...slow]
        : [
            ...contextFeatureNames(config.beats.leads.length, config.beats.template).slice(
              0,
              -SLOW_RHYTHM_CONTEXT.length,
            ),
            ...slow,
          ];
  if (config.beats.slowRhythm && context === 'none')
    throw new ConfigError('beat training: beats.slowRhythm is a context feature: it needs a beats.context');
  if (config.beats.rrContext === 'none' && (names.length > 0 || config.beats.residualChannels))
    throw new ConfigError(
      'beat training: --rr-context none reads the window alone (no context, no residuals)',
    );
  return {
    before: geometry.before,
    after: geometry.after,
    context: names,
    residualChannels: config.beats.residualChannels,
    ...(config.beats.template !== 'record' ? { template: config.beats.template } : {}),
    ...localSpanOf(config),
  };
}

/** The local template's span where it differs from the default (older models and configs omit it). */
function localSpanOf(config: TrainConfig): { localTemplateSeconds?: number } {
  const seconds = config.beats.localTemplateSeconds;
  return seconds !== LOCAL_TEMPLATE.halfSpanSeconds ? { localTemplateSeconds: seconds } : {};
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
    leads: config.beats.leads,
    fs: geometry.fs,
    bandpass: config.preprocess.bandpass,
    standardize: config.preprocess.standardize,
  };
  const spec = beatInputSpec(config, geometry);
  const parts: BeatPart[] = [];
  for (const [i, id] of ids.entries()) {
    const { record } = await dataset.load(id);
    const beats = dataset.beats.get(id) ?? [];
    const prepared = prepareRecord(record, info);
    const samples = beats.map((beat) => beat.sample);
    requireBeatsInRecord(record, samples);
    const inputs = beatModelInputs(prepared.signals, geometry.fs, samples, record.fs, spec, geometry.margin);
    parts.push({
      windows: inputs.windows,
      context: inputs.context,
      labels: beats.map((beat) => AAMI_CLASSES.indexOf(beat.aami)),
      rr: beats.flatMap((beat) => BEAT_RR_FEATURES.map((name) => beat[name])),
      samples: beats.map((beat) => beat.sample),
      gate: config.beats.fibrillationGate
        ? fibrillationGate(samples, record.fs)
        : new Uint8Array(beats.length),
      clusters: config.beats.clusterVote
        ? qrsClusters(
            { data: inputs.windows, count: inputs.count, channels: inputs.channels, width: inputs.width },
            config.beats.leads.length,
            geometry.margin + geometry.before,
            geometry.fs,
            config.beats.clusterVote,
          )
        : null,
      templates: inputs.templates,
    });
    onProgress?.(i + 1, ids.length);
  }
  return concatParts(parts, [...ids], {
    leads: beatChannelCount(config.beats.leads.length, spec.residualChannels, spec.template),
    rawLeads: config.beats.leads.length,
    width: geometry.before + geometry.after + 2 * geometry.margin,
    contextFeatures: [...spec.context],
    voteWeight: config.beats.clusterVote?.weight ?? null,
    fusionRule: config.beats.fusionRule,
  });
}

interface BeatPart {
  windows: Float32Array;
  context: Float32Array;
  labels: number[];
  rr: number[];
  samples: number[];
  gate: Uint8Array;
  /** QRS cluster per beat, numbered within the record (null without the cluster vote). */
  clusters: Int32Array | null;
  templates: BeatTemplates[];
}

function concatParts(
  parts: readonly BeatPart[],
  records: string[],
  shape: {
    leads: number;
    rawLeads: number;
    width: number;
    contextFeatures: string[];
    voteWeight: number | null;
    fusionRule: FusionRule | null;
  },
): BeatSet {
  const { leads, width, contextFeatures } = shape;
  const templateSize = shape.rawLeads * width;
  const k = contextFeatures.length;
  const count = parts.reduce((n, part) => n + part.labels.length, 0);
  const set: BeatSet = {
    windows: new Float32Array(count * leads * width),
    context: new Float32Array(count * k),
    contextFeatures,
    labels: new Int32Array(count),
    rr: new Float32Array(count * 4),
    count,
    leads,
    width,
    recordOf: new Int32Array(count),
    samples: new Int32Array(count),
    gate: new Uint8Array(count),
    vote: shape.voteWeight === null ? null : { clusters: new Int32Array(count), weight: shape.voteWeight },
    fusionRule: shape.fusionRule,
    records,
    templates: (parts[0]?.templates ?? []).map((_, kind) => ({
      data: new Float32Array(parts.reduce((n, part) => n + part.templates[kind]!.data.length, 0)),
      of: new Int32Array(count),
    })),
  };
  const templatesAt = set.templates.map(() => 0); // per kind, in templates
  let at = 0;
  let clustersBefore = 0; // clusters of the records before, so that indices are unique across records
  parts.forEach((part, r) => {
    set.windows.set(part.windows, at * leads * width);
    set.context.set(part.context, at * k);
    set.labels.set(part.labels, at);
    set.rr.set(part.rr, at * 4);
    set.recordOf.fill(r, at, at + part.labels.length);
    set.samples.set(part.samples, at);
    set.gate.set(part.gate, at);
    if (set.vote !== null && part.clusters !== null) {
      part.clusters.forEach((c, b) => (set.vote!.clusters[at + b] = clustersBefore + c));
      clustersBefore += part.clusters.reduce((high, c) => Math.max(high, c), -1) + 1;
    }
    set.templates.forEach((kind, k) => {
      const own = part.templates[k]!;
      kind.data.set(own.data, templatesAt[k]! * templateSize);
      own.of.forEach((t, b) => (kind.of[at + b] = templatesAt[k]! + t));
      templatesAt[k]! += own.data.length / templateSize;
    });
    at += part.labels.length;
  });
  return set;
}

/**
 * This epoch's beats: every non-N beat (at most `recordClassCap` of one class from one record when it is positive, a
 * seeded sample) and a seeded sample of `normalPerEpoch` N beats, shuffled.
 */
export function epochBeats(
  set: BeatSet,
  normalPerEpoch: number,
  seed: number,
  epoch: number,
  recordClassCap = 0,
): number[] {
  const normal: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < set.count; i++) (set.labels[i] === 0 ? normal : others).push(i);
  const random = seededRandom(seed, epoch, STREAM.order);
  const sampled = shuffled(normal, random).slice(0, normalPerEpoch);
  const kept = recordClassCap > 0 ? capPerRecordAndClass(set, others, recordClassCap, random) : others;
  return shuffled([...kept, ...sampled], random);
}

/** `beats` (in index order) without the beats over `cap` of any one record's class, chosen at random. */
function capPerRecordAndClass(set: BeatSet, beats: number[], cap: number, random: Random): number[] {
  const groups = new Map<string, number[]>();
  for (const i of beats) {
    const key = `${set.recordOf[i]}:${set.labels[i]}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const dropped = new Set(
    [...groups.values()].flatMap((group) => (group.length > cap ? shuffled(group, random).slice(cap) : [])),
  );
  return beats.filter((i) => !dropped.has(i));
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
  /** The class weights of the epoch being trained (balanced over that epoch's mix). */
  epochWeights: { epoch: number; weights: number[] };
  /** The last validation's confusion figures, for the checkpoint metadata. */
  lastMetrics: BeatMetrics | null;
  /** Context columns of the extra leads and their flat-lead values (beats trained as one-lead records). */
  flatLeadContext: { column: number; value: number }[];
  /** Data-parallel rank (0 alone): keys this process's random streams (src/train/random.ts rankKey). */
  rank: number;
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
  return runTraining(config, options, async (saved) => {
    const ids = (split: string) => dataset.entries.filter((e) => e.split === split).map((e) => e.id);
    const sourceFs =
      dataset.entries.length > 0 ? (await dataset.load(dataset.entries[0]!.id)).record.fs : 360;
    const geometry = beatGeometry(config, sourceFs);
    const progress = options.onDataProgress;
    const train = await loadBeatSet(dataset, ids('train'), config, geometry, progress);
    const validation = await loadBeatSet(dataset, ids('val'), config, geometry, progress);
    if (train.count < 2 || validation.count === 0)
      throw new ConfigError(
        `dataset ${dataset.name}: ${train.count} training and ${validation.count} validation beats`,
      );
    return beatTask(setUpBeatRun(config, geometry, train, validation, saved, options.distributed?.rank ?? 0));
  });
}

/** The beat task of the training loop (src/train/task.ts): a batch is its beat indices, cut when its step runs. */
function beatTask(run: BeatRun): TrainingTask<readonly number[]> {
  const { config } = run;
  const order = (epoch: number) =>
    epochBeats(run.train, config.beats.normalPerEpoch, config.seed, epoch, config.beats.recordClassCap);
  return {
    name: 'beats',
    model: run.trainable,
    prefetch: 1,
    epochBatches: (epoch) => {
      const beats = order(epoch);
      run.epochWeights = { epoch, weights: epochClassWeights(run.train, beats, config.beats.maxClassWeight) };
      return batchesOf(beats, config.batchSize);
    },
    // Batches are cut synchronously in loss(); yielding here lets Node run the finalizers of released tensors.
    fetch: async (batches, _epoch, s) => {
      await new Promise((resolve) => setImmediate(resolve));
      return batches[s]!;
    },
    loss: (batch, _indices, at) => beatLoss(run, batch, at),
    release: () => undefined,
    validate: async () => validateBeats(run),
    checkpointMetadata: (state, validation) => beatCheckpointMetadata(run, state, validation),
    epochLog: () => ({ classWeights: run.epochWeights.weights }),
    close: async () => run.model.dispose(),
  };
}

function setUpBeatRun(
  config: TrainConfig,
  geometry: BeatGeometry,
  train: BeatSet,
  validation: BeatSet,
  saved: Checkpoint | null,
  rank: number,
): BeatRun {
  manualSeed(config.seed);
  const modelConfig: BeatModelConfig = saved
    ? (saved.metadata.model.config as BeatModelConfig)
    : freshBeatConfig(config, train);
  const model = new EfficientEcgBeat(modelConfig);
  if (saved) model.loadState(saved.state, RUN_FILES.last);
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
    epochWeights: { epoch: -1, weights: [] },
    lastMetrics: null,
    rank,
    flatLeadContext: flatLeadContext(
      train.contextFeatures,
      config.beats.leads.length,
      beatInputSpec(config, geometry),
      geometry.fs,
    ),
  };
}

function freshBeatConfig(config: TrainConfig, train: BeatSet): BeatModelConfig {
  const variant = config.model.slice('efficientecg-'.length) as EfficientEcgVariant;
  const shape = { leads: config.beats.leads.length, classes: AAMI_CLASSES.length };
  const context = train.contextFeatures;
  const groups = [...rrGroups(), ...(context.length > 0 ? [contextGroup(context)] : [])];
  return beatModelConfig({
    ...shape,
    variant,
    rrContext: config.beats.rrContext,
    backbone: config.modelOverrides,
    context,
    residualChannels: config.beats.residualChannels,
    residualSets: templateKinds(config.beats.template).length,
    groups: fitBeatStandardisation(groups, train.rr, train.context),
  });
}

/** The loss of a batch of beats: shifted, augmented windows and their (rate-jittered) RR rows. */
function beatLoss(run: BeatRun, indices: readonly number[], at: { epoch: number; step: number }): Tensor {
  const random = seededRandom(run.config.seed, at.epoch, at.step, STREAM.augment, ...rankKey(run.rank));
  const { ecg, rr, context } = trainingBatch(run, indices, random);
  const k = run.train.contextFeatures.length;
  const logits = run.model.forward(
    F.tensor(ecg, [indices.length, run.train.leads, windowOf(run.geometry)]),
    F.tensor(rr, [indices.length, 4]),
    F.tensor(context, [indices.length, k]),
  );
  const target = F.tensor(
    BigInt64Array.from(indices, (i) => BigInt(run.train.labels[i]!)),
    [indices.length],
  );
  const weights = run.epochWeights.weights;
  return F.crossEntropy(logits, target, { weight: F.tensor(Float32Array.from(weights), [weights.length]) });
}

const windowOf = (g: BeatGeometry): number => g.before + g.after;

/**
 * Training crops (a random shift of up to `margin` samples either way), amplitude/noise/wander augmentation, the
 * beat-level changes that differ between patients (time-stretch around the R peak, polarity: the context features
 * are ratios to the patient's own template and do not move), and the RR row scaled by one random heart-rate factor
 * (ratios unchanged) so that absolute rate is not memorised.
 */
function trainingBatch(
  run: BeatRun,
  indices: readonly number[],
  random: ReturnType<typeof seededRandom>,
): { ecg: Float32Array; rr: Float32Array; context: Float32Array } {
  const { train, geometry, config } = run;
  const width = windowOf(geometry);
  const per = train.leads * width;
  const ecg = new Float32Array(indices.length * per);
  const rr = new Float32Array(indices.length * 4);
  const k = train.contextFeatures.length;
  const context = new Float32Array(indices.length * k);
  const spec = { samples: width, fs: geometry.fs, shortRecords: 'zero-pad' as const };
  indices.forEach((index, b) => {
    const shift = random.int(2 * geometry.margin + 1);
    const example = ecg.subarray(b * per, (b + 1) * per);
    const contextRow = context.subarray(b * k, (b + 1) * k);
    const beat = sourceBeat(run, index, contextRow, random);
    for (let l = 0; l < train.leads; l++) {
      const from = l * train.width + shift;
      example.set(beat.subarray(from, from + width), l * width);
    }
    augmentExample(example, train.leads, spec, config.augment, random);
    const peakAt = geometry.before + geometry.margin - shift;
    if (config.beats.stretch > 0) {
      const factor = 1 + config.beats.stretch * (2 * random.next() - 1);
      for (let l = 0; l < train.leads; l++)
        stretchAround(example.subarray(l * width, (l + 1) * width), peakAt, factor);
    }
    if (config.beats.invert > 0 && random.next() < config.beats.invert)
      example.forEach((v, i) => (example[i] = -v));
    if (config.beats.zeroExtraLeads > 0 && random.next() < config.beats.zeroExtraLeads) {
      zeroExtraLeads(example, config.beats.leads.length, train.leads, width);
      run.flatLeadContext.forEach(({ column, value }) => (contextRow[column] = value));
    }
    const factor = random.next() < 0.5 ? 0.85 + 0.3 * random.next() : 1;
    for (let c = 0; c < 4; c++) rr[b * 4 + c] = train.rr[index * 4 + c]! * factor;
  });
  return { ecg, rr, context };
}

/**
 * Beat `index`'s channels [leads, set width] and its context (written to `contextRow`): the stored ones, or with
 * probability `beats.leadNoise` a copy with one raw lead corrupted by recording artefacts and that lead's morphology
 * context measured again (src/train/beat-noise.ts).
 */
function sourceBeat(run: BeatRun, index: number, contextRow: Float32Array, random: Random): Float32Array {
  const { train, geometry, config } = run;
  const k = train.contextFeatures.length;
  const per = train.leads * train.width;
  contextRow.set(train.context.subarray(index * k, (index + 1) * k));
  const stored = train.windows.subarray(index * per, (index + 1) * per);
  if (!(config.beats.leadNoise > 0 && random.next() < config.beats.leadNoise)) return stored;
  const leads = config.beats.leads.length;
  const beat = Float32Array.from(stored);
  const lead = random.int(leads);
  const templates = train.templates.map(({ data, of }) => {
    const at = (of[index]! * leads + lead) * train.width;
    return data.subarray(at, at + train.width);
  });
  const rows = { data: beat, leads, residualChannels: config.beats.residualChannels, width: train.width };
  const features = corruptLead(
    { ...rows, peakAt: geometry.before + geometry.margin, fs: geometry.fs },
    lead,
    templates,
    random,
  );
  const kinds = templateKinds(config.beats.template);
  features.forEach((measured, k) =>
    MORPHOLOGY_CONTEXT.forEach((name, f) => {
      const column = train.contextFeatures.indexOf(
        morphologyFeatureName(name, lead, kinds[k]!, config.beats.template),
      );
      if (column >= 0) contextRow[column] = measured[f]!;
    }),
  );
  return beat;
}

/** Zeroes every lead after the first and their residual channels (channels: the leads, then their residuals). */
export function zeroExtraLeads(example: Float32Array, leads: number, channels: number, width: number): void {
  for (let c = 0; c < channels; c++) if (c % leads !== 0) example.fill(0, c * width, (c + 1) * width);
}

/**
 * The context columns of every lead after the first, with the values a flat (zero) lead gives them: what a one-lead
 * record's absent lead reads at inference (prepareRecord's zero lead through the same beatContext).
 */
export function flatLeadContext(
  contextFeatures: readonly string[],
  leads: number,
  spec: BeatInputSpec,
  fs: number,
) {
  const width = spec.before + spec.after;
  const flat = morphologyContext(
    { data: new Float32Array(width), count: 1, leads: 1, width, peakAt: spec.before },
    new Float32Array(width),
    fs,
  );
  const columns: { column: number; value: number }[] = [];
  for (const kind of templateKinds(spec.template))
    for (let l = 1; l < leads; l++)
      MORPHOLOGY_CONTEXT.forEach((name, f) => {
        const column = contextFeatures.indexOf(morphologyFeatureName(name, l, kind, spec.template));
        if (column >= 0) columns.push({ column, value: flat[f]! });
      });
  return columns;
}

/** Stretches `x` in time by `factor` around sample `centre` (linear interpolation, edge samples held), in place. */
export function stretchAround(x: Float32Array, centre: number, factor: number): void {
  const source = Float32Array.from(x);
  const last = source.length - 1;
  for (let k = 0; k <= last; k++) {
    const at = Math.min(last, Math.max(0, centre + (k - centre) / factor));
    const lo = Math.floor(at);
    const hi = Math.min(last, lo + 1);
    x[k] = source[lo]! + (source[hi]! - source[lo]!) * (at - lo);
  }
}

/**
 * Logits [count x classes] of the centred windows of a beat set (what the Predictor cuts), in batches, eval mode,
 * with the fibrillation gate's mask where the set has one (as the Predictor applies it).
 */
export function beatLogits(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: BeatGeometry,
  batchSize = 512,
): { logits: Float32Array; classes: number } {
  const width = windowOf(geometry);
  const per = set.leads * width;
  const classes = AAMI_CLASSES.length;
  const logits = new Float32Array(set.count * classes);
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
      const k = set.contextFeatures.length;
      const context = set.context.subarray(from * k, (from + n) * k);
      const rows = noGrad(() =>
        scope(() =>
          model
            .forward(F.tensor(ecg, [n, set.leads, width]), F.tensor(rr, [n, 4]), F.tensor(context, [n, k]))
            .data(),
        ),
      );
      logits.set(rows, from * classes);
    }
  } finally {
    model.train();
  }
  gateLogits(logits, set.gate, AAMI_CLASSES);
  if (set.vote !== null) voteLogits(logits, set.vote.clusters, AAMI_CLASSES, set.vote.weight);
  if (set.fusionRule !== null) {
    for (const beats of beatsPerRecord(set)) fusionRuleLogits(logits, AAMI_CLASSES, set.fusionRule, beats);
  }
  return { logits, classes };
}

/** The beat indices of each record of `set`. */
function beatsPerRecord(set: BeatSet): number[][] {
  const rows: number[][] = set.records.map(() => []);
  set.recordOf.forEach((r, b) => rows[r]!.push(b));
  return rows;
}

/** Argmax class per beat of `beatLogits`. */
export function classifyBeats(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: BeatGeometry,
  batchSize = 512,
): Int32Array {
  const { logits, classes } = beatLogits(model, set, geometry, batchSize);
  return argmaxPerRow(logits, classes);
}

function argmaxPerRow(logits: Float32Array, classes: number): Int32Array {
  const out = new Int32Array(logits.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

// Checkpoint selection and CV read aamiNsvF1 (src/eval/beats.ts): the mean F1 of N, S and V.

function validateBeats(run: BeatRun): { metrics: ValidationMetrics; outputs: TaskOutputs } {
  const scored = scoreBeatSet(run.model, run.validation, run.geometry);
  run.lastMetrics = scored.confusion;
  return { metrics: scored.metrics, outputs: scored.outputs };
}

/**
 * A beat set scored by a model: its figures and the per-beat outputs a CV fold keeps (validation, and
 * scripts/experiments/beats-cv-rescore.ts when a decision rule after the model changes).
 */
export function scoreBeatSet(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: BeatGeometry,
): { metrics: ValidationMetrics; confusion: BeatMetrics; outputs: TaskOutputs } {
  const { logits, classes } = beatLogits(model, set, geometry);
  const metrics = beatValidationMetrics(set.labels, argmaxPerRow(logits, classes), set.records.length);
  return {
    metrics: metrics.validation,
    confusion: metrics.confusion,
    outputs: {
      task: 'beats',
      classes: [...AAMI_CLASSES],
      labelKind: 'single-label',
      ids: Array.from(set.labels, (_, i) => `${set.records[set.recordOf[i]!]}:${set.samples[i]}`),
      groups: Array.from(set.recordOf, (r) => set.records[r]!),
      labels: Array.from(set.labels, (label) => [label]),
      logits: Array.from({ length: set.count }, (_, i) =>
        Array.from(logits.subarray(i * classes, (i + 1) * classes)),
      ),
    },
  };
}

/** The beat task's validation figures from reference and predicted classes (also what cross-validation pools). */
export function beatValidationMetrics(
  reference: Int32Array,
  predicted: Int32Array,
  records: number,
): { confusion: BeatMetrics; validation: ValidationMetrics } {
  const metrics = aamiBeatMetrics(aamiConfusion(reference, predicted));
  const value = aamiNsvF1(metrics);
  const details: Record<string, unknown> = { accuracy: metrics.accuracy };
  for (const name of SCORED_AAMI_CLASSES) {
    const { se, ppv, f1 } = metrics[name];
    details[`${name}_se`] = se;
    details[`${name}_ppv`] = ppv;
    details[`${name}_f1`] = f1;
  }
  return {
    confusion: metrics,
    validation: {
      metric: 'aami_nsv_f1',
      value,
      records,
      thresholds: Object.fromEntries(AAMI_CLASSES.map((name) => [name, null])),
      details,
    },
  };
}

/** The newer inputs in the model's metadata, only when it reads them (older readers see the same spec as before). */
function beatInputMetadata(config: BeatModelConfig): { context?: string[]; residualChannels?: true } {
  const context = beatContextFeatures(config);
  return {
    ...(context.length > 0 ? { context } : {}),
    ...(beatResidualChannels(config) ? { residualChannels: true as const } : {}),
  };
}

function beatCheckpointMetadata(
  run: BeatRun,
  state: TrainingState,
  validation: ValidationMetrics | null,
): CheckpointMetadata {
  const { config, geometry } = run;
  const width = windowOf(geometry);
  return {
    model: run.trainable.spec,
    labels: [...AAMI_CLASSES],
    preprocessing: {
      ...preprocessOf(config),
      fs: geometry.fs,
      leads: config.beats.leads,
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
        ...beatInputMetadata(run.trainable.spec.config as BeatModelConfig),
        ...(config.beats.template !== 'record' ? { template: config.beats.template } : {}),
        ...localSpanOf(config),
        ...(config.beats.fibrillationGate ? { fibrillationGate: true } : {}),
        ...beatDecisionRules(config.beats),
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
      thresholds: Object.fromEntries(AAMI_CLASSES.map((name) => [name, null])),
      validation: validation
        ? {
            metric: validation.metric,
            value: validation.value,
            records: run.validation.records.length,
            beats: run.validation.count,
            ...validation.details,
            confusion: run.lastMetrics,
          }
        : null,
      training: { config, state },
    },
  };
}
