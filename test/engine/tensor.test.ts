/** Tensor lifetime, scopes, typed errors and the engine's failure modes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DisposedError, EngineUnavailableError, ShapeError } from '../../src/errors.js';
import { tryLoad } from '../../src/engine/binding.js';
import {
  engineStatus,
  getNumThreads,
  isGradEnabled,
  keep,
  manualSeed,
  noGrad,
  ops as F,
  scope,
  scopeDepth,
  setNumThreads,
  Tensor,
} from '../../src/engine/index.js';

test('tensors carry shape and dtype, and data comes back in the typed array of the dtype', () => {
  const t = F.tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.ok(t.data() instanceof Float32Array);
  const asInt = F.toDtype(t, 'int64');
  assert.deepEqual([...asInt.data<'int64'>()], [1n, 2n, 3n, 4n, 5n, 6n]);
  const asBool = F.gt(t, 3);
  assert.deepEqual([...asBool.data<'bool'>()], [0, 0, 0, 1, 1, 1]);
  const ints = F.tensor(Int32Array.from([7, 8]), [2]);
  assert.equal(ints.dtype, 'int32');
  assert.equal(F.sum(F.toDtype(ints, 'float64')).item(), 15);
  for (const x of [t, asInt, asBool, ints]) x.dispose();
});

test('a number list keeps its values in the dtype asked for (not through float32)', () => {
  scope(() => {
    assert.deepEqual([...F.tensor([0.1, 16777217], [2], 'float64').data<'float64'>()], [0.1, 16777217]);
    assert.deepEqual([...F.tensor([16777217, -3], [2], 'int64').data<'int64'>()], [16777217n, -3n]);
    assert.deepEqual([...F.tensor([16777217, 2.7], [2], 'int32').data<'int32'>()], [16777217, 2]);
    assert.deepEqual([...F.tensor([0.1], [1]).data<'float32'>()], [Math.fround(0.1)]);
    assert.throws(() => F.tensor([Number.NaN], [1], 'int64'), ShapeError);
  });
});

test('scope disposes what it created except its result and kept tensors', () => {
  let inner: Tensor | undefined;
  let kept: Tensor | undefined;
  const result = scope(() => {
    inner = F.ones([3]);
    kept = keep(F.zeros([2]));
    return { sum: F.sum(inner) };
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(kept!.isDisposed, false);
  assert.equal(result.sum.item(), 3);
  assert.equal(scopeDepth(), 0);
  result.sum.dispose();
  kept!.dispose();
});

test('nested scopes hand their results to the enclosing scope', () => {
  let fromInner: Tensor | undefined;
  scope(() => {
    fromInner = scope(() => F.ones([2]));
    assert.equal(fromInner.isDisposed, false);
    return null;
  });
  assert.equal(fromInner!.isDisposed, true);
});

test('a scope that throws disposes everything it created and rethrows', () => {
  let created: Tensor | undefined;
  assert.throws(
    () =>
      scope(() => {
        created = F.ones([2]);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(created!.isDisposed, true);
  assert.equal(scopeDepth(), 0);
});

test('using a disposed tensor is a DisposedError, and dispose is idempotent', () => {
  const t = F.ones([2]);
  t.dispose();
  t.dispose();
  assert.throws(() => t.shape, DisposedError);
  assert.throws(
    () => F.add(t, 1),
    (e: unknown) => e instanceof DisposedError && /disposed/.test((e as Error).message),
  );
  {
    using u = F.ones([1]);
    assert.equal(u.item(), 1);
  }
});

test('shape and dtype mismatches are ShapeErrors that say what was expected and what came', () => {
  scope(() => {
    const x = F.zeros([2, 3, 10]);
    assert.throws(
      () => F.conv1d(x, F.zeros([4, 2, 3]), null),
      /conv1d: input has 3 channels but weight expects 2/,
    );
    assert.throws(
      () => F.conv1d(F.zeros([3, 10]), F.zeros([4, 3, 3]), null),
      /conv1d: input must be \[batch, channels, length\], got shape \[3, 10\]/,
    );
    assert.throws(
      () => F.matmul(F.zeros([2, 3]), F.zeros([2, 3])),
      (e: unknown) =>
        e instanceof ShapeError &&
        /matmul: .*2x3 and 2x3.*inputs: float32\[2, 3\], float32\[2, 3\]/.test((e as Error).message),
    );
    assert.throws(() => F.add(F.zeros([2], 'float64'), F.zeros([3])), ShapeError);
    assert.throws(
      () => F.tensor(Float32Array.from([1, 2, 3]), [2, 2]),
      /shape \[2, 2\] needs 4 elements, data has 3/,
    );
    assert.throws(() => F.bceWithLogits(F.zeros([2, 3]), F.zeros([2, 2])), /must have the same shape/);
    assert.throws(
      () => F.crossEntropy(F.zeros([2, 3]), F.tensor(BigInt64Array.from([0n, 7n]), [2])),
      ShapeError,
    );
    return null;
  });
});

test('noGrad turns recording off and restores it, even when fn throws', () => {
  assert.equal(isGradEnabled(), true);
  const x = F.ones([2]);
  x.requiresGrad = true;
  const y = noGrad(() => F.mul(x, 2));
  assert.equal(y.requiresGrad, false);
  assert.throws(
    () =>
      noGrad(() => {
        throw new Error('inside');
      }),
    /inside/,
  );
  assert.equal(isGradEnabled(), true);
  x.dispose();
  y.dispose();
});

test('threads and seeds: set_num_threads is honoured and the same seed gives the same numbers', () => {
  const before = getNumThreads();
  setNumThreads(1);
  assert.equal(getNumThreads(), 1);
  setNumThreads(before);
  assert.throws(() => setNumThreads(0), /positive integer/);
  manualSeed(42);
  const a = F.randn([5]);
  manualSeed(42);
  const b = F.randn([5]);
  assert.deepEqual(a.data(), b.data());
  a.dispose();
  b.dispose();
});

test('a missing or broken addon is an EngineUnavailableError that says how to install libtorch', () => {
  const missing = tryLoad('/nonexistent/efficientecg_engine.node');
  assert.ok('error' in missing && missing.error instanceof EngineUnavailableError);
  assert.match(missing.error.message, /not built.*apt-get install libtorch-dev.*npm run build:native/);
  const dir = mkdtempSync(join(tmpdir(), 'eecg-addon-'));
  const broken = join(dir, 'efficientecg_engine.node');
  writeFileSync(broken, 'not a shared object');
  const result = tryLoad(broken);
  assert.ok('error' in result && /failed to load/.test(result.error.message));
});

test('engineStatus reports libtorch 1.13, the thread count and oneDNN', () => {
  const status = engineStatus();
  assert.ok(status.available);
  assert.match(status.libtorchVersion, /^1\.13/);
  assert.ok(status.threads >= 1);
  assert.equal(typeof status.mkldnn, 'boolean');
});
