/**
 * The training configuration: one zod schema (configs come from JSON files and flags, so they are untrusted),
 * the defaults, and the merge order defaults <- `--config file.json` <- command-line flags.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DATASET_NAMES, PRETRAIN_SOURCE_NAMES } from '../datasets/index.js';
import { ConfigError, MissingFileError } from '../errors.js';
import { FUSION_DESIGNS, type FusionDesign } from '../models/fusion.js';
import { architectureNames, isArchitectureName } from '../models/registry.js';
import { clusterVoteSchema, fusionRuleSchema } from '../infer/metadata.js';
import { BEAT_TEMPLATES, LOCAL_TEMPLATE } from '../signal/beat-context.js';

const probability = z.number().min(0).max(1);
const positive = z.number().positive();
const positiveInt = z.number().int().positive();

/** Each augmentation fires per example with probability p (training batches only). */
export const augmentSchema = z.strictObject({
  /** Amplitude scaling: every lead multiplied by one factor uniform in [1 - strength, 1 + strength]. */
  scale: z.strictObject({ p: probability, strength: z.number().min(0).lt(1) }),
  /** Additive Gaussian noise of this standard deviation (signal units: z after standardisation). */
  noise: z.strictObject({ p: probability, std: z.number().min(0) }),
  /** Baseline wander: a sinusoid of random phase, frequency uniform in (0, maxHz], amplitude up to `amplitude`. */
  wander: z.strictObject({ p: probability, amplitude: z.number().min(0), maxHz: positive }),
  /** Each lead zeroed with probability p (never every lead; no effect on one-lead data). */
  leadDropout: z.strictObject({ p: probability }),
});
export type AugmentConfig = z.infer<typeof augmentSchema>;

const FUSION_DESIGN_NAMES = Object.keys(FUSION_DESIGNS) as [FusionDesign, ...FusionDesign[]];

/** Patient-feature tokens a fusion model can be trained with. */
export const FUSION_TOKENS = ['age', 'sex', 'rhythm', 'beats'] as const;

