/**
 * What a Predictor needs to know about an exported model, read from the ONNX file's metadata_props (JSON values).
 * exportOnnx writes labels, sampling_rate, leads, window and preprocessing; `efficientecg export` adds the keys of
 * MODEL_KEYS from the checkpoint (label kind, activation, thresholds, task, fusion inputs ...). Files are untrusted:
 * everything is validated with zod, and a missing optional key falls back to the training defaults.
 */
import { z } from 'zod';
import { ConfigError, excerpt } from '../errors.js';
import { DEFAULT_READ_LIMITS } from '../io/limits.js';
import { BEAT_TEMPLATES, LOCAL_TEMPLATE, type BeatTemplateMode } from '../signal/beat-context.js';

/** How window outputs become one record-level output. */
export const AGGREGATIONS = {
  'mean-logits': 'mean of the window logits, then the activation (what validation does during training)',
  'mean-probabilities': 'activation per window, then the mean of the window probabilities',
  max: 'activation per window, then the maximum probability of each class over the windows',
} as const;
export type Aggregation = keyof typeof AGGREGATIONS;

/** Extra metadata keys written by `efficientecg export` (beside exportOnnx's own). */
export const MODEL_KEYS = {
  model: 'architecture name and catalogue name, e.g. {"architecture":"efficientecg-w0.25"}',
  label_kind: "'single-label' | 'multi-label'",
  output_activation: "'softmax' | 'sigmoid', applied to logits",
  thresholds: 'class -> probability threshold chosen on validation (null: none, 0.5 is used)',
  task: "'records' (windows of a whole record) or 'beats' (windows around R peaks)",
  beats:
    'for task beats: {before, after} samples around the R peak, the RR features of the `rr` input, and (newer models) ' +
    'the `context` input columns and residualChannels (src/infer/beat-inputs.ts), template (record | local | both: what the ' +
    'morphology context and residuals are measured against), fibrillationGate (no S beat where ' +
    'the RR detector of src/signal/fibrillation.ts finds atrial fibrillation), classOffsets (per-class decision ' +
    'offsets added to the logits after the gate, fitted on out-of-fold logits)',
  patient_groups: 'fusion models: patient token groups (src/models/fusion specs) and their input names',
  attention_outputs: 'fusion models: attention output names and the token order of their last axis',
  validation: 'validation metrics of the checkpoint',
  dataset: 'dataset the model was trained on, and its split',
  untrained: 'true for development models with random weights: their outputs are not predictions',
} as const;

const finiteNumber = z.number().finite();
const positiveInt = z.number().int().positive();
/** Bounds that no real model reaches and that keep a crafted one from sizing buffers: 2^22 samples per window. */
const windowSamples = positiveInt.max(2 ** 22);
const MAX_LABELS = 10_000;
const MAX_LEADS = 256;

const numericGroup = z
  .object({
    kind: z.literal('numeric'),
    name: z.string().min(1),
    features: z.array(z.string()).min(1),
    mean: z.array(finiteNumber),
    std: z.array(z.number().positive()),
    inputs: z.object({ values: z.string(), missing: z.string() }),
    /** A `beats` token: the beat PCA its values are computed with (src/signal/beat-embedding.ts). */
    beatPca: z
      .object({
        fs: z.number().positive(),
        lead: z.number().int().min(0),
        beforeSeconds: z.number().min(0),
        afterSeconds: z.number().positive(),
        mean: z.array(finiteNumber).min(1),
        components: z.array(z.array(finiteNumber).min(1)).min(1),
      })
      .optional(),
  })
  // A short mean or std would feed NaN (silently NaN probabilities).
  .refine(
    (group) => group.mean.length === group.features.length && group.std.length === group.features.length,
    {
      message: 'mean and std need one value per feature',
    },
  );
const categoricalGroup = z
  .object({
    kind: z.literal('categorical'),
    name: z.string().min(1),
    categories: z.array(z.string()).min(1),
    unknown: z.string(),
    inputs: z.object({ values: z.string(), missing: z.string() }),
  })
  // An unknown outside the categories would be fed as index -1, which Gather reads as the last row.
  .refine((group) => group.categories.includes(group.unknown), {
    message: 'unknown must be one of the categories',
  });
export const patientGroupSchema = z.discriminatedUnion('kind', [numericGroup, categoricalGroup]);
export type PatientGroup = z.infer<typeof patientGroupSchema>;

const RR_FEATURES = ['rrPrevious', 'rrNext', 'rrLocal', 'rrRecord'] as const;
export type RrFeature = (typeof RR_FEATURES)[number];

/**
 * The cluster vote's parameters (src/signal/beat-clusters.ts for the clusters, src/infer/beat-inputs.ts voteLogits
 * for the vote), as a training config and a model's metadata both carry them.
 */
