/** Initialisers, with the same defaults as torch.nn so that models start from the same distributions. */
import { empty } from './tensors.js';
import { uniformInPlace, normalInPlace } from '../engine/inplace.js';
import type { Tensor } from '../engine/tensor.js';

/** fan_in of a weight [out, in, ...kernel] (or [out, in]). */
export function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

export function fanOut(shape: readonly number[]): number {
  return (shape[0] ?? 1) * shape.slice(2).reduce((a, b) => a * b, 1);
}

export function uniform(shape: readonly number[], bound: number): Tensor {
  const t = empty(shape);
  uniformInPlace(t, -bound, bound);
  return t;
}

export function normal(shape: readonly number[], std: number, mean = 0): Tensor {
  const t = empty(shape);
  normalInPlace(t, mean, std);
  return t;
}

/** torch.nn default for Conv/Linear weights: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function defaultWeight(shape: readonly number[]): Tensor {
  return uniform(shape, 1 / Math.sqrt(Math.max(1, fanIn(shape))));
}

/** Kaiming normal with fan_out, for ReLU/SiLU conv nets (EfficientNet's choice). */
export function kaimingNormalFanOut(shape: readonly number[]): Tensor {
  return normal(shape, Math.sqrt(2 / Math.max(1, fanOut(shape))));
}
