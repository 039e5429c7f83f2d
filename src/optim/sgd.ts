/** SGD with momentum, dampening, Nesterov and (coupled, L2) weight decay, as torch.optim.SGD. */
import { EcgError } from '../errors.js';
import { addInPlace, mulInPlace } from '../engine/inplace.js';
import * as F from '../engine/ops.js';
import { keep } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly #buffers = new Map<Parameter, Tensor>();

  constructor(groups: ParamGroup[], options: SgdOptions = {}) {
    super(groups);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new EcgError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(param: Parameter, grad: Tensor, group: ParamGroup): void {
    let direction = group.weightDecay !== 0 ? F.add(grad, F.mul(param, group.weightDecay)) : grad;
    if (this.momentum !== 0) {
      const buffer = this.#buffers.get(param);
      if (buffer === undefined) {
        this.#buffers.set(param, keep(F.clone(direction)));
        direction = this.nesterov ? F.add(direction, F.mul(direction, this.momentum)) : direction;
      } else {
        mulInPlace(buffer, this.momentum);
        addInPlace(buffer, direction, 1 - this.dampening);
        direction = this.nesterov ? F.add(direction, F.mul(buffer, this.momentum)) : buffer;
      }
    }
    addInPlace(param, direction, -group.lr);
  }

  protected ensureState(param: Parameter): Map<string, Tensor> {
    let buffer = this.#buffers.get(param);
    if (buffer === undefined) {
      buffer = keep(F.zeros(param.shape, param.dtype));
      this.#buffers.set(param, buffer);
    }
    return new Map([['momentum_buffer', buffer]]);
  }

  protected *statefulParams(): Iterable<[Parameter, Map<string, Tensor>]> {
    for (const param of this.#buffers.keys()) yield [param, this.ensureState(param)];
  }
}
