/**
 * EfficientECG: a 1D EfficientNet (Tan & Le 2019) for multi-lead ECG.
 * Stem conv -> MBConv stages (1x1 expansion, depthwise conv, squeeze-excitation, 1x1 projection, residual with
 * stochastic depth) -> 1x1 head conv -> global average pool -> classifier. Global pooling makes it length-agnostic;
 * `leads` sets the stem's input channels (1, 2, 8, 12 ...).
 * Compound scaling multiplies the channels (width) and block repeats (depth) of the B0 baseline; the resolution
 * multiplier of the 2D family becomes a recommended window length (see EFFICIENTECG_VARIANTS).
 */
import { ShapeError } from '../errors.js';
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { Activation, BatchNorm1d, Conv1d, Dropout, Linear, Module, Sequential, type Layer } from '../nn/index.js';
import { kaimingNormalFanOut } from '../nn/init.js';
import { setData } from '../engine/inplace.js';
import { noGrad } from '../engine/autograd.js';

/** One MBConv stage of the baseline: expansion ratio, output channels, repeats, first stride, kernel. */
export interface StageSpec {
  expand: number;
  channels: number;
  repeats: number;
  stride: number;
  kernel: number;
}

/** EfficientNet-B0's stages (the 2D paper's table 1), kernels used as 1D kernels. */
export const B0_STAGES: readonly StageSpec[] = [
  { expand: 1, channels: 16, repeats: 1, stride: 1, kernel: 3 },
  { expand: 6, channels: 24, repeats: 2, stride: 2, kernel: 3 },
  { expand: 6, channels: 40, repeats: 2, stride: 2, kernel: 5 },
  { expand: 6, channels: 80, repeats: 3, stride: 2, kernel: 3 },
  { expand: 6, channels: 112, repeats: 3, stride: 1, kernel: 5 },
  { expand: 6, channels: 192, repeats: 4, stride: 2, kernel: 5 },
  { expand: 6, channels: 320, repeats: 1, stride: 1, kernel: 3 },
];

export interface EfficientEcgConfig {
  /** Input leads (stem input channels). */
  leads: number;
  /** Output logits. */
  classes: number;
  /** Channel multiplier (compound scaling width). */
  width: number;
  /** Block-repeat multiplier (compound scaling depth). */
  depth: number;
  stemChannels: number;
  stemKernel: number;
  stemStride: number;
  headChannels: number;
  /** Squeeze-excitation hidden width as a fraction of the block's input channels. */
  seRatio: number;
  /** Dropout before the classifier. */
  dropout: number;
  /** Final stochastic-depth drop probability (linearly increasing over blocks from 0). */
  stochasticDepth: number;
  stages: StageSpec[];
  /**
   * The amplitude side-channel: the model reads leads in mV (training without standardisation), z-scores each lead of
   * its window itself, and adds a linear term on the leads' log amplitudes to the logits, so the morphology path sees
   * what a z-scored model sees while voltages (hypertrophy's criteria) still reach the decision. Absent: false.
   */
  amplitude?: boolean;
}

/** The smallest lead amplitude (sd, mV) the side-channel divides by: a flat lead reads as zeros, not noise. */
export const AMPLITUDE_FLOOR_MV = 0.01;

/** Compound-scaled variants: width, depth, the 2D input resolution as a window factor, and dropout. */
export const EFFICIENTECG_VARIANTS = {
  b0: { width: 1.0, depth: 1.0, resolution: 1.0, dropout: 0.2 },
  b1: { width: 1.0, depth: 1.1, resolution: 240 / 224, dropout: 0.2 },
  b2: { width: 1.1, depth: 1.2, resolution: 260 / 224, dropout: 0.3 },
  b3: { width: 1.2, depth: 1.4, resolution: 300 / 224, dropout: 0.3 },
  // Lighter widths for the accuracy/size frontier of small ECG datasets.
  'w0.5': { width: 0.5, depth: 1.0, resolution: 1.0, dropout: 0.2 },
  'w0.25': { width: 0.25, depth: 1.0, resolution: 1.0, dropout: 0.2 },
  // w0.25 keeping 2x / 4x more positions (total stride 16 / 8 instead of 32): at 100 Hz, stride 32 leaves one
  // position per 320 ms, coarser than a QRS complex (docs/results.md, "Temporal resolution").
  'w0.25-r2': { width: 0.25, depth: 1.0, resolution: 1.0, dropout: 0.2, temporalResolution: 2 },
  'w0.25-r4': { width: 0.25, depth: 1.0, resolution: 1.0, dropout: 0.2, temporalResolution: 4 },
} as const;
export type EfficientEcgVariant = keyof typeof EFFICIENTECG_VARIANTS;