export const trainConfigSchema = z
  .strictObject({
    dataset: z.enum(DATASET_NAMES),
    data: z.string().min(1),
    model: z.string().refine(isArchitectureName, {
      message: `unknown model (known: ${architectureNames().join(', ')})`,
    }),
    /** Merged over the architecture's default config (e.g. { "dropout": 0.3 } or smaller stages); validated by the registry. */
    modelOverrides: z.record(z.string(), z.unknown()),
    /** EfficientECG-Fusion over the `model` backbone with patient-feature tokens. */
    fusion: z.boolean(),
    /**
     * The fusion model's tokens: age, sex, rhythm (record RR / HRV / P-wave features, src/signal/rhythm) and beats
     * (mean and SD of the record's beat PCA coefficients, the PCA fitted on the training split; src/train/beat-token.ts).
     */
    fusionTokens: z.array(z.enum(FUSION_TOKENS)).min(1),
    /** Where the tokens meet (docs/fusion.md): a, b, c = bidirectional (default), d = concat baseline. */
    fusionDesign: z.enum(FUSION_DESIGN_NAMES),
    /** Fusion logits = plain EfficientECG classifier + the fused MLP, which starts at zero (docs/fusion.md). */
    fusionShortcut: z.boolean(),
    /**
     * Training only: each patient token of each example is hidden (as if missing) with this probability, so that the
     * ECG path cannot lean on record-level features alone (modality dropout; docs/fusion.md).
     */
    fusionTokenDropout: z.number().min(0).lt(1),
    /** Start from these weights (a bundled model name or a .safetensors path; src/train/init.ts); null: fresh. */
    init: z.string().min(1).nullable(),
    preprocess: z.strictObject({
      /** Resample to this rate (Hz); null keeps the source rate (every record must then share one rate). */
      fs: positive.nullable(),
      bandpass: z.tuple([positive, positive]).nullable(),
      standardize: z.boolean(),
    }),
    /** Training crop length; validation uses windows of the same length unless `evalWindowSeconds` is set. */
    windowSeconds: positive,
    /**
     * Window that scores records in validation and inference (the exported model's window), when it differs from
     * the training crop: a fully convolutional model with global pooling can train on short crops (cheaper steps)
     * and read longer windows. null: the training crop length.
     */
    evalWindowSeconds: positive.nullable(),
    /** Records shorter than the window: zero-padded (placed at a random offset in training) or tiled. */
    shortRecords: z.enum(['zero-pad', 'repeat']),
    /** Hop between validation windows; null: one window length (non-overlapping, the last aligned to the end). */
    validationHopSeconds: positive.nullable(),
    /**
     * How a record's window scores combine in validation and in the exported model's inference: the mean of the
     * logits, or (multi-label only) each class's maximum probability over the windows, as in the PTB-XL benchmark's
     * sliding-window evaluation of short crops.
     */
    windowAggregate: z.enum(['mean-logits', 'max']),
    batchSize: z.number().int().min(2),
    epochs: positiveInt,
    lr: positive,
    weightDecay: z.number().min(0),
    schedule: z.enum(['one-cycle', 'cosine']),
    /** Share of the steps spent warming up (one-cycle's pct_start; cosine's linear warm-up). */
    warmupFraction: z.number().gt(0).lt(1),
    /**
     * Decay of an exponential moving average of the weights (src/train/weight-average.ts), e.g. 0.999: the average
     * is what is validated and saved as the model. null: the last weights.
     */
    ema: z.number().gt(0).lt(1).nullable(),
    /**
     * Knowledge distillation (src/train/distill.ts): teachers (checkpoints, bundled names, run folders, or CV folders
     * whose same-fold model teaches each fold) whose averaged logits are soft targets; loss = (1 - alpha) hard +
     * alpha T^2 soft. null: labels only.
     */
    distill: z
      .strictObject({
        teachers: z.array(z.string().min(1)).min(1),
        alpha: z.number().min(0).max(1),
        temperature: positive,
        /** record: one soft target per record, scored once; crop: the teachers score every crop the student sees. */
        targets: z.enum(['record', 'crop']).default('record'),
      })
      .nullable(),
    /** Maximum global gradient norm; null: no clipping. */
    gradClip: positive.nullable(),
    augment: augmentSchema,
    /** balanced: BCE pos_weight = negatives/positives per class; cross-entropy weight = n / (classes * count). */
    classWeighting: z.enum(['balanced', 'none']),
    /** Stop after this many epochs without a better validation metric; null: never stop early. */
    patience: positiveInt.nullable(),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    threads: positiveInt,
    /** Data-loading worker threads; 0 assembles batches on the main thread. */
    workers: z.number().int().min(0).max(16),
    out: z.string().min(1),
    /** Preprocessed-sample cache folder; null preprocesses in memory on every run. */
    cacheDir: z.string().min(1).nullable(),
    /** Steps per JSONL progress line. */
    logEvery: positiveInt,
    /**
     * This run is fold `fold` of a `folds`-fold patient-grouped cross-validation (src/train/cv.ts): the dataset is
     * re-split so that fold is the validation split, the schedule is fixed (no early stopping, no best checkpoint),
     * and the held-out fold is scored once with the last weights. null: the dataset's own split.
     */
    cvFold: z
      .strictObject({ folds: z.number().int().min(2).max(1000), fold: z.number().int().min(1) })
      .refine((value) => value.fold <= value.folds, { message: 'fold must be 1..folds' })
      .nullable(),
    /**
     * Self-supervised pre-training (src/train/pretrain.ts, `efficientecg pretrain`): contrastive views of the
     * unlabelled single-lead ECG of these sources. null: supervised training on `dataset`.
     */
    pretrain: z
      .strictObject({
        sources: z
          .array(
            z.strictObject({
              dataset: z.enum(PRETRAIN_SOURCE_NAMES),
              data: z.string().min(1),
              /** A `folder` source's rate (Hz) for records that carry none (tables without a time column, bare MAT). */
              fs: z.number().positive().optional(),
            }),
          )
          .min(1),
        /** The stretch of one lead that both views of an example are cropped from (s). */
        segmentSeconds: positive,
        /** At most this many examples per record per epoch (one per segment), so long Holter records do not dominate. */
        segmentsPerRecord: positiveInt,
        /** NT-Xent temperature. */
        temperature: positive,
        /** Projection outputs (the pre-trained network's classifier). */
        projection: z.number().int().min(2),
        /** Share of each source's records held out (by a hash of their id) for the top-1 retrieval monitor. */
        validationFraction: z.number().gt(0).lt(1),
        /** The views' augmentation (stronger than supervised training's: it is what the views must agree across). */
        augment: augmentSchema,
      })
      .nullable(),
    /** Beat classification (MIT-BIH): windows around the annotated R peaks with their RR context. */
    beats: z.strictObject({
      /** Window before the R peak and from it (s). */
      beforeSeconds: positive,
      afterSeconds: positive,
      /** Random shift of the training windows, up to this much either way (s); validation is centred. */
      shiftSeconds: z.number().min(0),
      /** RR intervals as fusion tokens, or none (ECG only). */
      rrContext: z.enum(['tokens', 'none']),
      /** Normal beats sampled per epoch (every other beat is used every epoch). */
      normalPerEpoch: positiveInt,
      /** Cap of the balanced class weights (a class of a handful of beats must not dominate the loss). */
      maxClassWeight: positive,
      /**
       * At most this many beats of each abnormal class from one record per epoch (a fresh seeded sample each epoch;
       * 0 = all): a class whose beats sit mostly in a few patients (DS1's V and F in 208) is then learned from
       * every patient who has it, not mostly from one.
       */
      recordClassCap: z.number().int().min(0).default(0),
      /**
       * Patient-relative context token (src/signal/beat-context.ts): none, the RR intervals over the local
       * rhythm, or those and the beat's morphology against the record's median beat.
       */
      context: z.enum(['none', 'rhythm', 'rhythm-morphology']),
      /** Each lead minus its template as extra input channels. */
      residualChannels: z.boolean(),
      /**
       * The template the morphology context and residual channels read: `record` (the record's median beat) or
       * `local` (the median of the non-premature beats within a minute; src/signal/beat-context.ts).
       */
      template: z.enum(BEAT_TEMPLATES).default('record'),
      /** Seconds either side of its 10 s block a local template's beats come from (shorter follows drift faster). */
      localTemplateSeconds: z.number().min(5).max(600).default(LOCAL_TEMPLATE.halfSpanSeconds),
      /** Time-stretch of the training beats around the R peak: factor uniform in [1 - stretch, 1 + stretch]. */
      stretch: z.number().min(0).lt(0.5),
      /** Probability of inverting a training beat's polarity (every channel). */
      invert: probability,
      /**
       * Probability of corrupting one lead of a training beat with recording artefacts (muscle noise and motion
       * transients, scaled to that lead's QRS amplitude), its residual channel and morphology context recomputed
       * from the corrupted beat (src/train/beat-noise.ts): a noisy lead must not read as an abnormal beat.
       */
      leadNoise: probability.default(0),
      /**
       * Adds `rrPreviousSlow` to the rhythm context: the previous interval over the slow end (90th percentile) of
       * the last minute's intervals, so that premature beats stay short where most beats are premature
       * (src/signal/beat-context.ts SLOW_RHYTHM_CONTEXT).
       */
      slowRhythm: z.boolean().default(false),
      /**
       * The leads read, by name: the first is required; later ones may list alternatives (`V1|V2|V5|V4`: the first
       * the record has, a zero lead when it has none; src/infer/prepare.ts selectLeads).
       */
      leads: z.array(z.string().min(1)).min(1).max(4),
      /**
       * Probability of training a beat as a one-lead record reads: every lead after the first zeroed, with its
       * residual channel and its morphology context as a flat lead gives them.
       */
      zeroExtraLeads: probability,
      /**
       * No S beat in atrial fibrillation: where the RR detector (src/signal/fibrillation.ts, fitted on CinC 2017)
       * finds fibrillation, a beat's S probability goes to N, in the model's predictions and the CV logits. Training
       * is unchanged (the model ships with the rule in its metadata).
       */
      fibrillationGate: z.boolean(),
      /**
       * The QRS clusters' vote on ventricular origin after the gate (src/infer/beat-inputs.ts voteLogits): in the CV
       * logits and, through the model's metadata, in its predictions. Training is unchanged. Null: off.
       */
      clusterVote: clusterVoteSchema.nullable().default(null),
      /**
       * No F in a record without V calls, after the vote (src/infer/beat-inputs.ts fusionRuleLogits): in the CV
       * logits and, through the model's metadata, in its predictions. Training is unchanged. Null: off.
       */
      fusionRule: fusionRuleSchema.nullable().default(null),
    }),
  })
  .superRefine((config, context) => {
    const band = config.preprocess.bandpass;
    if (band !== null && band[0] >= band[1]) {
      context.addIssue({
        code: 'custom',
        path: ['preprocess', 'bandpass'],
        message: 'low must be below high',
      });
    }
    if (band !== null && config.preprocess.fs !== null && band[1] >= config.preprocess.fs / 2) {
      context.addIssue({
        code: 'custom',
        path: ['preprocess', 'bandpass'],
        message: 'high must be below fs / 2',
      });
    }
    if (config.modelOverrides.amplitude === true && config.preprocess.standardize) {
      context.addIssue({
        code: 'custom',
        path: ['modelOverrides', 'amplitude'],
        message: 'the amplitude side-channel reads leads in mV: train with --no-standardize',
      });
    }
  });
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Everything but what a run must name itself (dataset, data, model, out). */
export const TRAIN_DEFAULTS = {
  modelOverrides: {},
  fusion: false,
  fusionTokens: ['age', 'sex'] as Array<(typeof FUSION_TOKENS)[number]>,
  fusionDesign: 'bidirectional' as FusionDesign,
  // Measured in docs/fusion.md: the shortcut removes the cost of the fusion head on PTB-XL (+0.023 AUROC, 3 seeds),
  // token dropout stops a fusion model leaning on record-level tokens on CinC 2017 (+0.053 F1; PTB-XL: -0.005).
  fusionShortcut: true,
  fusionTokenDropout: 0.5,
  init: null,
  preprocess: { fs: 100, bandpass: [0.5, 40] as [number, number], standardize: true },
  windowSeconds: 10,
  evalWindowSeconds: null,
  shortRecords: 'zero-pad' as const,
  validationHopSeconds: null,
  windowAggregate: 'mean-logits' as const,
  batchSize: 64,
  epochs: 30,
  lr: 3e-3,
  weightDecay: 1e-2,
  schedule: 'one-cycle' as const,
  warmupFraction: 0.3,
  ema: null,
  distill: null,
  gradClip: 1,
  augment: {
    scale: { p: 0.5, strength: 0.2 },
    noise: { p: 0.3, std: 0.05 },
    wander: { p: 0.3, amplitude: 0.2, maxHz: 0.5 },
    leadDropout: { p: 0.1 },
  },
  classWeighting: 'balanced' as const,
  patience: 8,
  seed: 0,
  threads: 2,
  workers: 1,
  cacheDir: null,
  logEvery: 20,
  cvFold: null,
  pretrain: null,
  beats: {
    beforeSeconds: 0.25,
    afterSeconds: 0.45,
    shiftSeconds: 0.02,
    rrContext: 'tokens' as const,
    normalPerEpoch: 12000,
    maxClassWeight: 10,
    recordClassCap: 0,
    context: 'none' as const,
    residualChannels: false,
    template: 'record' as const,
    localTemplateSeconds: LOCAL_TEMPLATE.halfSpanSeconds,
    stretch: 0,
    invert: 0,
    leadNoise: 0,
    slowRhythm: false,
    leads: ['MLII'],
    zeroExtraLeads: 0,
    fibrillationGate: false,
    clusterVote: null,
    fusionRule: null,
  },
} satisfies Partial<TrainConfig>;

