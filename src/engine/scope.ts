/**
 * Disposal scopes, like tf.tidy: every Tensor created while `scope(fn)` runs is disposed when fn returns, except
 * the tensors fn returns (found in arrays and plain objects) and those passed to keep().
 * The stack is per JS realm (each worker thread has its own), the same way autograd's grad mode is per thread.
 */
import { EcgError } from '../errors.js';

interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Called when no scope will release it: it then relies on garbage collection. */
  untracked?(): void;
}

const scopes: Array<Set<Disposable>> = [];

/** Called by the Tensor constructor: the innermost scope takes it, or, outside every scope, GC is its backstop. */
export function trackTensor(tensor: Disposable): void {
  const current = scopes[scopes.length - 1];
  if (current) current.add(tensor);
  else tensor.untracked?.();
}

/** Removes a tensor from every open scope, so it outlives them (parameters, optimizer state, results). */
export function keep<T extends Disposable>(tensor: T): T {
  for (const scope of scopes) scope.delete(tensor);
  tensor.untracked?.();
  return tensor;
}

/** Runs fn and disposes every tensor it created that is not part of its result. fn must be synchronous. */
export function scope<T>(fn: () => T): T {
  const created = new Set<Disposable>();
  scopes.push(created);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new EcgError('scope(fn): fn returned a Promise; scopes only track synchronous work');
    }
  } catch (error) {
    scopes.pop();
    for (const tensor of created) tensor.dispose();
    throw error;
  }
  scopes.pop();
  const kept = new Set<Disposable>();
  collectDisposables(result, kept);
  for (const tensor of created) {
    if (kept.has(tensor)) trackTensor(tensor);
    else tensor.dispose();
  }
  return result;
}

/** Number of open scopes (for tests and diagnostics). */
export function scopeDepth(): number {
  return scopes.length;
}

function collectDisposables(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectDisposables(item, out, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const item of value.values()) collectDisposables(item, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectDisposables(item, out, depth + 1);
  }
}

function isDisposable(value: object): value is Disposable {
  return typeof (value as Disposable).dispose === 'function' && 'isDisposed' in value;
}
