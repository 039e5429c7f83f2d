/** Every op's forward value and gradient against PyTorch reference values (float64). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grad, ops as F, scope } from '../../src/engine/index.js';
import { assertClose, fromFixture, readJson } from '../helpers/tensors.js';
import { OP_CASES, type FixtureCase, type Inputs } from './op-cases.js';

const fixture = readJson<{ torch: string; cases: FixtureCase[] }>('test/fixtures/engine/ops.json');

test('every fixture case has an engine implementation and vice versa', () => {
  assert.deepEqual(fixture.cases.map((c) => c.name).sort(), Object.keys(OP_CASES).sort());
});

for (const c of fixture.cases) {
  test(`op ${c.name}: value and gradient match PyTorch ${fixture.torch}`, () => {
    scope(() => {
      const inputs: Inputs = {};
      for (const [name, encoded] of Object.entries(c.inputs)) {
        inputs[name] = fromFixture(encoded);
        if (c.grads?.[name]) inputs[name]!.requiresGrad = true;
      }
      const output = OP_CASES[c.name]!(inputs, c.args);
      assertClose(output, c.output, `${c.name} output`, 1e-10, 1e-9);
      if (c.grads && c.seed) {
        const names = Object.keys(c.grads);
        const loss = F.sum(F.mul(output, fromFixture(c.seed)));
        const grads = grad(
          [loss],
          names.map((n) => inputs[n]!),
        );
        names.forEach((n, i) => assertClose(grads[i]!, c.grads![n]!, `${c.name} d/d${n}`, 1e-10, 1e-9));
      }
    });
  });
}

test('batch_norm in training mode updates the running statistics like PyTorch', () => {
  const c = fixture.cases.find((x) => x.name === 'batch_norm_train')!;
  scope(() => {
    const runningMean = fromFixture(c.args.running_mean as never);
    const runningVar = fromFixture(c.args.running_var as never);
    F.batchNorm(fromFixture(c.inputs.x!), {
      weight: null,
      bias: null,
      runningMean,
      runningVar,
      training: true,
      momentum: 0.1,
      eps: 1e-5,
    });
    assertClose(runningMean, c.args.running_mean_after as never, 'running_mean', 1e-12);
    assertClose(runningVar, c.args.running_var_after as never, 'running_var', 1e-12);
  });
});
