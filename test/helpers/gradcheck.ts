/**
 * Float64 gradient check by central differences: for L = sum(f(inputs) * seed), compares autograd's dL/dx with
 * (L(x + h e_i) - L(x - h e_i)) / 2h for every element of every checked tensor.
 */
import assert from 'node:assert/strict';
import { grad, inplace, noGrad, ops as F, scope, type Tensor } from '../../src/engine/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

export function gradcheck(
  what: string,
  f: () => Tensor,
  checked: Record<string, Tensor>,
  options: GradcheckOptions = {},
): void {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-4 } = options;
  const names = Object.keys(checked);
  scope(() => {
    const first = f();
    const seed = F.randn(first.shape, 'float64');
    const loss = (): number => noGrad(() => scope(() => F.sum(F.mul(f(), seed)).item()));
    const analytic = grad(
      [F.sum(F.mul(first, seed))],
      names.map((n) => checked[n]!),
      { allowUnused: true },
    );
    names.forEach((name, k) => {
      const x = checked[name]!;
      const values = x.data<'float64'>();
      const expected = analytic[k] ? analytic[k]!.data<'float64'>() : new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const original = values[i]!;
        values[i] = original + eps;
        overwrite(x, values);
        const plus = loss();
        values[i] = original - eps;
        overwrite(x, values);
        const minus = loss();
        values[i] = original;
        overwrite(x, values);
        const numeric = (plus - minus) / (2 * eps);
        const tolerance = atol + rtol * Math.abs(numeric);
        assert.ok(
          Math.abs(numeric - expected[i]!) <= tolerance,
          `${what}: d/d${name}[${i}] autograd ${expected[i]} vs central difference ${numeric}`,
        );
      }
    });
  });
}

function overwrite(x: Tensor, values: Float64Array): void {
  scope(() => inplace.copyInPlace(x, F.tensor(values, x.shape)));
}
