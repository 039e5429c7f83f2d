/**
 * Pooling in ceil mode accepts what libtorch 1.13 accepts: a last window may run past the padded end (by up to
 * stride - 1 samples), so a window longer than the padded input still gives one output. Reference values from
 * Debian's torch 1.13 (/usr/bin/python3), x = [1, 2, ..., L] as [1, 1, L]:
 *   F.avg_pool1d(x, k, s, p, ceil_mode=True[, count_include_pad=False]), F.max_pool1d(x, k, s, p, ceil_mode=True)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, scope } from '../../src/engine/index.js';
import { ShapeError } from '../../src/errors.js';

// [length, kernel, stride, padding] -> torch's avg (count_include_pad), avg (without padding), max.
const CASES: Array<[[number, number, number, number], number[], number[], number[]]> = [
  [[1, 2, 2, 0], [1], [1], [1]],
  [[1, 3, 3, 0], [1], [1], [1]],
  [[2, 4, 3, 0], [1.5], [1.5], [2]],
  [[3, 5, 3, 1], [1.2000000476837158], [2], [3]],
  [[1, 4, 4, 1], [0.3333333432674408], [1], [1]],
  [[5, 7, 3, 0], [3], [3], [5]],
  [
    [3, 3, 2, 1],
    [1, 1.6666666269302368],
    [1.5, 2.5],
    [2, 3],
  ],
  [
    [4, 4, 3, 1],
    [1.5, 2.3333332538604736],
    [2, 3.5],
    [3, 4],
  ],
];

test('avgPool1d / maxPool1d in ceil mode match torch 1.13 where the window is longer than the padded input', () => {
  scope(() => {
    for (const [[length, kernel, stride, padding], avg, avgNoPad, max] of CASES) {
      const x = F.reshape(F.arange(1, length + 1), [1, 1, length]);
      const options = { stride, padding, ceilMode: true };
      const where = `length ${length}, kernel ${kernel}, stride ${stride}, padding ${padding}`;
      assert.deepEqual(Array.from(F.avgPool1d(x, kernel, options).data()), avg, `avg, ${where}`);
      assert.deepEqual(
        Array.from(F.avgPool1d(x, kernel, { ...options, countIncludePad: false }).data()),
        avgNoPad,
        `avg without padding, ${where}`,
      );
      assert.deepEqual(Array.from(F.maxPool1d(x, kernel, options).data()), max, `max, ${where}`);
    }
  });
});

test('ceil-mode pooling still refuses a window that leaves no output (torch: "Output size is too small")', () => {
  scope(() => {
    // [length, kernel, stride]: ceil((length - kernel) / stride) + 1 = 0.
    for (const [length, kernel, stride] of [
      [1, 3, 2],
      [2, 4, 2],
      [1, 2, 1],
    ] as const) {
      const x = F.ones([1, 1, length]);
      for (const pool of [F.avgPool1d, F.maxPool1d])
        assert.throws(
          () => pool(x, kernel, { stride, ceilMode: true }),
          (e: unknown) => e instanceof ShapeError && /ceil mode/.test(e.message),
        );
    }
  });
});
