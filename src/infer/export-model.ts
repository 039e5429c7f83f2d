/**
 * Checkpoint -> ONNX file for the Predictor (needs libtorch: the model is rebuilt and traced by src/export/onnx).
 * The checkpoint's metadata (labels, preprocessing and windows, label kind, thresholds, validation, dataset, task)
 * is copied into metadata_props under the keys of MODEL_KEYS; fusion models get one `values`/`missing` input pair
 * per patient group and their attention weights as extra outputs.
 */
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError } from '../errors.js';
import type { Checkpoint, CheckpointMetadata } from '../export/checkpoint.js';
import { ecgInput, exportOnnx, type OnnxInput, type OnnxMetadata } from '../export/onnx/index.js';
import { EfficientEcgFusion, NULL_TOKEN, type FusionConfig, type TokenGroupSpec } from '../models/fusion.js';
import { ENSEMBLE_MODEL_NAME, FusionEnsemble, type EnsembleConfig } from '../models/ensemble.js';
import { modelFromCheckpoint } from '../models/registry.js';
import { beatChannelCount, type BeatTemplateMode } from '../signal/beat-context.js';
import type { PatientGroup } from './metadata.js';

interface CheckpointPreprocessing {
  fs?: number;
  leads?: string[];
  windowSamples?: number;
  windowSeconds?: number;
  [key: string]: unknown;
}

