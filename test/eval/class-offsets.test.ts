/**
 * Single-label decision offsets: the search finds the shift a hand-computed case needs, leaves flat directions at 0,
 * and the nested fit of fold k never depends on fold k's own labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
