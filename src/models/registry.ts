/**
 * The model registry: one table of architectures by name, each with its config schema (zod: configs read from
 * checkpoints are untrusted), its default config for a given number of leads and classes, and its builder.
 * `buildModel` validates and builds; `modelFromCheckpoint` rebuilds a checkpoint's architecture and loads its weights.
 */
import { z } from 'zod';
import { CheckpointError, ConfigError } from '../errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/module.js';
import type { Checkpoint } from '../export/checkpoint.js';
import { EfficientEcgFusion, fusionConfig, validateFusionConfig, type FusionConfig } from './fusion.js';
import { EfficientECG, efficientEcgConfig, type EfficientEcgConfig, type EfficientEcgVariant } from './efficientecg.js';
import {
  Inception1d,
  ResNet1dWang,
  XResNet1d,
  inception1dConfig,
  inception1dConfigSchema,
  resnet1dWangConfig,
  resnet1dWangConfigSchema,
  xresnet1d101Config,
  xresnet1dConfigSchema,
  type Inception1dConfig,
  type ResNet1dWangConfig,
  type XResNet1dConfig,
} from './baselines/index.js';
import { oddKernel } from './baselines/common.js';
import { beatModelConfig, EfficientEcgBeat, validateBeatConfig, type BeatModelConfig } from './beats.js';
import { Ensemble, ENSEMBLE_MODEL_NAME, FusionEnsemble, type EnsembleConfig } from './ensemble.js';

/**
 * What every registered model offers: a Module (parameters, state dict, train/eval) whose forward gives logits
 * [N, classes] from ECGs [N, leads, samples]. Fusion models also read patient inputs (their encoded patient tensors,
 * see src/models/fusion); the others ignore `patient`. `features` gives the backbone's last feature sequence.
 */
export interface EcgModel extends Module {
  forward(x: Tensor, patient?: unknown): Tensor;
  features?(x: Tensor): Tensor;
}

const positiveInt = z.number().int().positive();

export const efficientEcgConfigSchema = z.strictObject({
  leads: positiveInt,
  classes: positiveInt,
  width: z.number().positive(),
  depth: z.number().positive(),
  stemChannels: positiveInt,
  // Odd kernels only: 'same' padding of floor(k/2) gives an even kernel one extra sample, and the residual add fails.
  stemKernel: oddKernel,
  stemStride: positiveInt,
  headChannels: positiveInt,
  seRatio: z.number().min(0).max(1),
  dropout: z.number().min(0).lt(1),
  stochasticDepth: z.number().min(0).lt(1),
  stages: z
    .array(
      z.strictObject({
        expand: positiveInt,
        channels: positiveInt,
        repeats: positiveInt,
        stride: positiveInt,
        kernel: oddKernel,
      }),
    )
    .min(1),
  amplitude: z.boolean().optional(),
}) satisfies z.ZodType<EfficientEcgConfig>;

/**
 * Configs that wrap an EfficientECG backbone are checked in two steps: the backbone by the EfficientECG schema,
 * the rest by the model's own validator (fusion group specs are a tagged union it already checks field by field).
 */
function backboneWrapperSchema<C extends object>(
  what: string,
  backboneOf: (config: C) => unknown,
  validate: (config: C) => void,
) {
  return z
    .custom<C>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      message: `a ${what} config must be an object`,
    })
    .superRefine((config, context) => {
      const backbone = efficientEcgConfigSchema.safeParse(backboneOf(config));
      if (!backbone.success) {
        for (const issue of backbone.error.issues) {
          context.addIssue({ code: 'custom', path: ['backbone', ...issue.path], message: issue.message });
        }
        return;
      }
      try {
        validate(config);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    });
}

const fusionConfigSchema = backboneWrapperSchema<FusionConfig>(
  'fusion',
  (config) => config.backbone,
  validateFusionConfig,
);

const beatConfigSchema = backboneWrapperSchema<BeatModelConfig>(
  'beat model',
  (config) => (config.rrContext === 'tokens' ? config.fusion?.backbone : (config as { backbone?: unknown }).backbone),
  validateBeatConfig,
);

