/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, the same update as torch.optim.AdamW. */
import { addcdivInPlace, addcmulInPlace, lerpInPlace, mulInPlace } from '../engine/inplace.js';
import * as F from '../engine/ops.js';
import { keep } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
}

interface Moments {
  expAvg: Tensor;
  expAvgSq: Tensor;
}

export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly #state = new Map<Parameter, Moments>();

  constructor(groups: ParamGroup[], options: AdamWOptions = {}) {
    super(groups);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
  }

  protected update(param: Parameter, grad: Tensor, group: ParamGroup, paramStep: number): void {
    const { expAvg, expAvgSq } = this.moments(param);
    if (group.weightDecay !== 0) mulInPlace(param, 1 - group.lr * group.weightDecay);
    lerpInPlace(expAvg, grad, 1 - this.beta1);
    mulInPlace(expAvgSq, this.beta2);
    addcmulInPlace(expAvgSq, grad, grad, 1 - this.beta2);
    const biasCorrection1 = 1 - this.beta1 ** paramStep;
    const biasCorrection2 = 1 - this.beta2 ** paramStep;
    const denom = F.add(F.div(F.sqrt(expAvgSq), Math.sqrt(biasCorrection2)), this.eps);
    addcdivInPlace(param, expAvg, denom, -group.lr / biasCorrection1);
  }

  private moments(param: Parameter): Moments {
    let state = this.#state.get(param);
    if (state === undefined) {
      state = {
        expAvg: keep(F.zeros(param.shape, param.dtype)),
        expAvgSq: keep(F.zeros(param.shape, param.dtype)),
      };
      this.#state.set(param, state);
    }
    return state;
  }

  protected ensureState(param: Parameter): Map<string, Tensor> {
    const { expAvg, expAvgSq } = this.moments(param);
    return new Map([
      ['exp_avg', expAvg],
      ['exp_avg_sq', expAvgSq],
    ]);
  }

  protected *statefulParams(): Iterable<[Parameter, Map<string, Tensor>]> {
    for (const param of this.#state.keys()) yield [param, this.ensureState(param)];
  }
}
