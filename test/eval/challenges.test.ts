/** Challenge scores and AAMI beat statistics on confusion matrices computed by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aamiBeatMetrics, aamiConfusion } from '../../src/eval/beats.js';
import {
  cinc2017Confusion,
  cinc2017Score,
  cpsc2018Confusion,
  cpsc2018Score,
} from '../../src/eval/challenges.js';
import { MetricError } from '../../src/errors.js';

const close = (actual: number | null, expected: number, what: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs ${expected}`);

test('CinC 2017: F1 = mean of F1 for N, A, O from the 4x4 matrix; noise scored but not averaged', () => {
  // Rows: reference N, A, O, ~ (sums 60, 12, 32, 6); columns: predicted (sums 63, 12, 31, 4).
  const counts = [
    [50, 2, 8, 0],
    [1, 9, 2, 0],
    [10, 1, 20, 1],
    [2, 0, 1, 3],
  ];
  const score = cinc2017Score({ classes: ['N', 'A', 'O', '~'], counts });
  close(score.f1_per_class.N, 100 / 123, 'F1 N');
  close(score.f1_per_class.A, 18 / 24, 'F1 A');
  close(score.f1_per_class.O, 40 / 63, 'F1 O');
  close(score.f1_per_class['~'], 6 / 10, 'F1 ~');
  close(score.f1, (100 / 123 + 0.75 + 40 / 63) / 3, 'F1');
  // The same matrix from per-record labels.
  const reference: number[] = [];
  const predicted: number[] = [];
  counts.forEach((row, r) => row.forEach((n, c) => { for (let k = 0; k < n; k++) { reference.push(r); predicted.push(c); } })); // prettier-ignore
  assert.deepEqual(cinc2017Confusion(reference, predicted).counts, counts);
  const absent = cinc2017Score({ classes: ['N', 'A', 'O', '~'], counts: [[3, 0, 0, 0], [0, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]] }); // prettier-ignore
  assert.equal(absent.f1_per_class.A, null, 'A never referenced nor predicted: undefined, not NaN');
  assert.equal(absent.f1, null);
  assert.throws(
    () => cinc2017Score({ classes: ['A', 'N', 'O', '~'], counts }),
    (e) => e instanceof MetricError && /N, A, O, ~/.test(e.message),
  );
});

test('CPSC 2018: prediction among the labels is a hit, else counted in the first label row; sub-scores', () => {
  const labels = [[0], [1], [2, 4], [4, 2], [5], [6], [7], [8], [3], [2], [7, 0]];
  const predicted = [0, 1, 4, 0, 6, 6, 8, 8, 3, 2, 7];
  const matrix = cpsc2018Confusion(labels, predicted);
  // Record 2 (I-AVB, RBBB) predicted RBBB: diagonal; record 3 (RBBB first) predicted Normal: row RBBB.
  assert.equal(matrix.counts[4]![4], 1);
  assert.equal(matrix.counts[4]![0], 1);
  assert.equal(matrix.counts[7]![7], 1, 'record 10: STD predicted, labels STD and Normal');
  const score = cpsc2018Score(matrix);
  const expected = {
    Normal: 2 / 3,
    AF: 1,
    'I-AVB': 1,
    LBBB: 1,
    RBBB: 2 / 3,
    PAC: 0,
    PVC: 2 / 3,
    STD: 2 / 3,
    STE: 2 / 3,
  };
  for (const [name, value] of Object.entries(expected))
    close(score.f1_per_class[name as keyof typeof expected], value, `F1 ${name}`);
  close(score.f1, 19 / 27, 'F1');
  close(score.faf, 1, 'Faf');
  close(score.fblock, 6 / 7, 'Fblock');
  close(score.fpc, 2 / 4, 'Fpc');
  close(score.fst, 4 / 6, 'Fst');
  assert.throws(
    () => cpsc2018Confusion([[]], [0]),
    (e) => e instanceof MetricError && /record 0 has no label/.test(e.message),
  );
  assert.throws(
    () => cpsc2018Confusion([[9]], [0]),
    (e) => e instanceof MetricError && /referenceLabels\[0\]/.test(e.message),
  );
});

test('AAMI beats: Q excluded, Fv not a V false positive under EC57, counted under strict', () => {
  // Rows reference N, S, V, F, Q; columns predicted N, S, V, F, Q.
  const counts = [
    [90, 4, 3, 1, 2],
    [5, 14, 1, 0, 0],
    [2, 1, 25, 1, 1],
    [3, 0, 4, 3, 0],
    [1, 0, 1, 0, 2],
  ];
  const matrix = { classes: ['N', 'S', 'V', 'F', 'Q'], counts };
  const m = aamiBeatMetrics(matrix);
  assert.equal(m.scored, 160);
  assert.equal(m.excludedQ, 4);
  close(m.accuracy, 132 / 160, 'accuracy');
  assert.deepEqual([m.V.tp, m.V.fn, m.V.fp, m.V.tn], [25, 5, 4, 122]);
  close(m.V.se, 25 / 30, 'V Se');
  close(m.V.ppv, 25 / 29, 'V +P');
  close(m.V.f1, 50 / 59, 'V F1');
  close(m.V.specificity, 122 / 126, 'V Sp');
  close(m.V.fpr, 4 / 126, 'V FPR');
  assert.deepEqual([m.S.tp, m.S.fn, m.S.fp, m.S.tn], [14, 6, 5, 135]);
  close(m.S.ppv, 14 / 19, 'S +P');
  close(m.S.f1, 28 / 39, 'S F1');
  assert.deepEqual([m.N.tp, m.N.fn, m.N.fp, m.N.tn], [90, 10, 10, 50]);
  assert.deepEqual([m.F.tp, m.F.fn, m.F.fp, m.F.tn], [3, 7, 2, 148]);
  close(m.F.se, 0.3, 'F Se');
  const strict = aamiBeatMetrics(matrix, 'strict');
  assert.deepEqual([strict.V.fp, strict.V.tn], [8, 122]);
  close(strict.V.ppv, 25 / 33, 'V +P strict');
  const fromBeats = aamiConfusion([0, 2, 3, 4], [0, 2, 2, 0]);
  assert.deepEqual(fromBeats.counts[3], [0, 0, 1, 0, 0]);
  assert.throws(
    () =>
      aamiBeatMetrics({
        classes: ['N', 'S', 'V', 'F'],
        counts: counts.slice(0, 4).map((r) => r.slice(0, 4)),
      }),
    MetricError,
  );
  for (const unknown of ['loose', 'toString', 'constructor', '__proto__'])
    assert.throws(
      () => aamiBeatMetrics(matrix, unknown as never),
      (e) => e instanceof MetricError && /unknown beat convention/.test(e.message),
      unknown,
    );
});