/** Config type of each architecture. */
export interface ArchitectureConfigs {
  'efficientecg-b0': EfficientEcgConfig;
  'efficientecg-b1': EfficientEcgConfig;
  'efficientecg-b2': EfficientEcgConfig;
  'efficientecg-b3': EfficientEcgConfig;
  'efficientecg-w0.5': EfficientEcgConfig;
  'efficientecg-w0.25': EfficientEcgConfig;
  'efficientecg-w0.25-r2': EfficientEcgConfig;
  'efficientecg-w0.25-r4': EfficientEcgConfig;
  'efficientecg-fusion': FusionConfig;
  'efficientecg-beat': BeatModelConfig;
  resnet1d_wang: ResNet1dWangConfig;
  xresnet1d101: XResNet1dConfig;
  inception1d: Inception1dConfig;
}
export type ArchitectureName = keyof ArchitectureConfigs;

export interface ArchitectureSpec<C> {
  summary: string;
  /** Validates an untrusted config (e.g. from a checkpoint's metadata). */
  schema: z.ZodType<C>;
  /** The architecture's standard config for this input and output size. */
  defaults(leads: number, classes: number): C;
  build(config: C): EcgModel;
}

function efficientEcgEntry(variant: EfficientEcgVariant): ArchitectureSpec<EfficientEcgConfig> {
  return {
    summary: `EfficientECG ${variant}: 1D EfficientNet (MBConv + squeeze-excitation), global average pooling`,
    schema: efficientEcgConfigSchema,
    defaults: (leads, classes) => efficientEcgConfig(variant, leads, classes),
    build: (config) => new EfficientECG(config),
  };
}

export const ARCHITECTURES: { readonly [N in ArchitectureName]: ArchitectureSpec<ArchitectureConfigs[N]> } = {
  'efficientecg-b0': efficientEcgEntry('b0'),
  'efficientecg-b1': efficientEcgEntry('b1'),
  'efficientecg-b2': efficientEcgEntry('b2'),
  'efficientecg-b3': efficientEcgEntry('b3'),
  'efficientecg-w0.5': efficientEcgEntry('w0.5'),
  'efficientecg-w0.25': efficientEcgEntry('w0.25'),
  'efficientecg-w0.25-r2': efficientEcgEntry('w0.25-r2'),
  'efficientecg-w0.25-r4': efficientEcgEntry('w0.25-r4'),
  'efficientecg-fusion': {
    summary: 'EfficientECG-Fusion: cross-attention between ECG tokens and patient-feature tokens (age, sex, ...)',
    schema: fusionConfigSchema,
    defaults: (leads, classes) => fusionConfig({ leads, classes }),
    build: (config) => new EfficientEcgFusion(config),
  },
  'efficientecg-beat': {
    summary: 'EfficientECG-Beat: one heartbeat window + its RR intervals (as fusion tokens) -> AAMI class',
    schema: beatConfigSchema,
    defaults: (leads, classes) => beatModelConfig({ leads, classes }),
    build: (config) => new EfficientEcgBeat(config),
  },
  resnet1d_wang: {
    summary: 'PTB-XL benchmark baseline: Wang et al. 2017 residual network, 3 basic blocks of width 128',
    schema: resnet1dWangConfigSchema,
    defaults: resnet1dWangConfig,
    build: (config) => new ResNet1dWang(config),
  },
  xresnet1d101: {
    summary: 'PTB-XL benchmark baseline: 1D xresnet101 (bottleneck blocks [3, 4, 23, 3], width 64 x 4)',
    schema: xresnet1dConfigSchema,
    defaults: xresnet1d101Config,
    build: (config) => new XResNet1d(config),
  },
  inception1d: {
    summary: 'PTB-XL benchmark baseline: InceptionTime, 6 blocks (kernels 39/19/9), residual every 3',
    schema: inception1dConfigSchema,
    defaults: inception1dConfig,
    build: (config) => new Inception1d(config),
  },
};


export function architectureNames(): ArchitectureName[] {
  return Object.keys(ARCHITECTURES) as ArchitectureName[];
}

