/** Parameter groups, zero_grad and gradient clipping shared by the optimisers. */
import { EcgError } from '../errors.js';
import { noGrad } from '../engine/autograd.js';
import { mulInPlace } from '../engine/inplace.js';
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module, Parameter } from '../nn/module.js';

export interface ParamGroup {
  params: Parameter[];
  lr: number;
  weightDecay: number;
}

/**
 * Two groups: weights with decay, and norms' scales and biases without (decaying those only hurts: they are
 * not over-parameterised and BatchNorm makes the weight scale irrelevant).
 */
export function weightDecayGroups(module: Module, lr: number, weightDecay: number): ParamGroup[] {
  const params = module.parameters();
  return [
    { params: params.filter((p) => p.decay), lr, weightDecay },
    { params: params.filter((p) => !p.decay), lr, weightDecay: 0 },
  ].filter((group) => group.params.length > 0);
}

export abstract class Optimizer {
  readonly groups: ParamGroup[];
  stepCount = 0;

  constructor(groups: ParamGroup[]) {
    if (groups.length === 0 || groups.every((g) => g.params.length === 0)) {
      throw new EcgError('optimizer: no parameters to optimise');
    }
    this.groups = groups;
  }

  /** Drops every gradient (set_to_none semantics: the next backward writes fresh ones). */
  zeroGrad(): void {
    for (const group of this.groups) for (const p of group.params) p.clearGrad();
  }

  /** Sets every group's learning rate (schedules call this). */
  setLearningRate(lr: number): void {
    for (const group of this.groups) group.lr = lr;
  }

  step(): void {
    this.stepCount += 1;
    noGrad(() =>
      scope(() => {
        for (const group of this.groups) {
          for (const p of group.params) {
            const grad = p.grad;
            if (grad !== null) this.update(p, grad, group);
          }
        }
      }),
    );
  }

  protected abstract update(param: Parameter, grad: Tensor, group: ParamGroup): void;

  /** Optimiser state for checkpoints: tensors by `<param index>.<name>` plus scalars. */
  abstract stateTensors(): Map<string, Tensor>;

  /** Frees the optimiser's state tensors. */
  dispose(): void {
    for (const t of this.stateTensors().values()) t.dispose();
  }
}

/**
 * Scales gradients so that their global L2 norm is at most maxNorm; returns the norm before clipping.
 */
export function clipGradNorm(params: Parameter[], maxNorm: number): number {
  return noGrad(() =>
    scope(() => {
      const grads = params.map((p) => p.grad).filter((g) => g !== null);
      if (grads.length === 0) return 0;
      const squares = grads.map((g) => F.sum(F.mul(g, g)));
      const total = Math.sqrt(F.sum(F.stack(squares, 0)).item());
      const factor = maxNorm / (total + 1e-6);
      if (factor < 1) for (const g of grads) mulInPlace(g, factor);
      return total;
    }),
  );
}
