/**
 * inception1d: the InceptionTime network (Ismail Fawaz et al. 2020) as used in the PTB-XL benchmark (Strodthoff et
 * al. 2020). Each block: a 1x1 bottleneck, three parallel convs (kernels k, k/2, k/4 made odd: 39, 19, 9) and a
 * max-pool -> 1x1 branch, concatenated, BatchNorm, ReLU. A residual shortcut (1x1 conv + BN) joins every third
 * block. Stride 1 throughout: the sequence keeps its length until the concat-pooling head.
 */
import { z } from 'zod';
import { ShapeError } from '../../errors.js';
import * as F from '../../engine/ops.js';
import type { Tensor } from '../../engine/tensor.js';
import { BatchNorm1d, Conv1d, Module, Sequential, type Layer } from '../../nn/index.js';
import { ConcatPoolHead, ConvBn, checkInput, headFields, initialiseLikeBenchmark } from './common.js';

const positiveInt = z.number().int().positive();

export const inception1dConfigSchema = z.strictObject({
  ...headFields,
  /** Longest branch kernel before rounding down to odd; the branches use k, k/2, k/4. */
  kernel: z.number().int().min(4),
  /** Inception blocks; a multiple of 3 (one shortcut per 3 blocks). */
  depth: positiveInt.refine((d) => d % 3 === 0, 'depth must be a multiple of 3'),
  /** Bottleneck channels (0: the branches read the block input directly). */
  bottleneck: z.number().int().min(0),
  /** Channels of each of the four branches; a block outputs 4 * filters. */
  filters: positiveInt,
  residual: z.boolean(),
});
export type Inception1dConfig = z.infer<typeof inception1dConfigSchema>;

/** The benchmark's fastai_inception1d: kernel 40 (39/19/9), depth 6, bottleneck 32, 32 filters, residual. */
export function inception1dConfig(leads: number, classes: number): Inception1dConfig {
  return { leads, classes, kernel: 40, depth: 6, bottleneck: 32, filters: 32, residual: true, hidden: [128], dropout: 0.5 };
}

/** The three branch kernels: k, k/2, k/4 (integer division), each made odd by subtracting 1 when even. */
export function branchKernels(kernel: number): number[] {
  return [kernel, kernel >> 1, kernel >> 2].map((k) => (k % 2 === 0 ? k - 1 : k));
}

const conv = (inChannels: number, outChannels: number, kernel: number): Conv1d =>
  new Conv1d(inChannels, outChannels, kernel, { padding: (kernel - 1) >> 1, bias: false });

export class InceptionBlock1d extends Module implements Layer {
  readonly bottleneck: Conv1d | null;
  readonly branches: Sequential;
  readonly poolBranch: Conv1d;
  readonly bn: BatchNorm1d;

  constructor(inChannels: number, filters: number, kernels: readonly number[], bottleneck: number) {
    super();
    this.bottleneck = bottleneck > 0 ? this.registerModule('bottleneck', conv(inChannels, bottleneck, 1)) : null;
    const branchInput = bottleneck > 0 ? bottleneck : inChannels;
    this.branches = this.registerModule('branches', new Sequential(...kernels.map((k) => conv(branchInput, filters, k))));
    this.poolBranch = this.registerModule('pool_branch', conv(inChannels, filters, 1));
    this.bn = this.registerModule('bn', new BatchNorm1d((kernels.length + 1) * filters));
  }

  forward(x: Tensor): Tensor {
    const bottled = this.bottleneck ? this.bottleneck.forward(x) : x;
    const outputs = this.branches.layers.map((branch) => branch.forward(bottled));
    outputs.push(this.poolBranch.forward(F.maxPool1d(x, 3, { stride: 1, padding: 1 })));
    return F.relu(this.bn.forward(F.cat(outputs, 1)));
  }
}

export class Inception1d extends Module {
  readonly blocks: Sequential;
  readonly shortcuts: Sequential | null;
  readonly head: ConcatPoolHead;

  constructor(readonly config: Inception1dConfig) {
    super();
    const c = inception1dConfigSchema.parse(config);
    const kernels = branchKernels(c.kernel);
    if (kernels.some((k) => k < 1)) throw new ShapeError(`inception1d: kernel ${c.kernel} gives branch kernels ${kernels}`);
    const width = (kernels.length + 1) * c.filters;
    const inputOf = (d: number): number => (d === 0 ? c.leads : width);
    const blocks = Array.from({ length: c.depth }, (_, d) => new InceptionBlock1d(inputOf(d), c.filters, kernels, c.bottleneck));
    this.blocks = this.registerModule('blocks', new Sequential(...blocks));
    this.shortcuts = c.residual
      ? this.registerModule(
          'shortcuts',
          new Sequential(...Array.from({ length: c.depth / 3 }, (_, i) => new ConvBn(inputOf(3 * i), width, 1, 1, false))),
        )
      : null;
    this.head = this.registerModule('head', new ConcatPoolHead(width, c.classes, c.hidden, c.dropout));
    initialiseLikeBenchmark(this);
  }

  /** The last block's feature sequence [N, 4 * filters, L]. */
  features(x: Tensor): Tensor {
    checkInput('inception1d', x, this.config.leads);
    let residual = x;
    let y = x;
    this.blocks.layers.forEach((block, d) => {
      y = block.forward(y);
      if (this.shortcuts && d % 3 === 2) {
        y = F.relu(F.add(y, this.shortcuts.layers[(d - 2) / 3]!.forward(residual)));
        residual = y;
      }
    });
    return y;
  }

  /** Logits [N, classes]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}