export function isArchitectureName(name: unknown): name is ArchitectureName {
  return typeof name === 'string' && Object.hasOwn(ARCHITECTURES, name);
}

function specOf(name: string): ArchitectureSpec<unknown> {
  if (!isArchitectureName(name)) {
    throw new ConfigError(`unknown architecture ${JSON.stringify(name)} (known: ${architectureNames().join(', ')})`);
  }
  return ARCHITECTURES[name] as ArchitectureSpec<unknown>;
}

/** The architecture's standard config for `leads` inputs and `classes` outputs. */
export function defaultConfig<N extends ArchitectureName>(name: N, leads: number, classes: number): ArchitectureConfigs[N];
export function defaultConfig(name: string, leads: number, classes: number): unknown;
export function defaultConfig(name: string, leads: number, classes: number): unknown {
  return specOf(name).defaults(leads, classes);
}

/** Validates `config` against the architecture's schema; ConfigError lists every problem with its path. */
export function parseConfig<N extends ArchitectureName>(name: N, config: unknown): ArchitectureConfigs[N];
export function parseConfig(name: string, config: unknown): unknown;
export function parseConfig(name: string, config: unknown): unknown {
  const result = specOf(name).schema.safeParse(config);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid ${name} config: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Builds architecture `name` from a config, validated first (ConfigError on an unknown name or a bad config). */
export function buildModel<N extends ArchitectureName>(name: N, config: ArchitectureConfigs[N]): EcgModel;
export function buildModel(name: string, config: unknown): EcgModel;
export function buildModel(name: string, config: unknown): EcgModel {
  const parsed = parseConfig(name, config);
  return specOf(name).build(parsed);
}

/** Builds a checkpoint's model spec: a registry architecture, or an ensemble of them (src/models/ensemble.ts). */
function buildChecked(name: string, config: unknown, labels: number): EcgModel {
  if (name === ENSEMBLE_MODEL_NAME) {
    const members = (config as Partial<EnsembleConfig> | null)?.members;
    if (!Array.isArray(members) || members.length === 0)
      throw new ConfigError('an ensemble config lists its members: { members: [{ name, config }, ...] }');
    const built: EcgModel[] = [];
    try {
      for (const member of members) {
        if (member?.name === ENSEMBLE_MODEL_NAME)
          throw new ConfigError('ensemble member ensemble: not supported (nest the members instead)');
        built.push(buildChecked(String(member?.name), member?.config, labels));
      }
      const fusion = built.filter((model) => model instanceof EfficientEcgFusion).length;
      if (fusion > 0 && fusion < built.length)
        throw new ConfigError('an ensemble mixes fusion and plain members (their inputs differ)');
      const offsets = (config as EnsembleConfig).classOffsets;
      return (
        fusion > 0
          ? new FusionEnsemble(built as unknown as EfficientEcgFusion[], offsets)
          : new Ensemble(built, offsets)
      ) as unknown as EcgModel;
    } catch (error) {
      for (const model of built) model.dispose();
      throw error;
    }
  }
  const parsed = parseConfig(name, config);
  const classes = (parsed as { classes?: unknown }).classes;
  if (typeof classes === 'number' && classes !== labels) {
    throw new ConfigError(`config has ${classes} classes but the checkpoint lists ${labels} labels`);
  }
  return specOf(name).build(parsed);
}

/**
 * Rebuilds the checkpoint's architecture from its metadata (model name and config) and loads its weights.
 * CheckpointError when the name is unknown, the config invalid, the classes disagree with the labels, or the
 * weights do not fit (every missing, unexpected and mis-shaped tensor listed). The model is left in training mode.
 */
export function modelFromCheckpoint(checkpoint: Checkpoint, source = 'checkpoint'): EcgModel {
  const { name, config } = checkpoint.metadata.model;
  let model: EcgModel;
  try {
    model = buildChecked(name, config, checkpoint.metadata.labels.length);
  } catch (error) {
    if (error instanceof ConfigError) throw new CheckpointError(`${source}: ${error.message}`);
    throw error;
  }
  try {
    model.loadState(checkpoint.state, source);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