export const clusterVoteSchema = z.strictObject({
  /** Weight of the cluster's mean ventricular probability (1: the cluster decides alone). */
  weight: z.number().min(0).max(1),
  correlation: z.number().gt(0).lte(1),
  amplitudeRange: z.tuple([z.number().positive(), z.number().positive()]),
  halfWidthSeconds: z.number().positive().max(0.3),
});
export type ClusterVote = z.infer<typeof clusterVoteSchema>;

/**
 * The fusion rule (src/infer/beat-inputs.ts fusionRuleLogits): in a record where fewer than this share of the beats
 * (and at least one) are called V, F is taken out of the decision.
 */
export const fusionRuleSchema = z.strictObject({
  minVentricularShare: z.number().min(0).max(1),
});
export type FusionRule = z.infer<typeof fusionRuleSchema>;

const metadataSchema = z.object({
  labels: z.array(z.string()).min(1).max(MAX_LABELS),
  // The readers' range: a model asking for 3e7 Hz would make every record resampled to gigabytes.
  sampling_rate: z.number().min(DEFAULT_READ_LIMITS.minFs).max(DEFAULT_READ_LIMITS.maxFs),
  leads: z.array(z.string()).min(1).max(MAX_LEADS),
  window: z.object({ samples: windowSamples, seconds: z.number().positive().optional() }),
  preprocessing: z
    .object({
      bandpass: z.tuple([z.number().positive(), z.number().positive()]).nullable().optional(),
      standardize: z.boolean().optional(),
      shortRecords: z.enum(['zero-pad', 'repeat']).optional(),
      windows: z
        .object({
          hopSamples: windowSamples.optional(),
          lastAlignedToEnd: z.boolean().optional(),
          aggregate: z.enum(['mean-logits', 'mean-probabilities', 'max']).optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
  model: z.object({ architecture: z.string().optional(), name: z.string().optional() }).optional(),
  label_kind: z.enum(['single-label', 'multi-label']).optional(),
  output_activation: z.enum(['softmax', 'sigmoid']).optional(),
  thresholds: z.record(z.string(), z.number().min(0).max(1).nullable()).optional(),
  task: z.enum(['records', 'beats']).optional(),
  beats: z
    .object({
      before: windowSamples,
      after: windowSamples,
      rr: z.array(z.enum(RR_FEATURES)).optional(),
      context: z.array(z.string()).optional(),
      residualChannels: z.boolean().optional(),
      template: z.enum(BEAT_TEMPLATES).optional(),
      localTemplateSeconds: z.number().positive().optional(),
      fibrillationGate: z.boolean().optional(),
      clusterVote: clusterVoteSchema.optional(),
      fusionRule: fusionRuleSchema.optional(),
      classOffsets: z.array(z.number().finite()).optional(),
    })
    .optional(),
  patient_groups: z.array(patientGroupSchema).optional(),
  attention_outputs: z
    .object({ tokens: z.array(z.string()), outputs: z.record(z.string(), z.string()) })
    .optional(),
  validation: z.record(z.string(), z.unknown()).nullable().optional(),
  dataset: z.record(z.string(), z.unknown()).nullable().optional(),
  untrained: z.boolean().optional(),
});

export interface ModelInfo {
  architecture: string | null;
  labels: string[];
  labelKind: 'single-label' | 'multi-label';
  activation: 'softmax' | 'sigmoid';
  /** Hz the model expects. */
  fs: number;
  leads: string[];
  /** Training window in samples (at fs). */
  windowSamples: number;
  hopSamples: number;
  lastAlignedToEnd: boolean;
  aggregate: Aggregation;
  shortRecords: 'zero-pad' | 'repeat';
  bandpass: [number, number] | null;
  standardize: boolean;
  /** Per class, the probability above which a multi-label class is reported (0.5 where none was chosen). */
  thresholds: number[];
  /** The labels whose threshold is that 0.5 fallback: none was chosen on validation. */
  unchosenThresholds: string[];
  task: 'records' | 'beats';
  /**
   * context: columns of the `context` input; residualChannels: lead minus template after each lead set; template:
   * which template (src/signal/beat-context.ts: the record's median beat, the local one, or both);
   * fibrillationGate: S masked on beats in atrial fibrillation (src/infer/beat-inputs.ts); classOffsets: per-class
   * decision offsets added to the logits after the gate (null: argmax of the model's logits); clusterVote: the
   * QRS clusters' vote on ventricular origin, after the gate and before the offsets (src/infer/beat-inputs.ts);
   * fusionRule: no F in a record without V calls, after the vote and before the offsets.
   */
  beats: {
    before: number;
    after: number;
    rr: RrFeature[];
    context: string[];
    residualChannels: boolean;
    template: BeatTemplateMode;
    localTemplateSeconds: number;
    fibrillationGate: boolean;
    clusterVote: ClusterVote | null;
    fusionRule: FusionRule | null;
    classOffsets: number[] | null;
  } | null;
  patientGroups: PatientGroup[];
  attention: { tokens: string[]; outputs: Record<string, string> } | null;
  validation: Record<string, unknown> | null;
  dataset: Record<string, unknown> | null;
  untrained: boolean;
}

/**
 * The threshold of `label` (0.5 where none was chosen). Only the table's own entries count: a label named
 * "constructor" or "toString" must not find Object.prototype's function. Read from the parsed JSON itself, as zod's
 * record drops a "__proto__" key without checking its value; any value but a probability or null is refused.
 */
function hasThreshold(table: unknown, label: string): boolean {
  return (
    typeof table === 'object' &&
    table !== null &&
    Object.hasOwn(table, label) &&
    (table as Record<string, unknown>)[label] !== null
  );
}

function thresholdOf(table: unknown, label: string, source: string): number {
  if (!hasThreshold(table, label)) return 0.5;
  const value = (table as Record<string, unknown>)[label];
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new ConfigError(
      `${source}: model metadata is not usable (thresholds.${excerpt(label)}: must be a probability between 0 and 1 or null, got ${typeof value === 'number' ? value : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`})`,
    );
  return value;
}

/** Validates metadata_props (already JSON-parsed) into a ModelInfo; ConfigError lists every problem. */
export function parseModelInfo(metadata: Record<string, unknown>, source: string): ModelInfo {
  const result = metadataSchema.safeParse(metadata);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(metadata)'}: ${i.message}`);
    throw new ConfigError(`${source}: model metadata is not usable (${problems.join('; ')})`);
  }
  const m = result.data;
  const offsets = m.beats?.classOffsets;
  if (offsets !== undefined && offsets.length !== m.labels.length)
    throw new ConfigError(
      `${source}: model metadata is not usable (beats.classOffsets: ${offsets.length} values for ${m.labels.length} labels)`,
    );
  const labelKind = m.label_kind ?? (m.output_activation === 'sigmoid' ? 'multi-label' : 'single-label');
  const windows = m.preprocessing?.windows ?? {};
  return {
    architecture: m.model?.architecture ?? null,
    labels: m.labels,
    labelKind,
    activation: m.output_activation ?? (labelKind === 'multi-label' ? 'sigmoid' : 'softmax'),
    fs: m.sampling_rate,
    leads: m.leads,
    windowSamples: m.window.samples,
    hopSamples: windows.hopSamples ?? m.window.samples,
    lastAlignedToEnd: windows.lastAlignedToEnd ?? true,
    aggregate: windows.aggregate ?? 'mean-logits',
    shortRecords: m.preprocessing?.shortRecords ?? 'zero-pad',
    bandpass: m.preprocessing?.bandpass ?? null,
    standardize: m.preprocessing?.standardize ?? false,
    thresholds: m.labels.map((label) => thresholdOf(metadata.thresholds, label, source)),
    unchosenThresholds: m.labels.filter((label) => !hasThreshold(metadata.thresholds, label)),
    task: m.task ?? 'records',
    beats: m.beats
      ? {
          before: m.beats.before,
          after: m.beats.after,
          rr: m.beats.rr ?? [],
          context: m.beats.context ?? [],
          residualChannels: m.beats.residualChannels ?? false,
          template: m.beats.template ?? 'record',
          localTemplateSeconds: m.beats.localTemplateSeconds ?? LOCAL_TEMPLATE.halfSpanSeconds,
          fibrillationGate: m.beats.fibrillationGate ?? false,
          clusterVote: m.beats.clusterVote ?? null,
          fusionRule: m.beats.fusionRule ?? null,
          classOffsets: m.beats.classOffsets ?? null,
        }
      : null,
    patientGroups: m.patient_groups ?? [],
    attention: m.attention_outputs ?? null,
    validation: m.validation ?? null,
    dataset: m.dataset ?? null,
    untrained: m.untrained ?? false,
  };
}

/**
 * A model's training data for listings (/api/models, model cards): the record ids its metadata holds (thousands for a
 * CinC 2017 model; `evaluate` checks them, the .onnx keeps them) become their counts, in `entries`.
 */
export function datasetWithCounts(dataset: Record<string, unknown> | null): Record<string, unknown> | null {
  if (dataset === null || typeof dataset.records !== 'object' || dataset.records === null) return dataset;
  const { records, entries, ...rest } = dataset;
  const counts = Object.fromEntries(
    Object.entries(records).map(([split, ids]) => [split, Array.isArray(ids) ? ids.length : ids]),
  );
  // The ids' counts win over the run's own: they include records learned through a start or teachers.
  return { ...rest, entries: { ...(typeof entries === 'object' ? entries : {}), ...counts } };
}
