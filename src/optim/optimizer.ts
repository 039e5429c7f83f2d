/** Parameter groups, zero_grad and gradient clipping shared by the optimisers. */
import { CheckpointError, EcgError } from '../errors.js';
import { noGrad } from '../engine/autograd.js';
import { copyInPlace, mulInPlace } from '../engine/inplace.js';
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module, Parameter, StoredTensor } from '../nn/module.js';

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

  /** The named state tensors of one parameter, created (zero) when it has none yet. */
  protected abstract ensureState(param: Parameter): Map<string, Tensor>;

  /** Parameters that have state, with it. */
  protected abstract statefulParams(): Iterable<[Parameter, Map<string, Tensor>]>;

  /** Optimiser state for checkpoints: tensors by `<param index>.<name>` (index over every group's parameters). */
  stateTensors(): Map<string, Tensor> {
    const index = new Map(this.groups.flatMap((g) => g.params).map((p, i) => [p, i]));
    const out = new Map<string, Tensor>();
    for (const [param, state] of this.statefulParams()) {
      for (const [name, t] of state) out.set(`${index.get(param)}.${name}`, t);
    }
    return out;
  }

  /**
   * Restores state saved by stateTensors() (and the step count), e.g. to resume training exactly. Every key must
   * name a parameter of this optimiser and fit its shape; otherwise CheckpointError, before anything is changed.
   */
  loadState(saved: Map<string, StoredTensor>, stepCount: number, source = 'optimizer state'): void {
    const params = this.groups.flatMap((g) => g.params);
    const parsed = [...saved].map(([key, value]) => {
      const dot = key.indexOf('.');
      const param = params[Number(key.slice(0, dot))];
      if (dot < 1 || param === undefined) {
        throw new CheckpointError(
          `${source}: optimizer state ${key} names no parameter (this optimizer has ${params.length})`,
        );
      }
      if (value.shape.join() !== param.shape.join()) {
        throw new CheckpointError(
          `${source}: optimizer state ${key} is [${value.shape.join(', ')}], its parameter [${param.shape.join(', ')}]`,
        );
      }
      return { param, name: key.slice(dot + 1), value };
    });
    noGrad(() =>
      scope(() => {
        for (const { param, name, value } of parsed) {
          const target = this.ensureState(param).get(name);
          if (target === undefined)
            throw new CheckpointError(`${source}: ${this.constructor.name} has no state named ${name}`);
          copyInPlace(target, F.tensor(value.data, value.shape, target.dtype));
        }
      }),
    );
    this.stepCount = stepCount;
  }

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