export function efficientEcgConfig(
  variant: EfficientEcgVariant,
  leads: number,
  classes: number,
  overrides: Partial<EfficientEcgConfig> = {},
): EfficientEcgConfig {
  const v = EFFICIENTECG_VARIANTS[variant];
  const strides = keepResolution('temporalResolution' in v ? v.temporalResolution : 1);
  return {
    leads,
    classes,
    width: v.width,
    depth: v.depth,
    stemChannels: 32,
    stemKernel: 7,
    stemStride: strides.stem,
    headChannels: 1280,
    seRatio: 0.25,
    dropout: v.dropout,
    stochasticDepth: 0.2,
    stages: B0_STAGES.map((s, i) => ({ ...s, stride: strides.stages[i]! })),
    ...overrides,
  };
}

/**
 * B0's strides with the first log2(factor) downsamplings (stem first, then the stages in order) turned into
 * stride 1: the network keeps `factor` times more positions (total stride 32 / factor).
 */
export function keepResolution(factor: 1 | 2 | 4): { stem: number; stages: number[] } {
  let remaining = Math.log2(factor);
  const strides = [2, ...B0_STAGES.map((s) => s.stride)].map((stride) => {
    if (stride === 2 && remaining > 0) {
      remaining--;
      return 1;
    }
    return stride;
  });
  return { stem: strides[0]!, stages: strides.slice(1) };
}

/** Channels scaled by width, rounded to a multiple of 8 and never below 90 % of the scaled value (as EfficientNet). */
export function roundChannels(channels: number, width: number, divisor = 8): number {
  const scaled = channels * width;
  let rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

export function roundRepeats(repeats: number, depth: number): number {
  return Math.ceil(repeats * depth);
}

/** Squeeze-excitation: channel gates from the time-averaged activations (SiLU bottleneck, sigmoid gate). */
export class SqueezeExcitation extends Module implements Layer {
  readonly reduce: Conv1d;
  readonly expand: Conv1d;

  constructor(channels: number, hidden: number) {
    super();
    this.reduce = this.registerModule('reduce', new Conv1d(channels, hidden, 1));
    this.expand = this.registerModule('expand', new Conv1d(hidden, channels, 1));
  }

  forward(x: Tensor): Tensor {
    const squeezed = F.mean(x, 2, true);
    const gate = F.sigmoid(this.expand.forward(F.silu(this.reduce.forward(squeezed))));
    return F.mul(x, gate);
  }
}

/**
 * Conv1d without bias + BatchNorm1d + optional SiLU, the unit every EfficientNet layer is made of.
 * BatchNorm momentum 0.1 (PyTorch's default), not EfficientNet's 0.01: ECG datasets give a few hundred steps per
 * run, and at 0.01 the running statistics are still near their initial values when validation starts.
 */
export class ConvBnAct extends Sequential {
  constructor(inChannels: number, outChannels: number, kernel: number, stride = 1, groups = 1, activate = true) {
    const layers: Layer[] = [
      new Conv1d(inChannels, outChannels, kernel, { stride, padding: Math.floor(kernel / 2), groups, bias: false }),
      new BatchNorm1d(outChannels, 1e-3, 0.1),
    ];
    if (activate) layers.push(new Activation('silu'));
    super(...layers);
  }
}

export interface MBConvSpec {
  inChannels: number;
  outChannels: number;
  expand: number;
  kernel: number;
  stride: number;
  seRatio: number;
  dropPath: number;
}

/** Mobile inverted bottleneck: [1x1 expand] -> depthwise k -> SE -> 1x1 project, residual when shapes allow. */
export class MBConv extends Module implements Layer {
  readonly block: Sequential;
  readonly residual: boolean;

  constructor(readonly spec: MBConvSpec) {
    super();
    const hidden = spec.inChannels * spec.expand;
    const layers: Layer[] = [];
    if (spec.expand !== 1) layers.push(new ConvBnAct(spec.inChannels, hidden, 1));
    layers.push(new ConvBnAct(hidden, hidden, spec.kernel, spec.stride, hidden));
    if (spec.seRatio > 0) {
      layers.push(new SqueezeExcitation(hidden, Math.max(1, Math.floor(spec.inChannels * spec.seRatio))));
    }
    layers.push(new ConvBnAct(hidden, spec.outChannels, 1, 1, 1, false));
    this.block = this.registerModule('block', new Sequential(...layers));
    this.residual = spec.stride === 1 && spec.inChannels === spec.outChannels;
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x);
    if (!this.residual) return y;
    return F.add(x, this.training && this.spec.dropPath > 0 ? dropPath(y, this.spec.dropPath) : y);
  }
}

