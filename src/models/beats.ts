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
  | { rrContext: 'tokens'; fusion: FusionConfig }
  | { rrContext: 'none'; backbone: EfficientEcgConfig };

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
}

/** Beat windows are ~0.7 s: a 1280-channel head over 8 positions is mostly waste, 512 keeps the model light. */
const BEAT_BACKBONE: Partial<EfficientEcgConfig> = { headChannels: 512 };

export function beatModelConfig(options: BeatModelOptions): BeatModelConfig {
  const variant = options.variant ?? 'w0.5';
  const backbone = { ...BEAT_BACKBONE, ...options.backbone };
  if ((options.rrContext ?? 'tokens') === 'none') {
    return { rrContext: 'none', backbone: efficientEcgConfig(variant, options.leads, options.classes, backbone) };
  }
  return {
    rrContext: 'tokens',
    fusion: fusionConfig({
      leads: options.leads,
      classes: options.classes,
      variant,
      backbone,
      design: options.design ?? 'bidirectional',
      groups: options.groups ?? rrGroups(),
      dModel: 64,
      heads: 4,
      classifierHidden: 64,
    }),
  };
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

/** Mean and SD of each token feature over the training beats (replaces the defaults). */
export function fitBeatStandardisation(groups: readonly NumericGroupSpec[], rr: Float32Array): NumericGroupSpec[] {
  const rows = rrTokenRows(rr);
  return groups.map((group) => fitStandardisation(group, rows));
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
      this.ecg = this.registerModule('ecg', new EfficientECG(config.backbone));
      this.fusion = null;
    }
  }

  /** Logits [N, classes]. `rr` [N, 4] seconds is required with RR tokens and ignored without them. */
  forward(ecg: Tensor, rr?: unknown): Tensor {
    if (this.ecg) return this.ecg.forward(ecg);
    return this.fusion!.forward(ecg, this.rrTokens(checkRr(rr, ecg.shape[0]!)));
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

export function validateBeatConfig(config: BeatModelConfig): void {
  if (config.rrContext === 'tokens') {
    validateFusionConfig(config.fusion);
    const groups = config.fusion.groups;
    if (groups.length !== 2 || groups.some((g) => g.kind !== 'numeric'))
      throw new ConfigError('beat model: rr tokens need the two numeric groups of rrGroups() (rr, rrRatio)');
    const [rr, ratio] = groups as NumericGroupSpec[];
    if (rr!.features.length !== 4 || ratio!.features.length !== 3)
      throw new ConfigError('beat model: the rr group reads 4 features and the rrRatio group 3');
  } else if (config.rrContext !== 'none') {
    throw new ConfigError(`beat model: rrContext must be tokens or none, got ${String((config as { rrContext: unknown }).rrContext)}`);
  }
}

export function beatRrFeatures(config: BeatModelConfig): BeatRrFeature[] {
  return config.rrContext === 'tokens' ? [...BEAT_RR_FEATURES] : [];
}

export type { EfficientEcgVariant as BeatVariant };
