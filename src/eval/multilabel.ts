/**
 * Multi-label (and one-vs-rest multi-class) metrics over a samples x classes score matrix and a multi-hot
 * label matrix. A class whose metric is undefined (AUROC without positives or negatives, AP without
 * positives) is skipped from the macro average and listed in `skipped`; it is never averaged in as NaN.
 */
import { MetricError } from '../errors.js';
import {
  auroc,
  averagePrecision,
  bestF1Threshold,
  countsToMetrics,
  metricsAtThreshold,
  type ThresholdCounts,
} from './binary.js';
import {
  checkBinaryLabels,
  checkClassIndices,
  checkMatrix,
  checkScores,
  column,
  flattenRows,
  type Numbers,
} from './validate.js';

export interface SkippedClass {
  class: string;
  reason: string;
}

export interface AveragedMetric {
  /** null for skipped classes. */
  perClass: Record<string, number | null>;
  /** Unweighted mean over the classes that were not skipped; null when all were. */
  macro: number | null;
  /** The metric on all (sample, class) pairs pooled; null when undefined on the pooled pairs. */
  micro: number | null;
  skipped: SkippedClass[];
}

type Matrix = readonly Numbers[];

function checkInputs(labels: Matrix, scores: Matrix, classes: readonly string[]): void {
  checkMatrix(scores, classes.length, 'scores');
  checkMatrix(labels, classes.length, 'labels');
  if (labels.length !== scores.length)
    throw new MetricError('labels', `${labels.length} rows but scores has ${scores.length}`);
  scores.forEach((row, i) => checkScores(row, `scores row ${i}`));
  labels.forEach((row, i) => checkBinaryLabels(row, `labels row ${i}`));
}

/** Multi-hot rows from class indices (one-vs-rest view of single-label targets). */
export function oneHot(indices: Numbers, classCount: number): Float64Array[] {
  checkClassIndices(indices, classCount, 'indices');
  return Array.from(indices, (index) => {
    const row = new Float64Array(classCount);
    row[index] = 1;
    return row;
  });
}

function counts(labels: Numbers): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return { positives, negatives: labels.length - positives };
}

/** Why a ranking metric is undefined for these labels, or null when it is defined. */
type Undefinedness = (labels: Numbers) => string | null;

const needsBothClasses: Undefinedness = (labels) => {
  const { positives, negatives } = counts(labels);
  if (positives === 0) return 'no positive samples';
  return negatives === 0 ? 'no negative samples' : null;
};
const needsPositives: Undefinedness = (labels) =>
  counts(labels).positives === 0 ? 'no positive samples' : null;

function averaged(
  labels: Matrix,
  scores: Matrix,
  classes: readonly string[],
  metric: (labels: Numbers, scores: Numbers, input: string) => number,
  undefinedWhen: Undefinedness,
): AveragedMetric {
  checkInputs(labels, scores, classes);
  const perClass: Record<string, number | null> = {};
  const skipped: SkippedClass[] = [];
  const defined: number[] = [];
  classes.forEach((name, c) => {
    const classLabels = column(labels, c);
    const reason = undefinedWhen(classLabels);
    if (reason !== null) {
      perClass[name] = null;
      skipped.push({ class: name, reason });
      return;
    }
    const value = metric(classLabels, column(scores, c), `scores of class ${name}`);
    perClass[name] = value;
    defined.push(value);
  });
  const pooledLabels = flattenRows(labels, classes.length);
  const pooledScores = flattenRows(scores, classes.length);
  const micro =
    undefinedWhen(pooledLabels) === null ? metric(pooledLabels, pooledScores, 'pooled scores') : null;
  const macro = defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length;
  return { perClass, macro, micro, skipped };
}

/** Per-class, macro and micro AUROC. */
export function multilabelAuroc(labels: Matrix, scores: Matrix, classes: readonly string[]): AveragedMetric {
  return averaged(labels, scores, classes, auroc, needsBothClasses);
}

/** Per-class, macro and micro average precision (AUPRC as sklearn's average_precision_score). */
export function multilabelAveragePrecision(
  labels: Matrix,
  scores: Matrix,
  classes: readonly string[],
): AveragedMetric {
  return averaged(labels, scores, classes, averagePrecision, needsPositives);
}

export interface SelectedThresholds {
  /** F1-maximising threshold per class on the validation set; null for skipped classes. */
  thresholds: Record<string, number | null>;
  /** Validation counts and F1 at the chosen threshold. */
  validation: Record<string, ThresholdCounts | null>;
  skipped: SkippedClass[];
}

/** Per-class threshold maximising validation F1 (a class without validation positives gets none). */
export function selectThresholds(
  labels: Matrix,
  scores: Matrix,
  classes: readonly string[],
): SelectedThresholds {
  checkInputs(labels, scores, classes);
  const result: SelectedThresholds = { thresholds: {}, validation: {}, skipped: [] };
  classes.forEach((name, c) => {
    const classLabels = column(labels, c);
    const reason = needsPositives(classLabels);
    if (reason !== null) {
      result.thresholds[name] = null;
      result.validation[name] = null;
      result.skipped.push({ class: name, reason: `${reason} in the validation set` });
      return;
    }
    const best = bestF1Threshold(classLabels, column(scores, c), `validation scores of class ${name}`);
    result.thresholds[name] = best.threshold;
    result.validation[name] = best;
  });
  return result;
}

export interface ThresholdedMetrics {
  perClass: Record<string, ThresholdCounts | null>;
  /** Mean F1 over classes with a threshold and a defined F1. */
  macroF1: number | null;
  /** F1 of the pooled counts. */
  microF1: number | null;
  skipped: SkippedClass[];
}

