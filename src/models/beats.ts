/**
 * EfficientECG-Beat: classifies one heartbeat (a short window around its R peak) with its RR-interval context.
 *   forward(ecg [N, leads, before + after], rr [N, 4]) -> logits [N, classes]
 * `rr` holds the previous, next, local-mean and record-mean RR intervals in seconds (src/datasets/mitdb RR_FEATURES
 * order). With rrContext 'tokens' they enter EfficientECG-Fusion as two patient-style tokens:
 *   rr       the four intervals in ms (absolute rate context),
 *   rrRatio  previous, next and local over the record mean: prematurity relative to this patient's own rhythm,
 *            the feature that carries S beats across patients (de Chazal 2004; Llamedo & Martinez 2011).
 * Both are computed inside the graph from the raw `rr` input, so the ONNX model takes seconds as they come.
 * rrContext 'none' is the ECG-only arm of the ablation: an EfficientECG on the beat window, `rr` ignored.
 *
 * Patient-relative inputs (src/signal/beat-context.ts), optional so that older models keep their two inputs:
 *   `context` [N, K]  a third token `context`: RR over the local rhythm, rhythm irregularity, and (per lead)
 *                     correlation / amplitude / width / residual against the record's median beat;
 *   residual channels the beat minus that median beat, appended after the leads (`ecg` [N, 2 * leads, width]).
 */
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError, ShapeError } from '../errors.js';
import { Module } from '../nn/module.js';
import { EfficientECG, efficientEcgConfig, type EfficientEcgConfig, type EfficientEcgVariant } from './efficientecg.js';
import {
  EfficientEcgFusion,
  fitStandardisation,
  fusionConfig,
  numericGroup,
  validateFusionConfig,
  type FusionConfig,
  type FusionDesign,
  type NumericGroupSpec,
  type PatientRow,
  type PatientTensors,
} from './fusion.js';

/** Order of the model's `rr` input columns (seconds). */
export const BEAT_RR_FEATURES = ['rrPrevious', 'rrNext', 'rrLocal', 'rrRecord'] as const;
export type BeatRrFeature = (typeof BEAT_RR_FEATURES)[number];

export type RrContext = 'tokens' | 'none';

export type BeatModelConfig =
  | {
      rrContext: 'tokens';
      fusion: FusionConfig;
      /** Names of the `context` input's columns (contextFeatureNames); absent or empty: no context input. */
      context?: string[];
      /** The ECG input carries, after the leads, each lead minus its template(s). */
      residualChannels?: boolean;
    }
  | { rrContext: 'none'; backbone: EfficientEcgConfig };

/** Name of the token group of the `context` input. */
export const CONTEXT_GROUP = 'context';

/** Shortest RR (s) used as a divisor: keeps the ratios finite on a malformed `rr` row. */
const MIN_RR_SECONDS = 0.05;

/** Default statistics (adult sinus rhythm); `fitBeatStandardisation` refits them on the training beats. */
export function rrGroups(): NumericGroupSpec[] {
  return [
    numericGroup('rr', ['previousMs', 'nextMs', 'localMs', 'recordMs'], [800, 800, 800, 800], [200, 200, 200, 200]),
    numericGroup('rrRatio', ['previous', 'next', 'local'], [1, 1, 1], [0.2, 0.2, 0.1]),
  ];
}

export interface BeatModelOptions {
  leads: number;
  classes: number;
  variant?: EfficientEcgVariant;
  rrContext?: RrContext;
  design?: FusionDesign;
  /** Overrides of the EfficientECG backbone (e.g. a smaller head for short beat windows). */
  backbone?: Partial<EfficientEcgConfig>;
  groups?: NumericGroupSpec[];
  /** Columns of the `context` input (adds a `context` token group); needs rrContext 'tokens'. */
  context?: readonly string[];
  /** Residual channels (beat minus its template) after the leads; `leads` counts the signal leads. */
  residualChannels?: boolean;
  /** Templates per lead the residual channels are taken against (default 1). */
  residualSets?: number;
}

/** Beat windows are ~0.7 s: a 1280-channel head over 8 positions is mostly waste, 512 keeps the model light. */
const BEAT_BACKBONE: Partial<EfficientEcgConfig> = { headChannels: 512 };

