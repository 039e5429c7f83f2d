/**
 * Exponential moving average of a model's weights (Polyak averaging, "EMA" as in timm's ModelEmaV2): after every
 * optimiser step, average <- decay * average + (1 - decay) * weights, over the parameters and the floating-point
 * buffers (BatchNorm running statistics). With `--ema DECAY` the average *is* the run's model: it is what validation
 * scores, what a cross-validation fold reports and what every checkpoint stores as the model's weights (so export,
 * evaluate and bundle need nothing new). The live weights the optimiser moves are stored beside the optimiser state as
 * `live.<name>`, so a resumed run continues exactly.
 *
 * The decay ramps up as min(decay, (1 + t) / (10 + t)) over the first steps (t = steps taken), so the average is not
 * dominated by the random initialisation in short runs.
 */
import { clone, tensor } from '../engine/ops.js';
import { copyInPlace, lerpInPlace } from '../engine/inplace.js';
import { noGrad } from '../engine/autograd.js';
import { keep } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { CheckpointError } from '../errors.js';
import type { Module, StoredTensor } from '../nn/module.js';

/** Prefix of the live weights in a checkpoint's optimiser state. */
export const LIVE_PREFIX = 'live.';

interface Pair {
  name: string;
  /** The model's tensor (the optimiser moves it). */
  model: Tensor;
  /** The other copy: the average while the live weights are in the model, the live weights while swapped. */
  other: Tensor;
}

export class WeightAverage {
  readonly #pairs: Pair[];
  /** True while the model holds the average (and `other` the live weights). */
  #swapped = false;

  constructor(
    module: Module,
    readonly decay: number,
  ) {
    const tensors = [...module.namedParameters(), ...module.namedBuffers()].filter(
      ([, t]) => t.dtype === 'float32' || t.dtype === 'float64',
    );
    this.#pairs = noGrad(() => tensors.map(([name, model]) => ({ name, model, other: keep(clone(model)) })));
  }

  /** One averaging step after optimiser step number `step` (0-based, counted over the whole run). */
  update(step: number): void {
    if (this.#swapped) throw new Error('WeightAverage.update while the average is swapped in');
    const decay = Math.min(this.decay, (1 + step) / (10 + step));
    noGrad(() => {
      for (const pair of this.#pairs) lerpInPlace(pair.other, pair.model, 1 - decay);
    });
  }

  /** Runs `fn` with the average in the model, then puts the live weights back (also when `fn` throws). */
  async withAverage<T>(fn: () => T | Promise<T>): Promise<T> {
    this.swap();
    try {
      return await fn();
    } finally {
      this.swap();
    }
  }

  /** The live weights, for the checkpoint's optimiser state (valid while the average is swapped in). */
  liveState(): Map<string, StoredTensor> {
    if (!this.#swapped) throw new Error('WeightAverage.liveState needs the average swapped in');
    return new Map(
      this.#pairs.map((pair) => [
        `${LIVE_PREFIX}${pair.name}`,
        { shape: [...pair.other.shape], data: pair.other.data() },
      ]),
    );
  }

  /**
   * Resuming: the model was loaded with a checkpoint's weights, which are the average; `saved` holds the live ones.
   * Afterwards the model holds the live weights and this object the average. Throws when a live tensor is missing.
   */
  restoreLive(saved: Map<string, StoredTensor>, source: string): void {
    noGrad(() => {
      for (const pair of this.#pairs) {
        const live = saved.get(`${LIVE_PREFIX}${pair.name}`);
        if (live === undefined)
          throw new CheckpointError(
            `${source}: no ${LIVE_PREFIX}${pair.name} (was this run trained with --ema?)`,
          );
        if (live.shape.join() !== pair.model.shape.join())
          throw new CheckpointError(
            `${source}: ${LIVE_PREFIX}${pair.name} is [${live.shape.join(', ')}], the model's [${pair.model.shape.join(', ')}]`,
          );
        copyInPlace(pair.other, pair.model); // the checkpoint's weights are the average
        const value = tensor(live.data, live.shape, pair.model.dtype);
        copyInPlace(pair.model, value);
        value.dispose();
      }
    });
  }

  dispose(): void {
    for (const pair of this.#pairs) pair.other.dispose();
  }

  private swap(): void {
    noGrad(() => {
      for (const pair of this.#pairs) {
        const held = clone(pair.model);
        copyInPlace(pair.model, pair.other);
        copyInPlace(pair.other, held);
        held.dispose();
      }
    });
    this.#swapped = !this.#swapped;
  }
}

/** Splits a checkpoint's optimiser state into the optimiser's own entries and the live weights. */
export function withoutLiveWeights(saved: Map<string, StoredTensor>): Map<string, StoredTensor> {
  return new Map([...saved].filter(([key]) => !key.startsWith(LIVE_PREFIX)));
}