/** `efficientecg pretrain`'s defaults for the `pretrain` section (sources come from the command line). */
export const PRETRAIN_DEFAULTS = {
  segmentSeconds: 10,
  segmentsPerRecord: 4,
  temperature: 0.1,
  projection: 64,
  validationFraction: 0.05,
  augment: {
    scale: { p: 0.8, strength: 0.5 },
    noise: { p: 0.5, std: 0.1 },
    wander: { p: 0.5, amplitude: 0.3, maxHz: 0.5 },
    leadDropout: { p: 0 },
  },
} satisfies Omit<NonNullable<TrainConfig['pretrain']>, 'sources'>;

/** Every augmentation off (e.g. `--no-augment`). */
export const NO_AUGMENTATION: AugmentConfig = {
  scale: { p: 0, strength: 0 },
  noise: { p: 0, std: 0 },
  wander: { p: 0, amplitude: 0, maxHz: 0.5 },
  leadDropout: { p: 0 },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays, null and scalars replace; undefined leaves the base value. */
export function mergeConfig(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeConfig(base[key], value);
  return out;
}

/**
 * Validates a complete config; ConfigError lists every problem with its path, as `describe` names it (the CLI adds
 * the flag that sets a key).
 */
export function parseTrainConfig(
  value: unknown,
  source = 'training config',
  describe: (path: string) => string = (path) => path,
): TrainConfig {
  const result = trainConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.length ? describe(issue.path.join('.')) : '(config)'}: ${issue.message}`,
    );
    throw new ConfigError(`${source}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads a JSON config file (a partial config: the rest comes from defaults and flags). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new MissingFileError(path, 'training config file not found');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(value)) throw new ConfigError(`${path}: a training config must be a JSON object`);
  return value;
}

