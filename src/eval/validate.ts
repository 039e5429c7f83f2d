/** Input checks shared by the metrics: every bad input becomes a MetricError naming the argument. */
import { MetricError } from '../errors.js';

export type Numbers = ArrayLike<number>;

/** Scores must be finite: a NaN would sort arbitrarily and silently change every curve. */
export function checkScores(scores: Numbers, input = 'scores'): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new MetricError(input, `element ${i} is ${scores[i]}, not finite`);
  }
}

/** Binary labels are 0 or 1 (booleans in number form), nothing else. */
export function checkBinaryLabels(labels: Numbers, input = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const value = labels[i];
    if (value !== 0 && value !== 1) throw new MetricError(input, `element ${i} is ${value}, expected 0 or 1`);
  }
}

export function checkSameLength(a: Numbers, b: Numbers, what: string): void {
  if (a.length !== b.length) throw new MetricError(what, `lengths differ (${a.length} vs ${b.length})`);
}

export function checkNotEmpty(values: { length: number }, input: string): void {
  if (values.length === 0) throw new MetricError(input, 'is empty');
}

/** Class indices are integers in [0, classCount). */
export function checkClassIndices(values: Numbers, classCount: number, input: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < 0 || value >= classCount)
      throw new MetricError(input, `element ${i} is ${value}, expected a class index in [0, ${classCount})`);
  }
}

/** A score or label matrix: rows are samples, every row has `columns` entries. */
export function checkMatrix(rows: readonly Numbers[], columns: number, input: string): void {
  checkNotEmpty(rows, input);
  rows.forEach((row, i) => {
    if (row.length !== columns)
      throw new MetricError(input, `row ${i} has ${row.length} entries, expected ${columns}`);
  });
}

/** Column `c` of a row-major matrix as a Float64Array. */
export function column(rows: readonly Numbers[], c: number): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i]![c]!;
  return out;
}

/** All entries of a row-major matrix in one array (row after row). */
export function flattenRows(rows: readonly Numbers[], columns: number): Float64Array {
  const out = new Float64Array(rows.length * columns);
  rows.forEach((row, i) => {
    for (let c = 0; c < columns; c++) out[i * columns + c] = row[c]!;
  });
  return out;
}

/** a / b, or null when b is 0 (an undefined ratio is reported, never a NaN). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}