export function beatModelConfig(options: BeatModelOptions): BeatModelConfig {
  const variant = options.variant ?? 'w0.5';
  const backbone = { ...BEAT_BACKBONE, ...options.backbone };
  const context = [...(options.context ?? [])];
  const residualChannels = options.residualChannels ?? false;
  const residualSets = residualChannels ? (options.residualSets ?? 1) : 0;
  const channels = options.leads * (1 + residualSets);
  if ((options.rrContext ?? 'tokens') === 'none') {
    if (context.length > 0 || residualChannels)
      throw new ConfigError('beat model: context features and residual channels need rrContext tokens');
    return { rrContext: 'none', backbone: efficientEcgConfig(variant, options.leads, options.classes, backbone) };
  }
  const groups = options.groups ?? [...rrGroups(), ...(context.length > 0 ? [contextGroup(context)] : [])];
  return {
    rrContext: 'tokens',
    fusion: fusionConfig({
      leads: channels,
      classes: options.classes,
      variant,
      backbone,
      design: options.design ?? 'bidirectional',
      groups,
      dModel: 64,
      heads: 4,
      classifierHidden: 64,
    }),
    ...(context.length > 0 ? { context } : {}),
    ...(residualChannels ? { residualChannels } : {}),
  };
}

/** The `context` token group with unit statistics (fitBeatStandardisation refits them). */
export function contextGroup(features: readonly string[]): NumericGroupSpec {
  return numericGroup(CONTEXT_GROUP, [...features]);
}

/**
 * Per-beat rows in the fusion model's patient-row form ({ rr: {...}, rrRatio: {...} }, keyed by rrGroups() names):
 * what `rrTokens` computes in the graph, for fitting the standardisation and for tests.
 */
export function rrTokenRows(rr: Float32Array): PatientRow[] {
  const rows: PatientRow[] = [];
  for (let b = 0; b < rr.length / 4; b++) {
    const [previous, next, local, record] = [0, 1, 2, 3].map((k) => rr[b * 4 + k]!) as [number, number, number, number];
    const base = Math.max(MIN_RR_SECONDS, record);
    rows.push({
      rr: { previousMs: previous * 1000, nextMs: next * 1000, localMs: local * 1000, recordMs: record * 1000 },
      rrRatio: { previous: previous / base, next: next / base, local: local / base },
    });
  }
  return rows;
}

/**
 * Mean and SD of each token feature over the training beats (replaces the defaults); `context` [beats, K] holds
 * the context group's columns when the model has one.
 */
export function fitBeatStandardisation(
  groups: readonly NumericGroupSpec[],
  rr: Float32Array,
  context?: Float32Array,
): NumericGroupSpec[] {
  const rows = rrTokenRows(rr);
  return groups.map((group) => {
    if (group.name !== CONTEXT_GROUP) return fitStandardisation(group, rows);
    const k = group.features.length;
    const contextRows = rows.map((_, b) => ({ [CONTEXT_GROUP]: Array.from(context!.subarray(b * k, (b + 1) * k)) }));
    return fitStandardisation(group, contextRows);
  });
}

export class EfficientEcgBeat extends Module {
  readonly fusion: EfficientEcgFusion | null;
  readonly ecg: EfficientECG | null;

  constructor(readonly config: BeatModelConfig) {
    super();
    validateBeatConfig(config);
    if (config.rrContext === 'tokens') {
      this.fusion = this.registerModule('fusion', new EfficientEcgFusion(config.fusion));
      this.ecg = null;
    } else {
      if (config.backbone.amplitude)
        throw new ConfigError('the amplitude side-channel is built for record models, not beat models');
      this.ecg = this.registerModule('ecg', new EfficientECG(config.backbone));
      this.fusion = null;
    }
  }

  /**
   * Logits [N, classes]. `rr` [N, 4] seconds is required with RR tokens and ignored without them; `context`
   * [N, K] is required when the config names context features.
   */
  forward(ecg: Tensor, rr?: unknown, context?: unknown): Tensor {
    if (this.ecg) return this.ecg.forward(ecg);
    const n = ecg.shape[0]!;
    const tokens = this.rrTokens(checkRr(rr, n));
    const names = beatContextFeatures(this.config);
    if (names.length > 0) {
      const group = this.config.rrContext === 'tokens' ? this.config.fusion.groups[2] : undefined;
      tokens[CONTEXT_GROUP] = standardised(checkContext(context, n, names), group as NumericGroupSpec, ecg.dtype);
    }
    return this.fusion!.forward(ecg, tokens);
  }

