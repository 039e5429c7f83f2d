/**
 * Single-label decision offsets: the search finds the shift a hand-computed case needs, leaves flat directions at 0,
 * and the nested fit of fold k never depends on fold k's own labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aamiBeatMetrics, aamiConfusion } from '../../src/eval/beats.js';
import { MetricError } from '../../src/errors.js';
import { beatValidationMetrics } from '../../src/train/beats.js';
import {
  decide,
  fitClassOffsets,
  nestedClassOffsets,
  singleLabelScore,
} from '../../src/eval/class-offsets.js';

// Class 1 is under-called: its true items have logit 0.4 below class 0's. Shifting class 1 by +0.5 fixes all of them.
const reference = Int32Array.from([0, 0, 0, 1, 1, 1]);
const logits = [
  [2, 0],
  [1.5, 0],
  [1, 0],
  [0.4, 0],
  [0.45, 0.1],
  [0.3, 0],
];

test('decide adds the offsets before the argmax', () => {
  assert.deepEqual(Array.from(decide(logits, [0, 0])), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(decide(logits, [0, 0.5])), [0, 0, 0, 1, 1, 1]);
});

test('the fit finds the smallest shift that reaches the best score', () => {
  const score = singleLabelScore(['a', 'b'], reference);
  assert.equal(score(decide(logits, [0, 0])), (2 * 3) / (3 + 6) / 2); // macro F1: class a 2*3/(3+6), class b 0
  const offsets = fitClassOffsets(logits, score, { range: 2, step: 0.05, passes: 3 });
  assert.equal(offsets[0], 0);
  assert.equal(score(decide(logits, offsets)), 1);
  // 0.4 is the smallest grid value that flips every class-1 item and no class-0 item (ties keep class 0).
  assert.ok(Math.abs(offsets[1]! - 0.45) < 1e-9, `offset ${offsets[1]}`);
});

test('a score that does not depend on the decision leaves the offsets at 0', () => {
  const offsets = fitClassOffsets(logits, () => 0.5);
  assert.deepEqual(Array.from(offsets), [0, 0]);
});

test('nested offsets of fold k are fitted without fold k', () => {
  const folds = [
    { labels: reference, logits },
    { labels: reference, logits },
    // A larger fold whose labels say class 1 is over-called (the opposite shift).
    {
      labels: Int32Array.from([1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]),
      logits: [...logits, ...logits, ...logits],
    },
  ];
  const scoreOf = (labels: Int32Array) => singleLabelScore(['a', 'b'], labels);
  const nested = nestedClassOffsets(folds, scoreOf);
  // Flipping fold 3's labels changes the offsets of folds 1 and 2, never its own.
  const same = {
    labels: Int32Array.from([...reference, ...reference, ...reference]),
    logits: folds[2]!.logits,
  };
  const flipped = nestedClassOffsets([folds[0]!, folds[1]!, same], scoreOf);
  assert.deepEqual(Array.from(nested[2]!), Array.from(flipped[2]!));
  assert.notDeepEqual(Array.from(nested[0]!), Array.from(flipped[0]!));
});

test('nested offsets of a single fold are refused (no other fold to fit them on), not NaN logits', () => {
  const scoreOf = (labels: Int32Array) => singleLabelScore(['a', 'b'], labels);
  assert.throws(
    () => nestedClassOffsets([{ labels: reference, logits }], scoreOf),
    (error: unknown) => error instanceof MetricError && /at least 2 folds \(got 1\)/.test(error.message),
  );
});

test('fitted: only the named classes move, the others keep offset 0', () => {
  // Three classes; class 1 is over-called and class 2 under-called, but only class 2 may move.
  const labels3 = Int32Array.from([0, 0, 2, 2, 1]);
  const logits3 = [
    [1, 1.2, 0],
    [1, 1.1, 0],
    [1, 0, 0.7],
    [1, 0, 0.8],
    [0, 1, 0],
  ];
  const score = singleLabelScore(['a', 'b', 'c'], labels3);
  const offsets = fitClassOffsets(logits3, score, { range: 2, step: 0.05, passes: 3, fitted: [2] });
  assert.equal(offsets[1], 0);
  assert.ok(offsets[2]! > 0.3, `offset ${offsets[2]}`);
  assert.deepEqual(Array.from(decide(logits3, offsets)).slice(2, 4), [2, 2]);
});

test("the beat score is the trainer's aami_nsv_f1 (EC57 rules: F called V is no V false positive)", () => {
  // N S V F Q = 0..4; a spread of hits and misses, with F beats called V and a Q reference beat.
  const reference = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 0, 2]);
  const predicted = Int32Array.from([0, 1, 0, 2, 1, 0, 1, 2, 0, 2, 3, 0, 0, 2]);
  const score = singleLabelScore(['N', 'S', 'V', 'F', 'Q'], reference, 'beats')(predicted);
  assert.equal(score, beatValidationMetrics(reference, predicted, 1).validation.value);
  const m = aamiBeatMetrics(aamiConfusion(reference, predicted));
  assert.ok(Math.abs(score - (m.N.f1! + m.S.f1! + m.V.f1!) / 3) < 1e-12);
  // By hand: V has 2 TP, 1 FN (V->N) and 1 FP (N->V); the F beat called V is not a second FP.
  assert.ok(Math.abs(m.V.f1! - (2 * 2) / (2 * 2 + 1 + 1)) < 1e-12, `V F1 ${m.V.f1}`);
});
