/** Small creation helpers shared by the layers. */
import { zeros } from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

/** A float32 tensor to be filled by an initialiser (zeros, so it is never uninitialised memory). */
export function empty(shape: readonly number[]): Tensor {
  return zeros(shape);
}
