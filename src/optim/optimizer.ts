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

/** The state name under which a parameter's own step count is saved (as torch.optim keeps `step` per parameter). */
const STEP_STATE = 'step';

export abstract class Optimizer {
  readonly groups: ParamGroup[];
  /** Calls to step(): the schedule position. */
  stepCount = 0;
  /**
   * Updates each parameter has had. It differs from stepCount for a parameter without a gradient on some steps
   * (unused in the forward pass, or added later), whose bias corrections must count its own updates, as torch does.
   */
  readonly #paramSteps = new Map<Parameter, number>();

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
            if (grad === null) continue;
            const paramStep = (this.#paramSteps.get(p) ?? 0) + 1;
            this.#paramSteps.set(p, paramStep);
            this.update(p, grad, group, paramStep);
          }
        }
      }),
    );
  }

  /** `paramStep`: this parameter's updates so far, this one included (1 on its first). */
  protected abstract update(param: Parameter, grad: Tensor, group: ParamGroup, paramStep: number): void;

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

  /** stateTensors() copied out, with each parameter's step count as `<param index>.step`: what a checkpoint keeps. */
  savedState(): Map<string, StoredTensor> {
    const index = new Map(this.groups.flatMap((g) => g.params).map((p, i) => [p, i]));
    const out = new Map<string, StoredTensor>();
    for (const [name, t] of this.stateTensors()) out.set(name, { shape: [...t.shape], data: t.data() });
    for (const [param, steps] of this.#paramSteps) {
      out.set(`${index.get(param)}.${STEP_STATE}`, { shape: [1], data: Float64Array.of(steps) });
    }
    return out;
  }

  /**
   * Restores state saved by savedState() and the step count, e.g. to resume training exactly. Every key must
   * name a parameter of this optimiser and fit its shape; otherwise CheckpointError, before anything is changed.
   * A parameter with state but no saved step count (checkpoints written before they were kept) counts stepCount
   * updates, which is what it was updated with then.
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
      const name = key.slice(dot + 1);
      if (name === STEP_STATE) {
        const steps = value.data[0];
        if (value.data.length !== 1 || typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
          throw new CheckpointError(`${source}: optimizer state ${key} is not one whole number of steps`);
        }
        return { param, name, value };
      }
      if (value.shape.join() !== param.shape.join()) {
        throw new CheckpointError(
          `${source}: optimizer state ${key} is [${value.shape.join(', ')}], its parameter [${param.shape.join(', ')}]`,
        );
      }
      return { param, name, value };
    });
    this.#paramSteps.clear();
    noGrad(() =>
      scope(() => {
        for (const { param, name, value } of parsed) {
          if (name === STEP_STATE) {
            this.#paramSteps.set(param, Number(value.data[0]));
            continue;
          }
          if (!this.#paramSteps.has(param)) this.#paramSteps.set(param, stepCount);
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