/** Stochastic depth: drops the whole residual branch per sample with probability p (scaled to keep the mean). */
function dropPath(x: Tensor, p: number): Tensor {
  const keep = 1 - p;
  const mask = F.floor(F.add(F.rand([x.shape[0]!, 1, 1], x.dtype), keep));
  return F.mul(x, F.div(mask, keep));
}

export interface EfficientEcgOutput {
  logits: Tensor;
}

export class EfficientECG extends Module {
  readonly stem: ConvBnAct;
  readonly blocks: Sequential;
  readonly head: ConvBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;
  /** With `config.amplitude`: log lead amplitudes -> logits, zero at the start (the z-scored model's behaviour). */
  readonly amplitudeHead: Linear | null;

  constructor(readonly config: EfficientEcgConfig) {
    super();
    const c = config;
    const stemChannels = roundChannels(c.stemChannels, c.width);
    this.stem = this.registerModule('stem', new ConvBnAct(c.leads, stemChannels, c.stemKernel, c.stemStride));
    const specs = blockSpecs(c, stemChannels);
    this.blocks = this.registerModule('blocks', new Sequential(...specs.map((s) => new MBConv(s))));
    const lastChannels = specs[specs.length - 1]!.outChannels;
    const headChannels = roundChannels(c.headChannels, Math.max(1, c.width));
    this.head = this.registerModule('head', new ConvBnAct(lastChannels, headChannels, 1));
    this.dropout = this.registerModule('dropout', new Dropout(c.dropout));
    this.classifier = this.registerModule('classifier', new Linear(headChannels, c.classes));
    this.amplitudeHead = c.amplitude
      ? this.registerModule('amplitude_head', new Linear(c.leads, c.classes))
      : null;
    this.initialise();
  }

  /** The last stage's feature sequence [N, headChannels, L/32] (what the fusion model attends over). */
  features(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[1] !== this.config.leads) {
      throw new ShapeError(`EfficientECG: input must be [batch, ${this.config.leads} leads, samples], got [${x.shape.join(', ')}]`);
    }
    return this.head.forward(this.blocks.forward(this.stem.forward(x)));
  }

  /** Logits [N, classes]. */
  forward(x: Tensor): Tensor {
    if (this.amplitudeHead === null) return this.classify(x);
    // Each lead of the window: its sd in mV (floored), the lead divided by it, and the log sd as the side-channel.
    const centred = F.sub(x, F.mean(x, 2, true));
    const sd = F.sqrt(F.add(F.mean(F.mul(centred, centred), 2, true), AMPLITUDE_FLOOR_MV ** 2));
    const logAmplitude = F.log(F.mean(sd, 2));
    return F.add(this.classify(F.div(centred, sd)), this.amplitudeHead.forward(logAmplitude));
  }

  private classify(x: Tensor): Tensor {
    const pooled = F.mean(this.features(x), 2);
    return this.classifier.forward(this.dropout.forward(pooled));
  }

  /** EfficientNet's initialisation: Kaiming-normal (fan-out) convolutions; BN scale 1, shift 0; side-channel 0. */
  private initialise(): void {
    noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (p.rank === 3 && name.endsWith('weight')) {
          const init = kaimingNormalFanOut(p.shape);
          setData(p, init);
          init.dispose();
        } else if (name.startsWith('amplitude_head.')) {
          const zeros = F.zeros(p.shape, p.dtype);
          setData(p, zeros);
          zeros.dispose();
        }
      }
    });
  }
}

function blockSpecs(c: EfficientEcgConfig, stemChannels: number): MBConvSpec[] {
  const total = c.stages.reduce((n, s) => n + roundRepeats(s.repeats, c.depth), 0);
  const specs: MBConvSpec[] = [];
  let inChannels = stemChannels;
  for (const stage of c.stages) {
    const outChannels = roundChannels(stage.channels, c.width);
    for (let r = 0; r < roundRepeats(stage.repeats, c.depth); r++) {
      specs.push({
        inChannels,
        outChannels,
        expand: stage.expand,
        kernel: stage.kernel,
        stride: r === 0 ? stage.stride : 1,
        seRatio: c.seRatio,
        dropPath: (c.stochasticDepth * specs.length) / total,
      });
      inChannels = outChannels;
    }
  }
  return specs;
}