/** Applies per-class thresholds (e.g. chosen on validation) to test scores. */
export function applyThresholds(
  labels: Matrix,
  scores: Matrix,
  classes: readonly string[],
  thresholds: Readonly<Record<string, number | null>>,
): ThresholdedMetrics {
  checkInputs(labels, scores, classes);
  const result: ThresholdedMetrics = { perClass: {}, macroF1: null, microF1: null, skipped: [] };
  const pooled = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const f1s: number[] = [];
  classes.forEach((name, c) => {
    const threshold = thresholds[name];
    if (threshold === undefined) throw new MetricError('thresholds', `no entry for class ${name}`);
    if (threshold === null) {
      result.perClass[name] = null;
      result.skipped.push({ class: name, reason: 'no threshold (none could be selected)' });
      return;
    }
    const metrics = metricsAtThreshold(column(labels, c), column(scores, c), threshold, `scores of ${name}`);
    result.perClass[name] = metrics;
    for (const key of ['tp', 'fp', 'fn', 'tn'] as const) pooled[key] += metrics[key];
    if (metrics.f1 === null)
      result.skipped.push({ class: name, reason: 'F1 undefined: no positives predicted or present' });
    else f1s.push(metrics.f1);
  });
  if (f1s.length > 0) result.macroF1 = f1s.reduce((a, b) => a + b, 0) / f1s.length;
  result.microF1 = countsToMetrics(NaN, pooled.tp, pooled.fp, pooled.fn, pooled.tn).f1;
  return result;
}

export interface FmaxResult {
  fmax: number;
  threshold: number;
  precision: number;
  recall: number;
  /** Samples without any true label: excluded, as CAFA's benchmark has only annotated samples. */
  excludedSamples: number;
}

/** Sample-centric precision and recall at one global threshold (CAFA; PTB-XL benchmark's Fmax). */
function sampleCentric(labels: Matrix, scores: Matrix, rows: readonly number[], threshold: number) {
  let precisionSum = 0;
  let predictingSamples = 0;
  let recallSum = 0;
  for (const i of rows) {
    let predicted = 0;
    let hits = 0;
    let truths = 0;
    for (let c = 0; c < scores[i]!.length; c++) {
      const positive = scores[i]![c]! >= threshold;
      const truth = labels[i]![c] === 1;
      if (positive) predicted++;
      if (truth) truths++;
      if (positive && truth) hits++;
    }
    if (predicted > 0) {
      precisionSum += hits / predicted;
      predictingSamples++;
    }
    recallSum += hits / truths;
  }
  return {
    precision: predictingSamples === 0 ? null : precisionSum / predictingSamples,
    recall: recallSum / rows.length,
  };
}

function fScore(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/**
 * Fmax = max over one global threshold t of the harmonic mean of sample-centric precision (averaged over
 * samples with at least one score >= t) and recall (averaged over all samples with a true label).
 * Candidate thresholds: every distinct score (exact), or `options.thresholds` (e.g. a 0.01 grid).
 * The sweep updates running sums pair by pair; the winner is then recomputed from scratch.
 */
export function fmax(labels: Matrix, scores: Matrix, options: { thresholds?: Numbers } = {}): FmaxResult {
  const classCount = scores[0]?.length ?? 0;
  checkInputs(
    labels,
    scores,
    Array.from({ length: classCount }, (_, c) => String(c)),
  );
  const rows = labels.flatMap((row, i) => (counts(row).positives > 0 ? [i] : []));
  if (rows.length === 0) throw new MetricError('labels', 'no sample has a true label: Fmax undefined');
  // Pair k is (rows[k / classCount], k % classCount); visited in descending score order.
  const pairScores = new Float64Array(rows.length * classCount);
  rows.forEach((i, r) => {
    for (let c = 0; c < classCount; c++) pairScores[r * classCount + c] = scores[i]![c]!;
  });
  const order = Uint32Array.from(pairScores.keys()).sort((a, b) => pairScores[b]! - pairScores[a]!);
  const candidates = options.thresholds
    ? Array.from(options.thresholds).sort((a, b) => b - a)
    : [...new Set(pairScores.slice().sort().reverse())];
  if (candidates.length === 0) throw new MetricError('options.thresholds', 'is empty');
  checkScores(candidates, 'options.thresholds');

  const predicted = new Float64Array(labels.length);
  const hits = new Float64Array(labels.length);
  const truths = Float64Array.from(labels, (row) => counts(row).positives);
  let precisionSum = 0;
  let predictingSamples = 0;
  let recallSum = 0;
  let next = 0;
  let best: { f: number; threshold: number } | null = null;
  for (const threshold of candidates) {
    for (; next < order.length && pairScores[order[next]!]! >= threshold; next++) {
      const i = rows[Math.floor(order[next]! / classCount)]!;
      const c = order[next]! % classCount;
      if (predicted[i]! > 0) precisionSum -= hits[i]! / predicted[i]!;
      else predictingSamples++;
      predicted[i]!++;
      if (labels[i]![c] === 1) {
        hits[i]!++;
        recallSum += 1 / truths[i]!;
      }
      precisionSum += hits[i]! / predicted[i]!;
    }
    if (predictingSamples === 0) continue;
    const f = fScore(precisionSum / predictingSamples, recallSum / rows.length);
    if (best === null || f > best.f) best = { f, threshold };
  }
  if (best === null)
    throw new MetricError('scores', 'no candidate threshold predicts any label: Fmax undefined');
  const exact = sampleCentric(labels, scores, rows, best.threshold);
  const precision = exact.precision!;
  return {
    fmax: fScore(precision, exact.recall),
    threshold: best.threshold,
    precision,
    recall: exact.recall,
    excludedSamples: labels.length - rows.length,
  };
}
