/**
 * Pieces shared by the PTB-XL benchmark baselines (Strodthoff et al. 2020): conv + BatchNorm (+ ReLU) units, the
 * concat-pooling classification head, the benchmark's weight initialisation, and the zod fields their configs share.
 */
import { z } from 'zod';
import { ShapeError } from '../../errors.js';
import * as F from '../../engine/ops.js';
import { noGrad } from '../../engine/autograd.js';
import { setData, fillInPlace } from '../../engine/inplace.js';
import type { Tensor } from '../../engine/tensor.js';
import { Activation, BatchNorm1d, Conv1d, Dropout, Linear, Module, Sequential, type Layer } from '../../nn/index.js';
import { fanIn, normal } from '../../nn/init.js';

const positiveInt = z.number().int().positive();
/** An odd kernel keeps 'same'-style padding (k-1)/2 exact, so residual branches keep equal lengths. */
export const oddKernel = positiveInt.refine((k) => k % 2 === 1, 'kernel sizes must be odd');

/** Config fields every baseline has: input leads, output classes and the concat-pooling head. */
export const headFields = {
  leads: positiveInt,
  classes: positiveInt,
  /** Hidden widths of the head's fully connected layers (the benchmark uses [128]). */
  hidden: z.array(positiveInt),
  /** Dropout before the last linear layer; earlier head layers use half of it (the benchmark's ps_head = 0.5). */
  dropout: z.number().min(0).lt(1),
};

/** Conv1d without bias (a BatchNorm follows), padding (k-1)/2, then BatchNorm1d and optionally ReLU. */
export class ConvBn extends Sequential {
  constructor(inChannels: number, outChannels: number, kernel: number, stride = 1, relu = true) {
    const layers: Layer[] = [
      new Conv1d(inChannels, outChannels, kernel, { stride, padding: (kernel - 1) >> 1, bias: false }),
      new BatchNorm1d(outChannels),
    ];
    if (relu) layers.push(new Activation('relu'));
    super(...layers);
  }
}

/** BatchNorm1d -> Dropout (when p > 0) -> Linear -> ReLU (except in the last block): one step of the head. */
class HeadBlock extends Module implements Layer {
  readonly norm: BatchNorm1d;
  readonly dropout: Dropout;
  readonly linear: Linear;

  constructor(
    inFeatures: number,
    outFeatures: number,
    p: number,
    readonly relu: boolean,
  ) {
    super();
    this.norm = this.registerModule('norm', new BatchNorm1d(inFeatures));
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.linear = this.registerModule('linear', new Linear(inFeatures, outFeatures));
  }

  forward(x: Tensor): Tensor {
    const y = this.linear.forward(this.dropout.forward(this.norm.forward(x)));
    return this.relu ? F.relu(y) : y;
  }
}

/**
 * The benchmark's head: concatenated global max and average pooling [N, 2C] (max first), then HeadBlocks through
 * `hidden` to `classes`. Dropout is `dropout` before the output layer and half of it before the hidden ones.
 */
export class ConcatPoolHead extends Sequential {
  constructor(channels: number, classes: number, hidden: readonly number[], dropout: number) {
    const widths = [2 * channels, ...hidden, classes];
    const blocks: Layer[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      blocks.push(new HeadBlock(widths[i]!, widths[i + 1]!, last ? dropout : dropout / 2, !last));
    }
    super(...blocks);
  }

  override forward(features: Tensor): Tensor {
    const [n, c] = features.shape;
    const pooled = F.cat([F.adaptiveMaxPool1d(features, 1), F.adaptiveAvgPool1d(features, 1)], 1);
    return super.forward(F.reshape(pooled, [n!, 2 * c!]));
  }
}

/** Throws unless x is [batch, leads, samples] with at least `minSamples` samples. */
export function checkInput(model: string, x: Tensor, leads: number, minSamples = 1): void {
  if (x.rank !== 3 || x.shape[1] !== leads || x.shape[2]! < minSamples) {
    throw new ShapeError(
      `${model}: input must be [batch, ${leads} leads, >= ${minSamples} samples], got [${x.shape.join(', ')}]`,
    );
  }
}

/**
 * The benchmark's initialisation for training from scratch: Kaiming-normal (fan-in, ReLU gain) conv and linear
 * weights, zero biases, BatchNorm scale 1 and shift 0.
 */
export function initialiseLikeBenchmark(model: Module): void {
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      if (name.endsWith('.weight') && p.rank >= 2) {
        const init = normal(p.shape, Math.sqrt(2 / Math.max(1, fanIn(p.shape))));
        setData(p, init);
        init.dispose();
      } else if (name.endsWith('.bias')) {
        fillInPlace(p, 0);
      }
    }
  });
}
