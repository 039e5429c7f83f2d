// The fusion rule of beat models (src/infer/beat-inputs.ts fusionRuleLogits): no F in a record without V calls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fusionRuleLogits } from '../../src/infer/beat-inputs.js';

const LABELS = ['N', 'S', 'V', 'F', 'Q'];
const softmax = (row: ArrayLike<number>) => {
  const high = Math.max(...Array.from(row));
  const e = Array.from(row, (x) => Math.exp(x - high));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
};

test('a record without V calls loses F: N, S and Q share its probability in proportion, V keeps its own', () => {
  // Beat 0 called F (N second), beat 1 called N.
  const logits = Float32Array.from([1, 0, -1, 2, -3, 2, 0, -1, 1, -3]);
  const before = [softmax(logits.subarray(0, 5)), softmax(logits.subarray(5, 10))];
  assert.equal(fusionRuleLogits(logits, LABELS, { minVentricularShare: 0.01 }), true);
  for (const b of [0, 1]) {
    const after = softmax(logits.subarray(b * 5, b * 5 + 5));
    const p = before[b]!;
    assert.ok(after[3]! < 1e-9);
    assert.ok(Math.abs(after[2]! - p[2]!) < 1e-6, 'V unchanged');
    const rest = p[0]! + p[1]! + p[4]!;
    for (const c of [0, 1, 4]) assert.ok(Math.abs(after[c]! - (p[c]! * (rest + p[3]!)) / rest) < 1e-6);
  }
});

test('enough V calls keep F; the share counts only the beats given, at least one V is needed', () => {
  // Beat 0 called V, beat 1 called F: one V in two beats (50 %).
  const logits = Float32Array.from([0, 0, 3, 1, 0, 0, 0, 1, 3, 0]);
  const copy = Float32Array.from(logits);
  assert.equal(fusionRuleLogits(logits, LABELS, { minVentricularShare: 0.5 }), false);
  assert.deepEqual(logits, copy);
  assert.equal(fusionRuleLogits(logits, LABELS, { minVentricularShare: 0.6 }), true);
  // Only beat 1 (the F beat) as its own record: no V there, so F goes, whatever the share.
  const alone = Float32Array.from(copy);
  assert.equal(fusionRuleLogits(alone, LABELS, { minVentricularShare: 0 }, [1]), true);
  assert.deepEqual(alone.subarray(0, 5), copy.subarray(0, 5));
  assert.ok(alone[8]! < -1000 && alone[5]! > copy[5]! && alone[7] === copy[7]);
  // Models without V or F outputs are left alone.
  assert.equal(fusionRuleLogits(Float32Array.from([0, 1]), ['N', 'S'], { minVentricularShare: 1 }), false);
});
