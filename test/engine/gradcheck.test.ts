/** Float64 central-difference gradient checks for every differentiable op (the same cases as ops.test.ts). */
import { test } from 'node:test';
import { scope } from '../../src/engine/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { fromFixture, readJson } from '../helpers/tensors.js';
import { OP_CASES, type FixtureCase, type Inputs } from './op-cases.js';

const { cases } = readJson<{ cases: FixtureCase[] }>('test/fixtures/engine/ops.json');

for (const c of cases.filter((x) => x.grads)) {
  test(`gradcheck ${c.name}`, () => {
    scope(() => {
      const inputs: Inputs = {};
      for (const [name, encoded] of Object.entries(c.inputs)) inputs[name] = fromFixture(encoded);
      const checked = Object.fromEntries(Object.keys(c.grads!).map((n) => [n, inputs[n]!]));
      for (const t of Object.values(checked)) t.requiresGrad = true;
      gradcheck(c.name, () => OP_CASES[c.name]!(inputs, c.args), checked);
    });
  });
}
