/** Multi-class confusion matrices (rows: reference class, columns: predicted class, as sklearn). */
import { MetricError } from '../errors.js';
import {
  checkClassIndices,
  checkMatrix,
  checkSameLength,
  checkScores,
  ratio,
  type Numbers,
} from './validate.js';

export interface ConfusionMatrix {
  classes: readonly string[];
  /** counts[reference][predicted]. */
  counts: number[][];
}

export function emptyConfusion(classes: readonly string[]): ConfusionMatrix {
  return { classes, counts: classes.map(() => classes.map(() => 0)) };
}

export function confusionMatrix(
  reference: Numbers,
  predicted: Numbers,
  classes: readonly string[],
): ConfusionMatrix {
  checkSameLength(reference, predicted, 'reference vs predicted');
  checkClassIndices(reference, classes.length, 'reference');
  checkClassIndices(predicted, classes.length, 'predicted');
  const matrix = emptyConfusion(classes);
  for (let i = 0; i < reference.length; i++) matrix.counts[reference[i]!]![predicted[i]!]!++;
  return matrix;
}

/** Checks a hand-made or deserialised matrix: square, one row per class, non-negative integer counts. */
export function checkConfusion(matrix: ConfusionMatrix, input = 'confusion matrix'): void {
  const size = matrix.classes.length;
  if (matrix.counts.length !== size)
    throw new MetricError(input, `${matrix.counts.length} rows for ${size} classes`);
  matrix.counts.forEach((row, r) => {
    if (row.length !== size)
      throw new MetricError(input, `row ${r} has ${row.length} columns, expected ${size}`);
    row.forEach((value, c) => {
      if (!Number.isInteger(value) || value < 0)
        throw new MetricError(input, `cell [${r}][${c}] is ${value}, expected a count`);
    });
  });
}

/** Index of the highest score per row (first one on ties, as numpy.argmax). */
export function argmaxRows(scores: readonly Numbers[]): Int32Array {
  checkMatrix(scores, scores[0]?.length ?? 0, 'scores');
  return Int32Array.from(scores, (row, i) => {
    checkScores(row, `scores row ${i}`);
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
    return best;
  });
}

export const rowSum = (matrix: ConfusionMatrix, r: number): number =>
  matrix.counts[r]!.reduce((a, b) => a + b, 0);
export const columnSum = (matrix: ConfusionMatrix, c: number): number =>
  matrix.counts.reduce((sum, row) => sum + row[c]!, 0);

export interface ClassReport {
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Reference count of the class. */
  support: number;
}

export interface MulticlassReport {
  perClass: Record<string, ClassReport>;
  accuracy: number | null;
  /** Mean F1 over classes where it is defined (a class absent from reference and prediction is left out). */
  macroF1: number | null;
  total: number;
}

export function multiclassReport(matrix: ConfusionMatrix): MulticlassReport {
  checkConfusion(matrix);
  const perClass: Record<string, ClassReport> = {};
  let correct = 0;
  let total = 0;
  const f1s: number[] = [];
  matrix.classes.forEach((name, c) => {
    const tp = matrix.counts[c]![c]!;
    const support = rowSum(matrix, c);
    const predicted = columnSum(matrix, c);
    correct += tp;
    total += support;
    const f1 = ratio(2 * tp, support + predicted);
    if (f1 !== null) f1s.push(f1);
    perClass[name] = { precision: ratio(tp, predicted), recall: ratio(tp, support), f1, support };
  });
  return {
    perClass,
    accuracy: ratio(correct, total),
    macroF1: f1s.length === 0 ? null : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    total,
  };
}
