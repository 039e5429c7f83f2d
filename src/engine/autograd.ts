/** Autograd controls over libtorch's own autograd: no-grad scopes and functional gradients. */
import { ShapeError } from '../errors.js';
import { loadAddon } from './binding.js';
import { Tensor } from './tensor.js';

/** Runs fn with gradient recording off (like torch.no_grad()), restoring the previous mode afterwards. */
export function noGrad<T>(fn: () => T): T {
  const addon = loadAddon();
  const previous = addon.setGradEnabled(false);
  try {
    return fn();
  } finally {
    addon.setGradEnabled(previous);
  }
}

export function isGradEnabled(): boolean {
  return loadAddon().isGradEnabled();
}

export interface GradOptions {
  gradOutputs?: Tensor[];
  retainGraph?: boolean;
  createGraph?: boolean;
  /** When false (default), an input that outputs do not depend on is an error; when true its gradient is null. */
  allowUnused?: boolean;
}

/** Gradients of outputs with respect to inputs (torch.autograd.grad), without touching .grad. */
export function grad(outputs: Tensor[], inputs: Tensor[], options: GradOptions = {}): Array<Tensor | null> {
  let handles;
  try {
    handles = loadAddon().grad(
      outputs.map((t) => t.handle),
      inputs.map((t) => t.handle),
      options.gradOutputs ? options.gradOutputs.map((t) => t.handle) : null,
      options.retainGraph ?? false,
      options.createGraph ?? false,
      options.allowUnused ?? false,
    );
  } catch (error) {
    throw new ShapeError(`grad: ${(error as Error).message}`);
  }
  return handles.map((handle) => (handle === null ? null : new Tensor(handle)));
}
