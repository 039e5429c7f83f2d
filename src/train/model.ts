/**
 * What the trainer trains: a registry model (forward(ecg) -> logits), or EfficientECG-Fusion over an EfficientECG
 * backbone with age and sex tokens (forward(ecg, patients) -> { logits, attention }). One interface for both, and
 * the { name, config } saved in checkpoints so that the same model is rebuilt on resume and for evaluation.
 */
import type { DatasetEntry } from '../datasets/types.js';
import type { Checkpoint } from '../export/checkpoint.js';
import { Tensor } from '../engine/tensor.js';
import { ConfigError } from '../errors.js';
import type { EfficientEcgConfig } from '../models/efficientecg.js';
import {
  ageGroup,
  beatsGroup,
  EfficientEcgFusion,
  rhythmGroup,
  type TokenGroupSpec,
  fitStandardisation,
  fusionConfig,
  sexGroup,
  validateFusionConfig,
  type FusionConfig,
  type BeatPcaSpec,
  type FusionDesign,
  type PatientRow,
} from '../models/fusion.js';
import { buildModel, defaultConfig, parseConfig, type EcgModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import type { FUSION_TOKENS } from './config.js';
import type { RecordRhythm, TrainingData } from './data.js';

type FusionToken = (typeof FUSION_TOKENS)[number];

/** Checkpoint name of fusion models (the registry's entry for them). */
export const FUSION_MODEL_NAME = 'efficientecg-fusion';

export interface TrainableModel {
  module: Module;
  /** { name, config } for checkpoint metadata. */
  spec: { name: string; config: unknown };
  /** [N, classes] logits; `patients` are the batch's patient rows (read by fusion models only). */
  logits(ecg: Tensor, patients: readonly PatientRow[]): Tensor;
}

/** Patient row of an entry: the features the fusion tokens read (rhythm, beats: the record's, when computed). */
export function patientRow(
  entry: DatasetEntry,
  rhythm: RecordRhythm | null = null,
  beats: number[] | null = null,
): PatientRow {
  return {
    age: entry.patient.age,
    sex: entry.patient.sex,
    ...(rhythm ? { rhythm } : {}),
    ...(beats ? { beats } : {}),
  };
}

/** Patient row of training example `index` (its entry and, when computed, its record's rhythm and beats). */
export function rowOf(
  data: Pick<TrainingData, 'entries' | 'rhythm'> & Partial<Pick<TrainingData, 'beats'>>,
  index: number,
): PatientRow {
  return patientRow(data.entries[index]!, data.rhythm?.[index] ?? null, data.beats?.[index] ?? null);
}

/** How a fusion model is built (train config fusionTokens, fusionDesign, fusionShortcut). */
export interface FusionChoice {
  tokens?: readonly FusionToken[];
  design?: FusionDesign;
  shortcut?: boolean;
  /** Required with the `beats` token: the PCA fitted on the training beats (src/train/beat-token.ts). */
  beatPca?: BeatPcaSpec;
}

/** Token groups by name, the numeric ones standardised on the training rows. */
function tokenGroups(choice: FusionChoice, trainRows: readonly PatientRow[]): TokenGroupSpec[] {
  return (choice.tokens ?? ['age', 'sex']).map((token) => {
    if (token === 'sex') return sexGroup();
    if (token === 'age') return fitStandardisation(ageGroup(), trainRows);
    if (token === 'rhythm') return fitStandardisation(rhythmGroup(), trainRows);
    if (!choice.beatPca)
      throw new ConfigError('the beats token needs the beat PCA fitted on the training records');
    return fitStandardisation(beatsGroup(choice.beatPca), trainRows);
  });
}

/**
 * A fresh model. For fusion, `model` must be an EfficientECG variant (its config becomes the backbone) and the age
 * token is standardised with the training rows' statistics.
 */
export function newTrainableModel(
  model: string,
  fusion: boolean,
  shape: { leads: number; classes: number },
  trainRows: readonly PatientRow[],
  overrides: Record<string, unknown> = {},
  choice: FusionChoice = {},
): TrainableModel {
  const base = parseConfig(model, {
    ...(defaultConfig(model, shape.leads, shape.classes) as object),
    ...overrides,
  });
  if (!fusion) return plainModel(model, base);
  if (!model.startsWith('efficientecg-')) {
    throw new ConfigError(
      `--fusion needs an EfficientECG backbone (efficientecg-b0..b3, -w0.5, -w0.25), got ${model}`,
    );
  }
  const config = fusionConfig({
    leads: shape.leads,
    classes: shape.classes,
    backbone: base as EfficientEcgConfig,
    design: choice.design ?? 'bidirectional',
    shortcut: choice.shortcut ?? false,
    groups: tokenGroups(choice, trainRows),
  });
  return fusionModel(config);
}

/** Rebuilds a model from checkpoint metadata (weights are loaded by the caller). */
export function trainableFromSpec(spec: { name: string; config: unknown }): TrainableModel {
  if (spec.name !== FUSION_MODEL_NAME) return plainModel(spec.name, parseConfig(spec.name, spec.config));
  const config = spec.config as FusionConfig;
  validateFusionConfig(config);
  return fusionModel(config);
}

/** The model of a checkpoint being resumed, with its weights (`source` names it in errors). */
export function restoredModel(saved: Checkpoint, source: string): TrainableModel {
  const model = trainableFromSpec(saved.metadata.model);
  model.module.loadState(saved.state, source);
  return model;
}

function plainModel(name: string, config: unknown): TrainableModel {
  const module: EcgModel = buildModel(name, config);
  return { module, spec: { name, config }, logits: (ecg) => module.forward(ecg) };
}

function fusionModel(config: FusionConfig): TrainableModel {
  const module = new EfficientEcgFusion(config);
  return {
    module,
    spec: { name: FUSION_MODEL_NAME, config },
    logits: (ecg, rows) => {
      // forward gives logits, or { logits, attention } in the first version of the fusion model.
      const output = module.forward(ecg, module.encodePatients(rows)) as Tensor | { logits: Tensor };
      return output instanceof Tensor ? output : output.logits;
    },
  };
}
