/**
 * Standard layers over the engine's ops. Each documents its Shape. Parameter names follow torch.nn so that
 * state dicts are interchangeable with PyTorch.
 */
import { ShapeError } from '../errors.js';
import * as F from '../engine/ops.js';
import { fillInPlace } from '../engine/inplace.js';
import type { Tensor } from '../engine/tensor.js';
import { defaultWeight, fanIn, normal, uniform } from './init.js';
import { Module, type Layer, type Parameter } from './module.js';

export interface Conv1dOptions {
  stride?: number;
  /** A number, or 'same' for stride 1 (output length = input length). */
  padding?: number | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

/**
 * Shape: [N, inChannels, L] -> [N, outChannels, Lout], Lout = floor((L + 2p - d(k-1) - 1)/s) + 1.
 */
export class Conv1d extends Module implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.dilation = options.dilation ?? 1;
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ShapeError(
        `Conv1d: channels ${inChannels}->${outChannels} are not divisible by groups ${this.groups}`,
      );
    }
    const padding = options.padding ?? 0;
    if (padding === 'same') {
      if (this.stride !== 1) throw new ShapeError("Conv1d: padding 'same' needs stride 1");
      const total = this.dilation * (kernelSize - 1);
      if (total % 2 !== 0) throw new ShapeError("Conv1d: padding 'same' needs an odd effective kernel");
      this.padding = total / 2;
    } else {
      this.padding = padding;
    }
    const shape = [outChannels, inChannels / this.groups, kernelSize];
    this.weight = this.registerParameter('weight', defaultWeight(shape));
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', uniform([outChannels], 1 / Math.sqrt(fanIn(shape))), {
            decay: false,
          });
  }

  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

/** Shape: [N, C] or [N, C, L] -> same. Running statistics are updated in training mode (momentum 0.1). */
export class BatchNorm1d extends Module implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  #batches = 0;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super();
    this.weight = this.registerParameter('weight', F.ones([numFeatures]), { decay: false });
    this.bias = this.registerParameter('bias', F.zeros([numFeatures]), { decay: false });
    this.runningMean = this.registerBuffer('running_mean', F.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', F.ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', F.zeros([], 'int64'));
  }

  protected override afterLoad(): void {
    this.#batches = this.numBatchesTracked.item();
  }

  forward(x: Tensor): Tensor {
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `BatchNorm1d(${this.numFeatures}): expected [N, ${this.numFeatures}(, L)], got [${x.shape.join(', ')}]`,
      );
    }
    if (this.training) {
      // One value per channel has no variance: libtorch would store NaN in running_var for good (PyTorch's layer
      // refuses it in Python, above libtorch).
      if (x.shape[0]! * (x.shape[2] ?? 1) <= 1)
        throw new ShapeError(
          `BatchNorm1d(${this.numFeatures}): expected more than 1 value per channel when training, got input [${x.shape.join(', ')}]`,
        );
      this.#batches += 1;
      fillInPlace(this.numBatchesTracked, this.#batches);
    }
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

/** Shape: [..., in] -> [..., out]. */
export class Linear extends Module implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.weight = this.registerParameter('weight', defaultWeight([outFeatures, inFeatures]));
    this.bias = bias
      ? this.registerParameter('bias', uniform([outFeatures], 1 / Math.sqrt(inFeatures)), { decay: false })
      : null;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear(${this.inFeatures}, ${this.outFeatures}): last dimension of [${x.shape.join(', ')}] must be ${this.inFeatures}`,
      );
    }
    return F.linear(x, this.weight, this.bias);
  }
}

/** Shape: [..., normalizedShape] -> same. */
export class LayerNorm extends Module implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(
    readonly normalizedShape: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.registerParameter('weight', F.ones([normalizedShape]), { decay: false });
    this.bias = this.registerParameter('bias', F.zeros([normalizedShape]), { decay: false });
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.normalizedShape], this.weight, this.bias, this.eps);
  }
}

/** Zeroes elements with probability p in training (scaled by 1/(1-p)); identity in eval. */
export class Dropout extends Module implements Layer {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new ShapeError(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return this.p === 0 || !this.training ? F.mul(x, 1) : F.dropout(x, this.p, true);
  }
}

/** Shape: int64 indices [...] -> [..., dim]. Initialised N(0, 1) like torch.nn.Embedding. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super();
    this.weight = this.registerParameter('weight', normal([numEmbeddings, embeddingDim], 1), {
      decay: false,
    });
  }

  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int64')
      throw new ShapeError(`Embedding: indices must be int64, got ${indices.dtype}`);
    return F.embedding(this.weight, indices);
  }
}

export type ActivationName = 'silu' | 'relu' | 'gelu' | 'sigmoid' | 'tanh' | 'identity';

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  silu: F.silu,
  relu: F.relu,
  gelu: F.gelu,
  sigmoid: F.sigmoid,
  tanh: F.tanh,
  identity: (x) => F.mul(x, 1),
};

/** A parameter-free activation as a layer. */
export class Activation extends Module implements Layer {
  constructor(readonly kind: ActivationName) {
    super();
  }

  forward(x: Tensor): Tensor {
    return ACTIVATIONS[this.kind](x);
  }
}

/** Chains layers; children are named 0, 1, 2... as in torch.nn.Sequential. */
export class Sequential extends Module implements Layer {
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) {
      const next = layer.forward(out);
      if (out !== x) out.dispose();
      out = next;
    }
    return out;
  }
}
