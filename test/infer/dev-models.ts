/**
 * Development models for the inference tests: small EfficientECG / fusion models with random weights (marked
 * `untrained`, never shipped), as in-memory checkpoints with the metadata the trainer writes, and their ONNX export.
 */
import { manualSeed } from '../../src/engine/index.js';
import type { Checkpoint, CheckpointMetadata } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { efficientEcgConfig } from '../../src/models/efficientecg.js';
import { ageGroup, fusionConfig, sexGroup } from '../../src/models/fusion.js';
import { buildModel, modelFromCheckpoint, type EcgModel } from '../../src/models/registry.js';

export interface DevModelOptions {
  leads: string[];
  labels: string[];
  fs: number;
  windowSamples: number;
  hopSamples?: number;
  labelKind?: 'single-label' | 'multi-label';
  fusion?: boolean;
  /** Fusion position encoding (default sinusoidal, as fusionConfig). */
  position?: 'sinusoidal' | 'learned';
  seed?: number;
  /** false: the model reads leads in mV (default: z-scored). */
  standardize?: boolean;
  extra?: Record<string, unknown>;
}

/** A tiny EfficientECG (w0.25 with one short stage list) so that export and runs take well under a second. */
export function devCheckpoint(options: DevModelOptions): Checkpoint {
  manualSeed(options.seed ?? 3);
  const leads = options.leads.length;
  const classes = options.labels.length;
  const backbone = {
    ...efficientEcgConfig('w0.25', leads, classes),
    stages: efficientEcgConfig('w0.25', leads, classes).stages.slice(0, 3),
  };
  const labelKind = options.labelKind ?? 'single-label';
  const spec = options.fusion
    ? {
        name: 'efficientecg-fusion',
        config: fusionConfig({
          leads,
          classes,
          backbone,
          groups: [ageGroup(), sexGroup()],
          dModel: 16,
          heads: 2,
          classifierHidden: 16,
          position: options.position ?? 'sinusoidal',
        }),
      }
    : { name: 'efficientecg-w0.25', config: backbone };
  const metadata: CheckpointMetadata = {
    model: spec,
    labels: options.labels,
    preprocessing: {
      resampleTo: options.fs,
      bandpass: [0.5, 40],
      standardize: options.standardize ?? true,
      fs: options.fs,
      leads: options.leads,
      windowSeconds: options.windowSamples / options.fs,
      windowSamples: options.windowSamples,
      shortRecords: 'zero-pad',
      windows: {
        hopSamples: options.hopSamples ?? options.windowSamples,
        lastAlignedToEnd: true,
        aggregate: 'mean-logits',
      },
    },
    extra: {
      labelKind,
      outputActivation: labelKind === 'multi-label' ? 'sigmoid' : 'softmax',
      patientInputs: options.fusion ? ['age', 'sex'] : [],
      thresholds: Object.fromEntries(options.labels.map((label) => [label, 0.5])),
      untrained: true,
      ...options.extra,
    },
  };
  // Build once to get a state dict of the right shape (random weights).
  const empty: Checkpoint = { metadata, formatVersion: 1, state: new Map(), optimizerState: new Map() };
  const model = buildRandom(empty);
  const state = model.exportState();
  model.dispose();
  return { ...empty, state };
}

/** A model with fresh random weights (modelFromCheckpoint would refuse the empty state). */
function buildRandom(checkpoint: Checkpoint): EcgModel {
  return buildModel(checkpoint.metadata.model.name, checkpoint.metadata.model.config);
}

/** The checkpoint's model in eval mode (engine reference) and its ONNX bytes. */
export function devModel(options: DevModelOptions): {
  checkpoint: Checkpoint;
  model: EcgModel;
  onnx: Uint8Array;
} {
  const checkpoint = devCheckpoint(options);
  const onnx = exportCheckpoint(checkpoint, 'dev');
  const model = modelFromCheckpoint(checkpoint, 'dev');
  model.eval();
  return { checkpoint, model, onnx };
}
