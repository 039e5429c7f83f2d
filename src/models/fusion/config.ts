/**
 * EfficientECG-Fusion configuration: the fusion design, the width of the token space and the patient token groups.
 * A token group is one patient token: a numeric group (age, rhythm features, RR context...) projected by its own
 * Linear from [standardised values, missing flags], or a categorical group (sex) looked up in its own Embedding.
 */
import { ConfigError } from '../../errors.js';
import { efficientEcgConfig, type EfficientEcgConfig, type EfficientEcgVariant } from '../efficientecg.js';

/**
 * How the ECG tokens and the patient tokens meet (letters as in docs/fusion.md):
 * (a) patient tokens query the ECG positions, (b) ECG positions query the patient tokens, (c) both, in parallel,
 * (d) no attention: pooled ECG vector ++ raw patient feature vector -> MLP (the baseline).
 */
export type FusionDesign = 'patient-queries-ecg' | 'ecg-queries-patient' | 'bidirectional' | 'concat';

export interface FusionDesignSpec {
  letter: 'a' | 'b' | 'c' | 'd';
  /** Patient tokens attend over ECG positions (weights [N, heads, tokens, positions]). */
  patientQueriesEcg: boolean;
  /** ECG positions attend over patient tokens (weights [N, heads, positions, tokens]). */
  ecgQueriesPatient: boolean;
  summary: string;
}

export const FUSION_DESIGNS: Record<FusionDesign, FusionDesignSpec> = {
  'patient-queries-ecg': {
    letter: 'a',
    patientQueriesEcg: true,
    ecgQueriesPatient: false,
    summary: 'patient tokens query ECG positions; classifier reads [mean ECG token, mean fused patient token]',
  },
  'ecg-queries-patient': {
    letter: 'b',
    patientQueriesEcg: false,
    ecgQueriesPatient: true,
    summary: 'ECG positions query patient tokens; classifier reads the mean fused ECG token',
  },
  bidirectional: {
    letter: 'c',
    patientQueriesEcg: true,
    ecgQueriesPatient: true,
    summary: 'both directions in parallel; classifier reads [mean fused ECG token, mean fused patient token]',
  },
  concat: {
    letter: 'd',
    patientQueriesEcg: false,
    ecgQueriesPatient: false,
    summary: 'baseline: mean ECG token ++ raw patient features (values, missing flags, one-hots) -> MLP',
  },
};

/**
 * ECG position encoding added to the projected ECG tokens. Sinusoidal is the default: it needs no maximum length,
 * so one model serves 10 s PTB-XL windows and 9-60 s CinC 2017 records alike.
 */
export type PositionEncoding = 'sinusoidal' | 'learned' | 'none';

/** A numeric token group: `features` are read by name (or position) and standardised with mean/std. */
export interface NumericGroupSpec {
  kind: 'numeric';
  name: string;
  features: string[];
  mean: number[];
  std: number[];
  /** The features are a record's beat PCA embedding (beatsGroup): how to compute them travels with the model. */
  beatPca?: BeatPcaSpec;
}

/**
 * A PCA of single beats fitted on the training records (src/signal/beat-embedding.ts): beats of lead `lead` of the
 * prepared signal (the model's rate, band-pass and z-score), cut from `beforeSeconds` before each detected R peak
 * to `afterSeconds` after it, centred on `mean` and projected on the rows of `components`.
 */
export interface BeatPcaSpec {
  fs: number;
  lead: number;
  beforeSeconds: number;
  afterSeconds: number;
  /** [width] */
  mean: number[];
  /** [k][width], orthonormal rows by decreasing variance. */
  components: number[][];
}

/** A categorical token group: one Embedding row per category; `unknown` marks the token as missing. */
export interface CategoricalGroupSpec {
  kind: 'categorical';
  name: string;
  categories: string[];
  unknown: string;
}

export type TokenGroupSpec = NumericGroupSpec | CategoricalGroupSpec;
export type TokenKind = TokenGroupSpec['kind'];

/** The learned token that is always present: stands for "no patient information" (see docs/fusion.md). */
export const NULL_TOKEN = '_null';

export interface FusionConfig {
  /** The ECG encoder (its `classes` is unused: the fusion classifier has its own). */
  backbone: EfficientEcgConfig;
  classes: number;
  design: FusionDesign;
  groups: TokenGroupSpec[];
  /** Width of every token (ECG and patient). */
  dModel: number;
  heads: number;
  /** Feed-forward hidden width after each attention, as a multiple of dModel (0: no feed-forward). */
  ffnMultiplier: number;
  dropout: number;
  position: PositionEncoding;
  /** Longest ECG token sequence a learned position table covers (samples / 32 for the B0 strides). */
  maxPositions: number;
  /** Hidden width of the classifier MLP. */
  classifierHidden: number;
  /**
   * ECG shortcut: logits = Linear(mean of the backbone features) + MLP(fused readout), the MLP's output layer
   * starting at zero, so a fresh fusion model starts as the plain EfficientECG and the tokens learn a correction
   * (docs/fusion.md "Shortcut"). Absent in checkpoints written before it existed: false.
   */
  shortcut?: boolean;
}

