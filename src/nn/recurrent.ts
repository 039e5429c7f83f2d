/**
 * LSTM over libtorch's fused kernel. Parameter names and initialisation follow torch.nn.LSTM
 * (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse; U(-1/sqrt(hidden), 1/sqrt(hidden))).
 */
import { ShapeError } from '../errors.js';
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { uniform } from './init.js';
import { Module, type Parameter } from './module.js';

export interface LstmOptions {
  numLayers?: number;
  bidirectional?: boolean;
  /** Input as [batch, time, features] (default) rather than [time, batch, features]. */
  batchFirst?: boolean;
  /** Dropout between layers (training only). */
  dropout?: number;
  bias?: boolean;
}

export interface LstmState {
  /** [numLayers * directions, batch, hidden] */
  h: Tensor;
  c: Tensor;
}

export class LSTM extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly hasBiases: boolean;
  readonly flatWeights: Parameter[] = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: LstmOptions = {},
  ) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    this.batchFirst = options.batchFirst ?? true;
    this.dropout = options.dropout ?? 0;
    this.hasBiases = options.bias ?? true;
    const bound = 1 / Math.sqrt(hiddenSize);
    const directions = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * directions;
      for (let direction = 0; direction < directions; direction++) {
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const gates = 4 * hiddenSize;
        this.flatWeights.push(
          this.registerParameter(`weight_ih${suffix}`, uniform([gates, layerInput], bound)),
        );
        this.flatWeights.push(
          this.registerParameter(`weight_hh${suffix}`, uniform([gates, hiddenSize], bound)),
        );
        if (this.hasBiases) {
          this.flatWeights.push(
            this.registerParameter(`bias_ih${suffix}`, uniform([gates], bound), { decay: false }),
          );
          this.flatWeights.push(
            this.registerParameter(`bias_hh${suffix}`, uniform([gates], bound), { decay: false }),
          );
        }
      }
    }
  }

  /** x: [batch, time, inputSize] (batchFirst) -> output [batch, time, hidden * directions] and the final state. */
  forward(x: Tensor, state?: LstmState): { output: Tensor } & LstmState {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new ShapeError(
        `LSTM: input must be [batch, time, ${this.inputSize}], got [${x.shape.join(', ')}]`,
      );
    }
    const batch = x.shape[this.batchFirst ? 0 : 1]!;
    const stateShape = [this.numLayers * (this.bidirectional ? 2 : 1), batch, this.hiddenSize];
    const h0 = state?.h ?? F.zeros(stateShape, x.dtype);
    const c0 = state?.c ?? F.zeros(stateShape, x.dtype);
    return F.lstm(x, {
      h0,
      c0,
      weights: this.flatWeights,
      hasBiases: this.hasBiases,
      numLayers: this.numLayers,
      dropout: this.dropout,
      training: this.training,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
    });
  }
}