  /** The RR token groups, standardised in the graph (what encodePatients does for rows). */
  rrTokens(rr: Tensor): PatientTensors {
    const [rrGroup, ratioGroup] = (this.config as { fusion: FusionConfig }).fusion.groups as NumericGroupSpec[];
    const record = F.clamp(F.slice(rr, 1, 3, 4), MIN_RR_SECONDS, null);
    const ratios = F.div(F.slice(rr, 1, 0, 3), record);
    return {
      [rrGroup!.name]: standardised(F.mul(rr, 1000), rrGroup!, rr.dtype),
      [ratioGroup!.name]: standardised(ratios, ratioGroup!, rr.dtype),
    };
  }
}

function standardised(values: Tensor, group: NumericGroupSpec, dtype: Tensor['dtype']) {
  const k = group.features.length;
  const column = (v: number[]) =>
    F.tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), [1, k]);
  return {
    values: F.div(F.sub(values, column(group.mean)), column(group.std)),
    // Zeros shaped like the values (a zeros([n, k]) would bake the traced batch size into the ONNX graph).
    missing: F.mul(values, 0),
  };
}

function checkRr(rr: unknown, n: number): Tensor {
  const shape = (rr as Tensor | undefined)?.shape;
  if (shape === undefined) {
    throw new ConfigError(`EfficientEcgBeat: rr [beats, ${BEAT_RR_FEATURES.length}] (seconds) is required`);
  }
  if (shape.length !== 2 || shape[0] !== n || shape[1] !== BEAT_RR_FEATURES.length) {
    throw new ShapeError(
      `EfficientEcgBeat: rr must be [${n}, ${BEAT_RR_FEATURES.length}] (${BEAT_RR_FEATURES.join(', ')}), got [${shape.join(', ')}]`,
    );
  }
  return rr as Tensor;
}

function checkContext(context: unknown, n: number, names: readonly string[]): Tensor {
  const shape = (context as Tensor | undefined)?.shape;
  if (shape?.length !== 2 || shape[0] !== n || shape[1] !== names.length) {
    throw new ShapeError(
      `EfficientEcgBeat: context must be [${n}, ${names.length}] (${names.join(', ')}), got ${shape ? `[${shape.join(', ')}]` : 'nothing'}`,
    );
  }
  return context as Tensor;
}

export function validateBeatConfig(config: BeatModelConfig): void {
  if (config.rrContext === 'tokens') {
    validateFusionConfig(config.fusion);
    const groups = config.fusion.groups;
    const context = config.context ?? [];
    const expected = context.length > 0 ? 3 : 2;
    if (groups.length !== expected || groups.some((g) => g.kind !== 'numeric'))
      throw new ConfigError(
        `beat model: rr tokens need the numeric groups rr, rrRatio${context.length > 0 ? ' and context' : ''}`,
      );
    const [rr, ratio, contextSpec] = groups as NumericGroupSpec[];
    if (rr!.features.length !== 4 || ratio!.features.length !== 3)
      throw new ConfigError('beat model: the rr group reads 4 features and the rrRatio group 3');
    if (contextSpec && (contextSpec.name !== CONTEXT_GROUP || contextSpec.features.join() !== context.join()))
      throw new ConfigError(`beat model: the third group must be '${CONTEXT_GROUP}' over [${context.join(', ')}]`);
  } else if (config.rrContext !== 'none') {
    throw new ConfigError(`beat model: rrContext must be tokens or none, got ${String((config as { rrContext: unknown }).rrContext)}`);
  }
}

export function beatRrFeatures(config: BeatModelConfig): BeatRrFeature[] {
  return config.rrContext === 'tokens' ? [...BEAT_RR_FEATURES] : [];
}

/** Columns of the model's `context` input (none for older models). */
export function beatContextFeatures(config: BeatModelConfig): string[] {
  return config.rrContext === 'tokens' ? [...(config.context ?? [])] : [];
}

/** Whether the ECG input carries residual channels (each lead minus the record's median beat). */
export function beatResidualChannels(config: BeatModelConfig): boolean {
  return config.rrContext === 'tokens' && config.residualChannels === true;
}

export type { EfficientEcgVariant as BeatVariant };