/** defaults <- file <- flags (flags left undefined do not override). */
export function resolveTrainConfig(
  file: Record<string, unknown> | null,
  flags: Record<string, unknown>,
  describe?: (path: string) => string,
): TrainConfig {
  return parseTrainConfig(
    mergeConfig(mergeConfig(TRAIN_DEFAULTS, file ?? {}), flags),
    'training config',
    describe,
  );
}

/** Fields that define a run: a resumed run must agree on all of them (threads, workers, paths may change). */
export function runDefiningConfig(config: TrainConfig): Partial<TrainConfig> {
  const {
    threads: _t,
    workers: _w,
    out: _o,
    data: _d,
    cacheDir: _c,
    logEvery: _l,
    patience: _p,
    ...rest
  } = config;
  // Runs saved before `init` / `cvFold` existed started fresh / used the dataset's split.
  return {
    ...rest,
    init: rest.init ?? null,
    cvFold: rest.cvFold ?? null,
    windowAggregate: rest.windowAggregate ?? 'mean-logits',
    evalWindowSeconds: rest.evalWindowSeconds ?? null,
    ema: rest.ema ?? null,
    // Runs saved before `distill.targets` existed were taught per record.
    distill: rest.distill ? { ...rest.distill, targets: rest.distill.targets ?? 'record' } : null,
    pretrain: rest.pretrain ?? null,
  };
}