/** Age in years as one numeric token. Default standardisation is PTB-XL-like; refit on your training split. */
export function ageGroup(mean = 60, std = 18): NumericGroupSpec {
  return { kind: 'numeric', name: 'age', features: ['age'], mean: [mean], std: [std] };
}

export function sexGroup(): CategoricalGroupSpec {
  return { kind: 'categorical', name: 'sex', categories: ['male', 'female', 'unknown'], unknown: 'unknown' };
}

/**
 * Record rhythm features (names of src/signal/rhythm.ts RhythmFeatures, so that object can be passed as is):
 * RR mean/SD, RMSSD, irregularity (RR CV, sample entropy), P-wave presence. Rough adult statistics; refit them.
 */
export function rhythmGroup(name = 'rhythm'): NumericGroupSpec {
  return {
    kind: 'numeric',
    name,
    features: ['rrMeanMs', 'sdnnMs', 'rmssdMs', 'rrCv', 'rrSampleEntropy', 'pWaveRatio'],
    mean: [850, 80, 60, 0.1, 1, 0.8],
    std: [200, 80, 80, 0.1, 0.7, 0.3],
  };
}

/** Beat-level RR context (MIT-BIH style): previous, next, local mean and record mean RR in ms. */
export function rrContextGroup(name = 'rr'): NumericGroupSpec {
  return {
    kind: 'numeric',
    name,
    features: ['rrPreviousMs', 'rrNextMs', 'rrLocalMeanMs', 'rrRecordMeanMs'],
    mean: [800, 800, 800, 800],
    std: [200, 200, 200, 200],
  };
}

/**
 * The record's beat morphology: mean and SD over its beats of each of the k PCA coefficients (docs/beat-autoencoder.md:
 * PCA beat the paper's LSTM autoencoder). Standardisation is identity until fitted on the training rows.
 */
export function beatsGroup(pca: BeatPcaSpec, name = 'beats'): NumericGroupSpec {
  const k = pca.components.length;
  const names = (stat: string) => Array.from({ length: k }, (_, c) => `pc${c + 1}_${stat}`);
  const features = [...names('mean'), ...names('sd')];
  return { ...numericGroup(name, features), beatPca: pca };
}

/** A numeric group of any features; without statistics the values are used as given (mean 0, std 1). */
export function numericGroup(name: string, features: string[], mean?: number[], std?: number[]): NumericGroupSpec {
  return {
    kind: 'numeric',
    name,
    features: [...features],
    mean: mean ? [...mean] : features.map(() => 0),
    std: std ? [...std] : features.map(() => 1),
  };
}

export interface FusionOptions {
  leads: number;
  classes: number;
  variant?: EfficientEcgVariant;
  design?: FusionDesign;
  groups?: TokenGroupSpec[];
  dModel?: number;
  heads?: number;
  ffnMultiplier?: number;
  dropout?: number;
  position?: PositionEncoding;
  maxPositions?: number;
  classifierHidden?: number;
  shortcut?: boolean;
  /** Overrides of the EfficientECG backbone configuration. */
  backbone?: Partial<EfficientEcgConfig>;
}

/** A complete, validated configuration with the defaults of docs/fusion.md. */
export function fusionConfig(options: FusionOptions): FusionConfig {
  const config: FusionConfig = {
    backbone: efficientEcgConfig(options.variant ?? 'b0', options.leads, options.classes, options.backbone),
    classes: options.classes,
    design: options.design ?? 'bidirectional',
    groups: options.groups ?? [ageGroup(), sexGroup()],
    dModel: options.dModel ?? 128,
    heads: options.heads ?? 4,
    ffnMultiplier: options.ffnMultiplier ?? 2,
    dropout: options.dropout ?? 0.1,
    position: options.position ?? 'sinusoidal',
    maxPositions: options.maxPositions ?? 512,
    classifierHidden: options.classifierHidden ?? 128,
    shortcut: options.shortcut ?? false,
  };
  validateFusionConfig(config);
  return config;
}