/** ONNX input names of a patient group (group names may hold '-', input names must be identifiers). */
export function patientInputNames(group: string): { values: string; missing: string } {
  const base = `patient_${group.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return { values: `${base}_values`, missing: `${base}_missing` };
}

const ATTENTION_OUTPUTS = {
  ecgToPatient: 'attention_ecg_to_patient',
  patientToEcg: 'attention_patient_to_ecg',
} as const;

/** The metadata the Predictor reads, from a checkpoint's metadata (CheckpointError-free: ConfigError names gaps). */
export function onnxMetadataOf(metadata: CheckpointMetadata, source: string, name?: string): OnnxMetadata {
  const pre = (metadata.preprocessing ?? {}) as CheckpointPreprocessing;
  const extra = metadata.extra ?? {};
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new ConfigError(`${source}: checkpoint preprocessing has no ${what}`);
    return value;
  };
  const groups = fusionGroups(metadata);
  const fusionConfig = (fusionSpec(metadata)?.config ?? {}) as Partial<FusionConfig>;
  return {
    labels: metadata.labels,
    samplingRate: need(pre.fs, 'fs'),
    leads: need(pre.leads, 'leads'),
    window: {
      samples: need(pre.windowSamples, 'windowSamples'),
      seconds: need(pre.windowSeconds, 'windowSeconds'),
    },
    preprocessing: pre,
    extra: {
      model: { architecture: metadata.model.name, ...(name ? { name } : {}) },
      label_kind: extra.labelKind ?? null,
      output_activation: extra.outputActivation ?? null,
      thresholds: extra.thresholds ?? {},
      task: extra.task ?? 'records',
      ...(extra.beats ? { beats: extra.beats } : {}),
      ...(groups.length > 0
        ? {
            patient_groups: groups,
            attention_outputs: {
              tokens: [NULL_TOKEN, ...groups.map((g) => g.name)],
              outputs: attentionOutputs(fusionConfig),
            },
          }
        : {}),
      validation: extra.validation ?? null,
      dataset: extra.dataset ?? null,
      untrained: extra.untrained === true,
    },
  };
}

/** The fusion model's spec: the model's own, or its first member's for an ensemble of fusion models; else null. */
function fusionSpec(metadata: CheckpointMetadata): { name: string; config: unknown } | null {
  const { name, config } = metadata.model;
  if (name === 'efficientecg-fusion') return metadata.model;
  const first = name === ENSEMBLE_MODEL_NAME ? (config as Partial<EnsembleConfig>).members?.[0] : undefined;
  return first?.name === 'efficientecg-fusion' ? first : null;
}

function fusionGroups(metadata: CheckpointMetadata): PatientGroup[] {
  const spec = fusionSpec(metadata);
  if (spec === null) return [];
  const groups = ((spec.config as FusionConfig).groups ?? []) as TokenGroupSpec[];
  return groups.map((group) => ({ ...group, inputs: patientInputNames(group.name) }) as PatientGroup);
}

function attentionOutputs(config: Partial<FusionConfig>): Record<string, string> {
  const design = String(config.design ?? '');
  const out: Record<string, string> = {};
  // Designs are checked at export: an output the design does not make is dropped below.
  if (design !== 'concat') Object.assign(out, ATTENTION_OUTPUTS);
  return out;
}

/** Exports a checkpoint's model (eval mode) as ONNX bytes with the Predictor's metadata. */
export function exportCheckpoint(checkpoint: Checkpoint, source: string, name?: string): Uint8Array {
  const metadata = onnxMetadataOf(checkpoint.metadata, source, name);
  const model = modelFromCheckpoint(checkpoint, source);
  try {
    const leads = metadata.leads.length;
    const samples = metadata.window.samples;
    return scope(() => {
      if (model instanceof EfficientEcgFusion || model instanceof FusionEnsemble)
        return exportFusion(model, leads, samples, metadata);
      const beats = checkpoint.metadata.extra?.beats as BeatExportSpec | undefined;
      if (beats?.rr?.length) return exportBeatModel(model, leads, { ...beats, rr: beats.rr }, metadata);
      return exportOnnx(model, F.randn([2, leads, samples]), metadata);
    });
  } finally {
    model.dispose();
  }
}

interface BeatExportSpec {
  rr?: string[];
  before: number;
  after: number;
  /** Newer beat models: the `context` input's columns and residual channels after the leads. */
  context?: string[];
  residualChannels?: boolean;
  /** Which template(s) the residual channels are taken against (src/signal/beat-context.ts). */
  template?: BeatTemplateMode;
}

function exportBeatModel(
  model: { forward(x: Tensor, rr?: unknown, context?: unknown): Tensor } & Parameters<typeof exportOnnx>[0],
  leads: number,
  beats: BeatExportSpec & { rr: string[] },
  metadata: OnnxMetadata,
): Uint8Array {
  const channels = beatChannelCount(leads, beats.residualChannels === true, beats.template);
  const context = beats.context ?? [];
  const inputs: OnnxInput[] = [
    ecgInput(F.randn([2, channels, beats.before + beats.after])),
    {
      name: 'rr',
      example: F.randn([2, beats.rr.length]),
      dynamicAxes: { 0: 'batch' },
      doc: 'RR features (s)',
    },
    ...(context.length > 0
      ? [
          {
            name: 'context',
            example: F.rand([2, context.length]),
            dynamicAxes: { 0: 'batch' },
            doc: `patient-relative beat context (${context.join(', ')}), src/signal/beat-context.ts`,
          },
        ]
      : []),
  ];
  return exportOnnx(model, inputs, metadata, {
    forward: ({ ecg, rr, context: c }) => model.forward(ecg!, rr, c),
  });
}

function exportFusion(
  model: EfficientEcgFusion | FusionEnsemble,
  leads: number,
  samples: number,
  metadata: OnnxMetadata,
): Uint8Array {
  const groups = model instanceof FusionEnsemble ? model.groups : model.config.groups;
  // Two example patients, one with everything missing, so that masks of both kinds are traced.
  const encoded = model.encodePatients([{ age: 60, sex: 'female' }, {}]);
  const inputs: OnnxInput[] = [ecgInput(F.randn([2, leads, samples]))];
  for (const group of groups) {
    const names = patientInputNames(group.name);
    inputs.push(
      { name: names.values, example: encoded[group.name]!.values, dynamicAxes: { 0: 'batch' } },
      { name: names.missing, example: encoded[group.name]!.missing, dynamicAxes: { 0: 'batch' } },
    );
  }
  const outputs = (metadata.extra?.attention_outputs as { outputs: Record<string, string> } | undefined)
    ?.outputs;
  return exportOnnx(model, inputs, metadata, {
    forward: (named) => {
      const patients = Object.fromEntries(
        groups.map((group) => {
          const names = patientInputNames(group.name);
          return [group.name, { values: named[names.values]!, missing: named[names.missing]! }];
        }),
      );
      const { logits, attention } = model.forwardWithAttention(named.ecg!, patients);
      const result: Record<string, Tensor> = { logits };
      if (attention.ecgToPatient && outputs?.ecgToPatient)
        result[outputs.ecgToPatient] = attention.ecgToPatient.weights;
      if (attention.patientToEcg && outputs?.patientToEcg)
        result[outputs.patientToEcg] = attention.patientToEcg.weights;
      return result;
    },
  });
}
