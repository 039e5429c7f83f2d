/**
 * resnet1d_wang: the residual time-series baseline of Wang et al. 2017 as adapted to 1D ECG in the PTB-XL benchmark
 * (Strodthoff et al. 2020). A stride-1 stem conv, then stages of basic residual blocks (two convs, kernels 5 and 3)
 * at a constant width of 128, each stage after the first halving the length, then the concat-pooling head.
 */
import { z } from 'zod';
import * as F from '../../engine/ops.js';
import type { Tensor } from '../../engine/tensor.js';
import { BatchNorm1d, Conv1d, Module, Sequential, type Layer } from '../../nn/index.js';
import { ConcatPoolHead, ConvBn, checkInput, headFields, initialiseLikeBenchmark, oddKernel } from './common.js';

export const resnet1dWangConfigSchema = z.strictObject({
  ...headFields,
  /** Channels of the stem and every block (the benchmark keeps the width fixed). */
  channels: z.number().int().positive(),
  /** Basic blocks per stage; every stage after the first starts with stride 2. */
  blocks: z.array(z.number().int().positive()).min(1),
  /** Kernels of a block's first and second conv. */
  kernels: z.tuple([oddKernel, oddKernel]),
  stemKernel: oddKernel,
});
export type ResNet1dWangConfig = z.infer<typeof resnet1dWangConfigSchema>;

/** The benchmark's configuration (fastai_resnet1d_wang: inplanes 128, kernels [5, 3], stem 7, head [128], ps 0.5). */
export function resnet1dWangConfig(leads: number, classes: number): ResNet1dWangConfig {
  return { leads, classes, channels: 128, blocks: [1, 1, 1], kernels: [5, 3], stemKernel: 7, hidden: [128], dropout: 0.5 };
}

/** conv(k0, stride) -> BN -> ReLU -> conv(k1) -> BN, plus the input (1x1 conv + BN when the shape changes), ReLU. */
export class BasicBlock1d extends Module implements Layer {
  readonly conv1: Conv1d;
  readonly bn1: BatchNorm1d;
  readonly conv2: Conv1d;
  readonly bn2: BatchNorm1d;
  readonly downsample: ConvBn | null;

  constructor(inChannels: number, outChannels: number, stride: number, kernels: readonly [number, number]) {
    super();
    const [k1, k2] = kernels;
    this.conv1 = this.registerModule(
      'conv1',
      new Conv1d(inChannels, outChannels, k1, { stride, padding: (k1 - 1) >> 1, bias: false }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm1d(outChannels));
    this.conv2 = this.registerModule('conv2', new Conv1d(outChannels, outChannels, k2, { padding: (k2 - 1) >> 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm1d(outChannels));
    const reshapes = stride !== 1 || inChannels !== outChannels;
    this.downsample = reshapes
      ? this.registerModule('downsample', new ConvBn(inChannels, outChannels, 1, stride, false))
      : null;
  }

  forward(x: Tensor): Tensor {
    const y = this.bn2.forward(this.conv2.forward(F.relu(this.bn1.forward(this.conv1.forward(x)))));
    const residual = this.downsample ? this.downsample.forward(x) : x;
    return F.relu(F.add(y, residual));
  }
}

export class ResNet1dWang extends Module {
  readonly stem: ConvBn;
  readonly blocks: Sequential;
  readonly head: ConcatPoolHead;

  constructor(readonly config: ResNet1dWangConfig) {
    super();
    const c = resnet1dWangConfigSchema.parse(config);
    this.stem = this.registerModule('stem', new ConvBn(c.leads, c.channels, c.stemKernel));
    const blocks: Layer[] = [];
    c.blocks.forEach((count, stage) => {
      for (let i = 0; i < count; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        blocks.push(new BasicBlock1d(c.channels, c.channels, stride, c.kernels));
      }
    });
    this.blocks = this.registerModule('blocks', new Sequential(...blocks));
    this.head = this.registerModule('head', new ConcatPoolHead(c.channels, c.classes, c.hidden, c.dropout));
    initialiseLikeBenchmark(this);
  }

  /** The last stage's feature sequence [N, channels, ceil(L / 2^(stages-1))]. */
  features(x: Tensor): Tensor {
    checkInput('resnet1d_wang', x, this.config.leads);
    return this.blocks.forward(this.stem.forward(x));
  }

  /** Logits [N, classes]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}
