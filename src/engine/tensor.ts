/**
 * Tensor: a typed, disposable view of one libtorch tensor.
 * Release is deterministic through scopes (scope.ts) or dispose()/`using`; if a Tensor is forgotten, the native
 * handle is freed when V8 collects it (the addon reports tensor bytes to V8 so that collection happens in time).
 */
import { DisposedError } from '../errors.js';
import { loadAddon, type DataTypeMap, type DType, type NativeHandle } from './binding.js';
import { trackTensor } from './scope.js';

export class Tensor {
  #handle: NativeHandle;
  #shape: readonly number[] | undefined;
  #disposed = false;

  /** Wraps a native handle; prefer the factories in ops.ts (tensor, zeros, ...). */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    trackTensor(this);
  }

  /** The native handle, for ops. Throws DisposedError after dispose(). */
  get handle(): NativeHandle {
    if (this.#disposed) throw new DisposedError('tensor was disposed: it cannot be used after dispose()');
    return this.#handle;
  }

  get shape(): readonly number[] {
    this.#shape ??= Object.freeze(this.handle.shape());
    return this.#shape;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get dtype(): DType {
    return this.handle.dtype();
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  get requiresGrad(): boolean {
    return this.handle.requiresGrad();
  }

  set requiresGrad(value: boolean) {
    this.handle.setRequiresGrad(value);
  }

  /** The accumulated gradient (a new handle on the same memory), or null before any backward(). */
  get grad(): Tensor | null {
    const grad = this.handle.grad();
    return grad === null ? null : new Tensor(grad);
  }

  /** Drops the accumulated gradient (like PyTorch's zero_grad(set_to_none=True)). */
  clearGrad(): void {
    this.handle.clearGrad();
  }

  /** Back-propagates from this tensor (a scalar loss unless a gradient is given). */
  backward(gradient?: Tensor, retainGraph = false): void {
    loadAddon().backward(this.handle, gradient?.handle ?? null, retainGraph);
  }

  /** A copy of the data, in row-major order, in the typed array of this tensor's dtype. */
  data<D extends DType = 'float32'>(): DataTypeMap[D] {
    return loadAddon().toData(this.handle) as DataTypeMap[D];
  }

  /** The value of a one-element tensor. */
  item(): number {
    return loadAddon().item(this.handle);
  }

  /** Native bytes held (as reported to V8). */
  get nbytes(): number {
    return this.#disposed ? 0 : this.#handle.nbytes();
  }

  /** No scope owns this tensor: let V8 see its native bytes so that, if forgotten, it is collected in time. */
  untracked(): void {
    if (!this.#disposed) this.#handle.reportMemory();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#handle.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return this.#disposed ? 'Tensor(disposed)' : `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}
