/**
 * xresnet1d101: the 1D xresnet of the PTB-XL benchmark (Strodthoff et al. 2020), after the "Bag of Tricks" ResNet-D
 * (He et al. 2019): a three-conv stem (first with stride 2) and max pooling, bottleneck blocks (1x1 -> k -> 1x1,
 * expansion 4) whose stride sits on the k conv, and shortcuts that average-pool (2, ceil) before any 1x1 conv; each
 * block's last BatchNorm starts at weight 0 (fastai's zero_bn, which the benchmark's xresnet1d uses).
 * As in the benchmark's code, every stage has width 64 (256 after expansion), which keeps it at ~1.9M parameters.
 */
import { z } from 'zod';
import * as F from '../../engine/ops.js';
import type { Tensor } from '../../engine/tensor.js';
import { fillInPlace } from '../../engine/inplace.js';
import { noGrad } from '../../engine/autograd.js';
import { BatchNorm1d, Module, Sequential, type Layer } from '../../nn/index.js';
import { ConcatPoolHead, ConvBn, checkInput, headFields, initialiseLikeBenchmark, oddKernel } from './common.js';

const positiveInt = z.number().int().positive();

export const xresnet1dConfigSchema = z
  .strictObject({
    ...headFields,
    /** Output channels of the three stem convs. */
    stemChannels: z.tuple([positiveInt, positiveInt, positiveInt]),
    stemKernel: oddKernel,
    /** Blocks per stage (xresnet101: [3, 4, 23, 3]); stages after the first start with stride 2. */
    layers: z.array(positiveInt).min(1),
    /** Bottleneck width per stage; a block outputs width * expansion channels. */
    widths: z.array(positiveInt).min(1),
    /** 1: two k convs per block; 4: the 1x1 -> k -> 1x1 bottleneck. */
    expansion: z.union([z.literal(1), z.literal(4)]),
    kernel: oddKernel,
  })
  .refine((c) => c.layers.length === c.widths.length, {
    message: 'layers and widths must have one entry per stage',
    path: ['widths'],
  });
export type XResNet1dConfig = z.infer<typeof xresnet1dConfigSchema>;

/** The benchmark's fastai_xresnet1d101: stem 32-32-64 (kernel 5), blocks [3, 4, 23, 3] of width 64, kernel 5. */
export function xresnet1d101Config(leads: number, classes: number): XResNet1dConfig {
  return {
    leads,
    classes,
    stemChannels: [32, 32, 64],
    stemKernel: 5,
    layers: [3, 4, 23, 3],
    widths: [64, 64, 64, 64],
    expansion: 4,
    kernel: 5,
    hidden: [128],
    dropout: 0.5,
  };
}

export interface ResBlockSpec {
  inChannels: number;
  width: number;
  expansion: 1 | 4;
  stride: number;
  kernel: number;
}

/** ReLU(convs(x) + shortcut(x)); the shortcut average-pools when strided and projects when channels change. */
export class XResBlock1d extends Module implements Layer {
  readonly convs: Sequential;
  readonly shortcut: ConvBn | null;

  constructor(readonly spec: ResBlockSpec) {
    super();
    const { inChannels, width, expansion, stride, kernel } = spec;
    const out = width * expansion;
    const convs =
      expansion === 1
        ? [new ConvBn(inChannels, width, kernel, stride), new ConvBn(width, out, kernel, 1, false)]
        : [
            new ConvBn(inChannels, width, 1),
            new ConvBn(width, width, kernel, stride),
            new ConvBn(width, out, 1, 1, false),
          ];
    this.convs = this.registerModule('convs', new Sequential(...convs));
    // The benchmark's (fastai's) zero_bn: the branch's last BatchNorm starts at weight 0, so every block starts as
    // its shortcut and the 23-block stage does not grow activations at initialisation.
    const last = convs.at(-1)!.layers[1] as BatchNorm1d;
    noGrad(() => fillInPlace(last.weight, 0));
    this.shortcut = inChannels !== out ? this.registerModule('shortcut', new ConvBn(inChannels, out, 1, 1, false)) : null;
  }

  forward(x: Tensor): Tensor {
    let identity = this.spec.stride === 1 ? x : F.avgPool1d(x, 2, { stride: 2, ceilMode: true });
    if (this.shortcut) identity = this.shortcut.forward(identity);
    return F.relu(F.add(this.convs.forward(x), identity));
  }
}

export class XResNet1d extends Module {
  readonly stem: Sequential;
  readonly blocks: Sequential;
  readonly head: ConcatPoolHead;

  constructor(readonly config: XResNet1dConfig) {
    super();
    const c = xresnet1dConfigSchema.parse(config);
    const [s1, s2, s3] = c.stemChannels;
    this.stem = this.registerModule(
      'stem',
      new Sequential(
        new ConvBn(c.leads, s1, c.stemKernel, 2),
        new ConvBn(s1, s2, c.stemKernel),
        new ConvBn(s2, s3, c.stemKernel),
      ),
    );
    const blocks: Layer[] = [];
    let inChannels = s3;
    c.layers.forEach((count, stage) => {
      for (let i = 0; i < count; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        blocks.push(new XResBlock1d({ inChannels, width: c.widths[stage]!, expansion: c.expansion, stride, kernel: c.kernel }));
        inChannels = c.widths[stage]! * c.expansion;
      }
    });
    this.blocks = this.registerModule('blocks', new Sequential(...blocks));
    this.head = this.registerModule('head', new ConcatPoolHead(inChannels, c.classes, c.hidden, c.dropout));
    initialiseLikeBenchmark(this);
  }

  /** The last stage's feature sequence [N, width * expansion, ~L / 2^(stages+1)]. */
  features(x: Tensor): Tensor {
    checkInput('xresnet1d', x, this.config.leads);
    const stem = this.stem.forward(x);
    return this.blocks.forward(F.maxPool1d(stem, 3, { stride: 2, padding: 1 }));
  }

  /** Logits [N, classes]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}
