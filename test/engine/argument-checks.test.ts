/**
 * Arguments the addon used to turn silently into other values (a fraction truncated, NaN read as 0, a huge window
 * overflowing inside libtorch) or read wrongly (Uint8Array data as bool, SharedArrayBuffer data refused): each is now
 * a typed error naming the op, or read as given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { getNumThreads, maxNumThreads, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { EcgError, ShapeError } from '../../src/errors.js';

const shapeError = (pattern: RegExp) => (e: unknown) => e instanceof ShapeError && pattern.test(e.message);

test('sizes and dims that are not safe integers are ShapeErrors, not other sizes', () => {
  scope(() => {
    const x = F.arange(0, 6);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['zeros([2.7])', () => F.zeros([2.7]), /zeros: argument 0\[0\] must be a safe integer, got 2\.7/],
      ['zeros([NaN])', () => F.zeros([NaN]), /got NaN/],
      ['ones([Infinity])', () => F.ones([Infinity]), /got Infinity/],
      ['full([2**64])', () => F.full([2 ** 64], 1), /must be a safe integer/],
      ['reshape(x, [2.9, 3])', () => F.reshape(x, [2.9, 3]), /reshape: .*got 2\.9/],
      ['sum(x, [NaN])', () => F.sum(x, [NaN]), /sum: .*got NaN/],
      ['softmax(x, 0.5)', () => F.softmax(x, 0.5), /softmax: .*got 0\.5/],
      ['transpose(x2, 0.9, 1)', () => F.transpose(F.zeros([2, 3]), 0.9, 1), /got 0\.9/],
      ['randperm(2.5)', () => F.randperm(2.5), /got 2\.5/],
    ];
    for (const [name, run, pattern] of cases) assert.throws(run, shapeError(pattern), name);
    // Integers still work, negative dims included.
    assert.deepEqual(F.reshape(x, [2, -1]).shape, [2, 3]);
    assert.deepEqual([...F.sum(F.reshape(x, [2, 3]), [-1]).data()], [3, 12]);
  });
});

test('conv1d and pooling reject fractional, out-of-range and oversized windows before libtorch overflows', () => {
  scope(() => {
    const x = F.ones([1, 1, 8]);
    const w = F.ones([1, 1, 3]);
    const conv = (options: F.Conv1dOptions) => () => F.conv1d(x, w, null, options);
    assert.throws(
      conv({ stride: 1.9 }),
      shapeError(/conv1d: stride must be an integer in \[1, 2147483647\], got 1\.9/),
    );
    assert.throws(conv({ padding: 0.5 }), shapeError(/padding must be an integer in \[0, /));
    assert.throws(conv({ dilation: 2 ** 62 }), shapeError(/dilation must be an integer/));
    assert.throws(
      conv({ dilation: 4 }),
      shapeError(/spans 9 samples, more than the length 8 plus padding 2\*0/),
    );
    assert.throws(conv({ groups: NaN }), shapeError(/groups must be an integer/));
    assert.deepEqual(F.conv1d(x, w, null, { dilation: 3, padding: 1 }).shape, [1, 1, 4]);

    assert.throws(() => F.maxPool1d(x, 2 ** 32), shapeError(/maxPool1d: kernel must be an integer/));
    assert.throws(() => F.maxPool1d(x, 2 ** 62), shapeError(/kernel must be an integer/));
    assert.throws(() => F.maxPool1d(x, 9), shapeError(/maxPool1d: the window .* spans 9 samples/));
    assert.throws(() => F.maxPool1d(x, 2, { dilation: 8 }), shapeError(/spans 9 samples/));
    assert.throws(() => F.maxPool1d(x, 2, { stride: 0 }), shapeError(/stride must be an integer in \[1, /));
    assert.throws(() => F.avgPool1d(x, 2.5), shapeError(/avgPool1d: kernel must be an integer/));
    assert.throws(
      () => F.avgPool1d(x, 2, { padding: -1 }),
      shapeError(/padding must be an integer in \[0, /),
    );
    assert.throws(() => F.avgPool1d(x, 2 ** 31), shapeError(/kernel must be an integer/));
    assert.throws(
      () => F.adaptiveAvgPool1d(x, 0),
      shapeError(/adaptiveAvgPool1d: outputSize must be an integer/),
    );
    assert.throws(() => F.adaptiveMaxPool1d(x, 1.5), shapeError(/adaptiveMaxPool1d: outputSize/));
    assert.deepEqual(F.maxPool1d(x, 2).shape, [1, 1, 4]);
    assert.deepEqual(F.avgPool1d(F.ones([1, 8]), 3, { stride: 1, padding: 1 }).shape, [1, 8]);
    assert.deepEqual(F.adaptiveMaxPool1d(x, 3).shape, [1, 1, 3]);
  });
});

test('batchNorm names the layout it needs for a 0-D or 1-D input', () => {
  scope(() => {
    const args = { weight: null, bias: null, runningMean: null, runningVar: null, training: true };
    for (const x of [F.ones([4]), F.scalar(1)]) {
      assert.throws(
        () => F.batchNorm(x, { ...args, momentum: 0.1, eps: 1e-5 }),
        shapeError(/batchNorm: input must be \[batch, channels, \.\.\.\] \(rank >= 2\)/),
      );
    }
  });
});

test('Uint8Array data keeps its byte values unless the target dtype is bool', () => {
  scope(() => {
    const bytes = Uint8Array.from([0, 5, 200]);
    assert.deepEqual([...F.tensor(bytes, [3], 'float32').data()], [0, 5, 200]);
    assert.deepEqual([...F.tensor(bytes, [3], 'int32').data()], [0, 5, 200]);
    assert.deepEqual([...F.tensor(bytes).data()], [0, 1, 1]);
    assert.equal(F.tensor(bytes).dtype, 'bool');
  });
});

test('typed arrays over a SharedArrayBuffer are read, at their offset', () => {
  scope(() => {
    const shared = new Float32Array(new SharedArrayBuffer(6 * 4));
    shared.set([1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...F.tensor(shared.subarray(2, 5)).data()], [3, 4, 5]);
    const bytes = new Uint8Array(new SharedArrayBuffer(3));
    bytes.set([0, 7, 9]);
    assert.deepEqual([...F.tensor(bytes, [3], 'float64').data()], [0, 7, 9]);
  });
});

test('setNumThreads takes integers up to min(4 x cores, 1024)', () => {
  const max = Math.min(4 * availableParallelism(), 1024);
  assert.equal(maxNumThreads(), max);
  const before = getNumThreads();
  try {
    for (const bad of [0, 1.5, NaN, max + 1, 2 ** 32 + 1])
      assert.throws(
        () => setNumThreads(bad),
        (e: unknown) => e instanceof EcgError && /threads must be a positive integer up to /.test(e.message),
        String(bad),
      );
    setNumThreads(max);
    assert.equal(getNumThreads(), max);
  } finally {
    setNumThreads(before);
  }
});
