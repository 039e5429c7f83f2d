/**
 * Module: named parameters, buffers and children, train/eval mode and state dicts, as in torch.nn.Module.
 * Registration is explicit (registerParameter/registerBuffer/registerModule) so that the state-dict keys are the
 * PyTorch ones (`conv.weight`, `bn.running_mean`) and a checkpoint can be read by `safetensors.torch.load_file`.
 */
import { CheckpointError } from '../errors.js';
import { loadAddon } from '../engine/binding.js';
import { keep } from '../engine/scope.js';
import { Tensor } from '../engine/tensor.js';
import { copyInPlace, setData } from '../engine/inplace.js';
import { noGrad } from '../engine/autograd.js';
import { arrayDtype, tensor as makeTensor, toDtype } from '../engine/ops.js';
import type { DType, TypedArray } from '../engine/binding.js';

export interface ParameterOptions {
  /** Whether weight decay applies (false for norms' scales and biases). */
  decay?: boolean;
}

/** A trainable leaf tensor owned by a module; it outlives every scope until the module is disposed. */
export class Parameter extends Tensor {
  readonly decay: boolean;

  /** Takes ownership of `init`'s data (init is disposed) as a new leaf that requires grad. */
  constructor(init: Tensor, options: ParameterOptions = {}) {
    super(loadAddon().detach(init.handle));
    init.dispose();
    keep(this);
    this.requiresGrad = true;
    this.decay = options.decay ?? true;
  }
}

/** A tensor saved in a state dict: enough to rebuild it in any engine. */
export interface StoredTensor {
  shape: readonly number[];
  data: TypedArray;
}

export abstract class Module {
  training = true;
  readonly #parameters = new Map<string, Parameter>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  protected registerParameter(name: string, init: Tensor, options?: ParameterOptions): Parameter {
    const parameter = new Parameter(init, options);
    this.#parameters.set(name, parameter);
    return parameter;
  }

  /** Buffers are state that is saved but not trained (e.g. running statistics). */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    keep(value);
    this.#buffers.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** Children in registration order. */
  children(): Array<[string, Module]> {
    return [...this.#children];
  }

  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const own: Array<[string, Parameter]> = [...this.#parameters].map(([n, p]) => [prefix + n, p]);
    const nested = [...this.#children].flatMap(([name, child]) => child.namedParameters(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const own: Array<[string, Tensor]> = [...this.#buffers].map(([n, b]) => [prefix + n, b]);
    const nested = [...this.#children].flatMap(([name, child]) => child.namedBuffers(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  /** Trainable parameter count. */
  numParameters(): number {
    return this.parameters().reduce((total, p) => total + p.size, 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.#children) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Casts floating-point parameters and buffers to dtype in place (like module.double() in PyTorch). */
  to(dtype: Extract<DType, 'float32' | 'float64'>): this {
    noGrad(() => {
      for (const t of this.stateDict().values()) {
        if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
        const cast = toDtype(t, dtype);
        setData(t, cast);
        cast.dispose();
      }
    });
    return this;
  }

  /** Parameters and buffers by their dotted names (the live tensors, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** The state dict copied out to typed arrays, e.g. for a checkpoint. */
  exportState(): Map<string, StoredTensor> {
    const out = new Map<string, StoredTensor>();
    for (const [name, t] of this.stateDict()) out.set(name, { shape: [...t.shape], data: t.data() });
    return out;
  }

  /**
   * Copies values into this module's parameters and buffers. Every missing, unexpected and mis-shaped key is
   * collected and reported in one CheckpointError (nothing is changed in that case).
   */
  loadState(state: Map<string, StoredTensor | Tensor>, source = 'state dict'): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    const misShaped: string[] = [];
    const misTyped: string[] = [];
    for (const [name, target] of own) {
      const value = state.get(name);
      if (value && value.shape.join() !== target.shape.join()) {
        misShaped.push(`${name}: expected [${target.shape.join(', ')}], got [${value.shape.join(', ')}]`);
      }
      // Values of another dtype would be cast silently (an F32 tensor labelled I32 becomes garbage weights).
      const dtype =
        value === undefined ? target.dtype : value instanceof Tensor ? value.dtype : arrayDtype(value.data);
      if (dtype !== target.dtype)
        misTyped.push(`${name}: expected ${target.dtype}, got ${dtype ?? 'unknown'}`);
    }
    if (missing.length + unexpected.length + misShaped.length + misTyped.length > 0) {
      const parts = [
        missing.length ? `missing keys: ${missing.join(', ')}` : '',
        unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '',
        misShaped.length ? `shape mismatches: ${misShaped.join('; ')}` : '',
        misTyped.length ? `dtype mismatches: ${misTyped.join('; ')}` : '',
      ].filter(Boolean);
      throw new CheckpointError(`${source} does not fit ${this.constructor.name}: ${parts.join('. ')}`);
    }
    noGrad(() => {
      for (const [name, target] of own) {
        const value = state.get(name)!;
        if (value instanceof Tensor) {
          copyInPlace(target, value);
        } else {
          const source = makeTensor(value.data, value.shape);
          copyInPlace(target, source);
          source.dispose();
        }
      }
    });
    for (const module of this.modules()) module.afterLoad();
  }

  /** This module and every descendant, depth first. */
  modules(): Module[] {
    return [this, ...[...this.#children.values()].flatMap((child) => child.modules())];
  }

  /** Called after loadState changed this module's tensors, for state mirrored outside them (e.g. counters). */
  protected afterLoad(): void {}

  /** Releases every parameter and buffer. The module cannot be used afterwards. */
  dispose(): void {
    for (const [, p] of this.namedParameters()) p.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}

/** A module with one tensor in and one tensor out, the kind Sequential chains. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}
