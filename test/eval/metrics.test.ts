/** Binary, multi-label and multi-class metrics against scikit-learn 1.2 (test/fixtures/eval/make_eval_fixture.py). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  auroc,
  averagePrecision,
  bestF1Threshold,
  metricsAtThreshold,
  precisionRecallCurve,
  rocCurve,
} from '../../src/eval/binary.js';
import { argmaxRows, confusionMatrix, multiclassReport } from '../../src/eval/confusion.js';
import {
  applyThresholds,
  fmax,
  multilabelAuroc,
  multilabelAveragePrecision,
  oneHot,
  selectThresholds,
} from '../../src/eval/multilabel.js';
import { MetricError } from '../../src/errors.js';

interface BinaryCase {
  name: string;
  labels: number[];
  scores: number[];
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  roc_all: { fpr: number[]; tpr: number[]; thresholds: number[] };
  auroc: number;
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  average_precision: number;
  threshold: number;
  at_threshold: { precision: number; recall: number; f1: number };
}
interface Fixture {
  binary: BinaryCase[];
  multilabel: {
    classes: string[];
    labels: number[][];
    scores: number[][];
    auroc: Record<string, number>;
    macro_auroc: number;
    micro_auroc: number;
    average_precision: Record<string, number>;
    macro_average_precision: number;
    micro_average_precision: number;
    fmax: { fmax: number; threshold: number; precision: number; recall: number; excluded: number };
    fmax_grid: { thresholds: number[]; fmax: number; threshold: number };
    thresholds: {
      selected: Record<string, number>;
      validation_f1: Record<string, number>;
      test: Record<string, { precision: number; recall: number; f1: number }>;
      test_macro_f1: number;
    };
  };
  multiclass: {
    reference: number[];
    predicted: number[];
    confusion: number[][];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    accuracy: number;
    macro_f1: number;
  };
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/eval/eval.json', import.meta.url), 'utf8'),
) as Fixture;

const TOL = 1e-12;
function close(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(actual !== null && actual !== undefined, `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= TOL, `${what}: ${actual} vs ${expected}`);
}
function allClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((value, i) => close(actual[i], value, `${what}[${i}]`));
}

for (const c of fixture.binary) {
  test(`binary "${c.name}": ROC, AUROC, PR, AP and threshold metrics match sklearn`, () => {
    const roc = rocCurve(c.labels, c.scores);
    allClose(roc.fpr, c.roc.fpr, 'fpr');
    allClose(roc.tpr, c.roc.tpr, 'tpr');
    assert.equal(roc.thresholds[0], Infinity);
    allClose(roc.thresholds.subarray(1), c.roc.thresholds, 'thresholds');
    const all = rocCurve(c.labels, c.scores, { dropIntermediate: false });
    allClose(all.fpr, c.roc_all.fpr, 'fpr (all points)');
    allClose(all.tpr, c.roc_all.tpr, 'tpr (all points)');
    close(auroc(c.labels, c.scores), c.auroc, 'auroc');
    const pr = precisionRecallCurve(c.labels, c.scores);
    allClose(pr.precision, c.pr.precision, 'precision');
    allClose(pr.recall, c.pr.recall, 'recall');
    allClose(pr.thresholds, c.pr.thresholds, 'pr thresholds');
    close(averagePrecision(c.labels, c.scores), c.average_precision, 'average precision');
    const at = metricsAtThreshold(c.labels, c.scores, c.threshold);
    close(at.precision, c.at_threshold.precision, 'precision@t');
    close(at.recall, c.at_threshold.recall, 'recall@t');
    close(at.f1, c.at_threshold.f1, 'f1@t');
  });
}

test('ties: AUROC equals the Mann-Whitney probability with ties counted one half', () => {
  const labels = [1, 0, 1, 0, 0];
  const scores = [0.5, 0.5, 0.9, 0.1, 0.9];
  // Pairs (pos, neg): (0.5,0.5)=1/2 (0.5,0.1)=1 (0.5,0.9)=0 (0.9,0.5)=1 (0.9,0.1)=1 (0.9,0.9)=1/2 -> 4/6.
  close(auroc(labels, scores), 4 / 6, 'auroc');
  close(auroc(labels, [...scores].reverse().reverse()), 4 / 6, 'order independent');
});

test('undefined cases are typed errors naming the input, never NaN', () => {
  assert.throws(
    () => auroc([0, 0, 0], [0.1, 0.2, 0.3]),
    (e) => e instanceof MetricError && /no positive/.test(e.message),
  );
  assert.throws(
    () => auroc([1, 1], [0.1, 0.2]),
    (e) => e instanceof MetricError && /no negative/.test(e.message),
  );
  assert.throws(() => averagePrecision([0, 0], [0.1, 0.2]), MetricError);
  assert.throws(
    () => auroc([0, 1], [0.1, NaN]),
    (e) => e instanceof MetricError && /element 1 is NaN/.test(e.message),
  );
  assert.throws(
    () => auroc([0, 2], [0.1, 0.2]),
    (e) => e instanceof MetricError && /expected 0 or 1/.test(e.message),
  );
  assert.throws(
    () => auroc([0, 1, 1], [0.1, 0.2]),
    (e) => e instanceof MetricError && /lengths differ/.test(e.message),
  );
  assert.throws(
    () => auroc([], []),
    (e) => e instanceof MetricError && /is empty/.test(e.message),
  );
  const none = metricsAtThreshold([0, 1], [0.1, 0.2], 0.5);
  assert.equal(none.precision, null, 'nothing predicted: precision undefined, not NaN');
  assert.equal(none.recall, 0);
});

test('multi-label: per-class, macro and micro AUROC/AP; classes without positives/negatives skipped', () => {
  const m = fixture.multilabel;
  const roc = multilabelAuroc(m.labels, m.scores, m.classes);
  for (const [name, value] of Object.entries(m.auroc)) close(roc.perClass[name], value, `auroc ${name}`);
  close(roc.macro, m.macro_auroc, 'macro auroc');
  close(roc.micro, m.micro_auroc, 'micro auroc');
  assert.deepEqual(roc.skipped, [
    { class: 'EMPTY', reason: 'no positive samples' },
    { class: 'ALL', reason: 'no negative samples' },
  ]);
  assert.equal(roc.perClass.EMPTY, null);
  const ap = multilabelAveragePrecision(m.labels, m.scores, m.classes);
  for (const [name, value] of Object.entries(m.average_precision))
    close(ap.perClass[name], value, `ap ${name}`);
  close(ap.macro, m.macro_average_precision, 'macro ap');
  close(ap.micro, m.micro_average_precision, 'micro ap');
  assert.deepEqual(ap.skipped, [{ class: 'EMPTY', reason: 'no positive samples' }]);
});

test('thresholds chosen on validation (max F1) and applied to test', () => {
  const m = fixture.multilabel;
  const classes = m.classes.slice(0, 3);
  const cut = (rows: number[][]) => rows.map((row) => row.slice(0, 3));
  const [labels, scores] = [cut(m.labels), cut(m.scores)];
  const selected = selectThresholds(labels.slice(0, 18), scores.slice(0, 18), classes);
  for (const name of classes) {
    close(selected.thresholds[name], m.thresholds.selected[name]!, `threshold ${name}`);
    close(selected.validation[name]!.f1, m.thresholds.validation_f1[name]!, `validation f1 ${name}`);
  }
  const applied = applyThresholds(labels.slice(18), scores.slice(18), classes, selected.thresholds);
  for (const name of classes) {
    const expected = m.thresholds.test[name]!;
    close(applied.perClass[name]!.precision, expected.precision, `test precision ${name}`);
    close(applied.perClass[name]!.recall, expected.recall, `test recall ${name}`);
    close(applied.perClass[name]!.f1, expected.f1, `test f1 ${name}`);
  }
  close(applied.macroF1, m.thresholds.test_macro_f1, 'test macro f1');
  const withEmpty = selectThresholds(m.labels, m.scores, m.classes);
  assert.equal(withEmpty.thresholds.EMPTY, null);
  assert.match(withEmpty.skipped[0]!.reason, /no positive samples in the validation set/);
  const best = bestF1Threshold([0, 1, 1, 0], [0.2, 0.8, 0.8, 0.9]);
  assert.equal(best.threshold, 0.8);
});

test('Fmax: exact over all scores and on a 0.1 grid, records without labels excluded', () => {
  const m = fixture.multilabel;
  const cut = (rows: number[][]) => rows.map((row) => row.slice(0, 4));
  const exact = fmax(cut(m.labels), cut(m.scores));
  close(exact.fmax, m.fmax.fmax, 'fmax');
  close(exact.threshold, m.fmax.threshold, 'fmax threshold');
  close(exact.precision, m.fmax.precision, 'fmax precision');
  close(exact.recall, m.fmax.recall, 'fmax recall');
  assert.equal(exact.excludedSamples, m.fmax.excluded);
  const grid = fmax(cut(m.labels), cut(m.scores), { thresholds: m.fmax_grid.thresholds });
  close(grid.fmax, m.fmax_grid.fmax, 'grid fmax');
  close(grid.threshold, m.fmax_grid.threshold, 'grid threshold');
  assert.throws(
    () => fmax([[0, 0]], [[0.1, 0.2]]),
    (e) => e instanceof MetricError && /no sample has a true label/.test(e.message),
  );
});

test('multi-class confusion matrix and per-class report match sklearn', () => {
  const m = fixture.multiclass;
  const classes = ['a', 'b', 'c', 'd'];
  const matrix = confusionMatrix(m.reference, m.predicted, classes);
  assert.deepEqual(matrix.counts, m.confusion);
  const report = multiclassReport(matrix);
  classes.forEach((name, c) => {
    close(report.perClass[name]!.precision, m.precision[c]!, `precision ${name}`);
    close(report.perClass[name]!.recall, m.recall[c]!, `recall ${name}`);
    close(report.perClass[name]!.f1, m.f1[c]!, `f1 ${name}`);
    assert.equal(report.perClass[name]!.support, m.support[c]);
  });
  close(report.accuracy, m.accuracy, 'accuracy');
  close(report.macroF1, m.macro_f1, 'macro f1');
  // A class never predicted: precision undefined (sklearn would print 0 with a warning).
  const never = multiclassReport(confusionMatrix([0, 1, 1], [0, 0, 0], ['x', 'y']));
  assert.equal(never.perClass.y!.precision, null);
  assert.deepEqual(
    Array.from(
      argmaxRows([
        [0.1, 0.7, 0.7],
        [0.9, 0.0, 0.1],
      ]),
    ),
    [1, 0],
  );
  assert.deepEqual(
    oneHot([2, 0], 3).map((row) => Array.from(row)),
    [
      [0, 0, 1],
      [1, 0, 0],
    ],
  );
  assert.throws(
    () => confusionMatrix([0, 4], [0, 1], classes),
    (e) => e instanceof MetricError && /reference/.test(e.message),
  );
});