const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Throws ConfigError naming the first inconsistent setting. */
export function validateFusionConfig(config: FusionConfig): void {
  const { dModel, heads } = config;
  positiveInteger('classes', config.classes);
  positiveInteger('dModel', dModel);
  positiveInteger('heads', heads);
  positiveInteger('classifierHidden', config.classifierHidden);
  positiveInteger('maxPositions', config.maxPositions);
  if (dModel % heads !== 0) fail(`dModel ${dModel} is not divisible by heads ${heads}`);
  if (!(config.ffnMultiplier >= 0)) fail(`ffnMultiplier must be >= 0, got ${config.ffnMultiplier}`);
  if (!(config.dropout >= 0 && config.dropout < 1)) fail(`dropout must be in [0, 1), got ${config.dropout}`);
  if (config.shortcut !== undefined && typeof config.shortcut !== 'boolean') {
    fail(`shortcut must be true or false, got ${String(config.shortcut)}`);
  }
  if (!(config.design in FUSION_DESIGNS)) {
    fail(`design must be one of ${Object.keys(FUSION_DESIGNS).join(', ')}, got ${String(config.design)}`);
  }
  if (!['sinusoidal', 'learned', 'none'].includes(config.position)) {
    fail(`position must be sinusoidal, learned or none, got ${String(config.position)}`);
  }
  const names = new Set<string>();
  const inputNames = new Map<string, string>();
  for (const group of config.groups) {
    // Names become state-dict keys (fusion.tokens.<name>.proj.weight) and attention keys: no dots, not reserved.
    if (!GROUP_NAME.test(group.name) || group.name === NULL_TOKEN) {
      fail(`group name ${JSON.stringify(group.name)} must match ${GROUP_NAME.source} and not be ${NULL_TOKEN}`);
    }
    if (names.has(group.name)) fail(`group name "${group.name}" is used twice`);
    names.add(group.name);
    // ... and ONNX input names, with '-' as '_' (patientInputNames in src/infer/export-model.ts).
    const input = `patient_${group.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    const clash = inputNames.get(input);
    if (clash !== undefined) {
      fail(`group names "${clash}" and "${group.name}" give the same ONNX inputs (${input}_values); rename one`);
    }
    inputNames.set(input, group.name);
    if (group.kind === 'numeric') validateNumeric(group);
    else if (group.kind === 'categorical') validateCategorical(group);
    else fail(`group "${(group as TokenGroupSpec).name}": unknown kind ${String((group as { kind: unknown }).kind)}`);
  }
}

function validateNumeric(group: NumericGroupSpec): void {
  const n = group.features.length;
  if (n === 0) fail(`group "${group.name}": features is empty`);
  if (new Set(group.features).size !== n) fail(`group "${group.name}": feature names repeat`);
  if (group.mean.length !== n || group.std.length !== n) {
    fail(`group "${group.name}": mean (${group.mean.length}) and std (${group.std.length}) need ${n} values`);
  }
  group.mean.forEach((m, i) => {
    if (!Number.isFinite(m)) fail(`group "${group.name}": mean of ${group.features[i]} is not finite`);
  });
  group.std.forEach((s, i) => {
    if (!(Number.isFinite(s) && s > 0)) fail(`group "${group.name}": std of ${group.features[i]} must be > 0, got ${s}`);
  });
  if (group.beatPca !== undefined) validateBeatPca(group.name, group.beatPca, n);
}

function validateBeatPca(name: string, pca: BeatPcaSpec, features: number): void {
  const where = `group "${name}": beatPca`;
  if (!(pca.fs > 0) || !Number.isInteger(pca.lead) || pca.lead < 0) fail(`${where} needs fs > 0 and a lead index >= 0`);
  if (!(pca.beforeSeconds >= 0 && pca.afterSeconds > 0)) fail(`${where} window must be before >= 0, after > 0 s`);
  const width = pca.mean.length;
  if (width === 0 || !pca.mean.every(Number.isFinite)) fail(`${where}.mean must be finite numbers`);
  if (pca.components.length * 2 !== features) {
    fail(`${where} has ${pca.components.length} components for ${features} features (needs features / 2)`);
  }
  for (const row of pca.components) {
    if (row.length !== width || !row.every(Number.isFinite)) fail(`${where}: every component needs ${width} finite values`);
  }
}

function validateCategorical(group: CategoricalGroupSpec): void {
  if (group.categories.length < 2) fail(`group "${group.name}": needs at least 2 categories`);
  if (new Set(group.categories).size !== group.categories.length) fail(`group "${group.name}": categories repeat`);
  if (!group.categories.includes(group.unknown)) {
    fail(`group "${group.name}": unknown category "${group.unknown}" is not among its categories`);
  }
}

function positiveInteger(what: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) fail(`${what} must be a positive integer, got ${value}`);
}

function fail(problem: string): never {
  throw new ConfigError(`fusion config: ${problem}`);
}

/** Input samples per ECG token: the product of the backbone's strides (32 for B0's stages). */
export function samplesPerPosition(backbone: EfficientEcgConfig): number {
  return backbone.stages.reduce((product, stage) => product * stage.stride, backbone.stemStride);
}
