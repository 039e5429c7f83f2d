/**
 * BatchNorm1d in training mode needs more than one value per channel (as PyTorch's layer): with one, libtorch's
 * batch_norm writes NaN into running_var and every later eval-mode forward is NaN, silently.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ops as F, scope } from '../../src/engine/index.js';
import { ShapeError } from '../../src/errors.js';
import { BatchNorm1d } from '../../src/nn/index.js';

test('BatchNorm1d refuses one value per channel in training, keeps its statistics, and takes it in eval', () => {
  const bn = new BatchNorm1d(2);
  for (const shape of [
    [1, 2],
    [1, 2, 1],
  ])
    assert.throws(
      () => scope(() => bn.forward(F.ones(shape, 'float32'))),
      (e: unknown) =>
        e instanceof ShapeError && /more than 1 value per channel when training/.test(e.message),
      shape.join('x'),
    );
  assert.deepEqual(Array.from(bn.runningVar.data<'float32'>()), [1, 1], 'running_var untouched');
  // Two values per channel (a batch of 2, or one record of length 2) train; one record in eval mode is fine.
  scope(() => bn.forward(F.tensor(new Float32Array([0, 1, 2, 3]), [2, 2])));
  scope(() => bn.forward(F.tensor(new Float32Array([0, 1, 2, 3]), [1, 2, 2])));
  assert.ok(Array.from(bn.runningVar.data<'float32'>()).every(Number.isFinite));
  bn.eval();
  const out = scope(() => Array.from(bn.forward(F.ones([1, 2], 'float32')).data<'float32'>()));
  assert.ok(out.every(Number.isFinite), `eval output ${out}`);
  bn.dispose();
});
