/**
 * Binary ranking metrics, exact and with ties handled as scikit-learn does: samples with equal scores
 * form one operating point (one threshold), so a tie makes a diagonal ROC segment rather than an
 * order-dependent staircase. Thresholds mean "predict positive when score >= threshold".
 */
import { MetricError } from '../errors.js';
import {
  checkBinaryLabels,
  checkNotEmpty,
  checkSameLength,
  checkScores,
  ratio,
  type Numbers,
} from './validate.js';

/** Cumulative counts at each distinct score, scores descending (sklearn's `_binary_clf_curve`). */
export interface OperatingPoints {
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** True positives when predicting positive at score >= thresholds[k]. */
  tps: Float64Array;
  /** False positives at the same thresholds. */
  fps: Float64Array;
}

export function operatingPoints(labels: Numbers, scores: Numbers, input = 'scores'): OperatingPoints {
  checkSameLength(labels, scores, `${input} vs labels`);
  checkNotEmpty(scores, input);
  checkScores(scores, input);
  checkBinaryLabels(labels, `${input} labels`);
  // Positive and negative scores sorted apart (native numeric sort, no comparator), then merged from the top.
  const positives = new Float64Array(scores.length);
  const negatives = new Float64Array(scores.length);
  let positiveCount = 0;
  let negativeCount = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === 1) positives[positiveCount++] = scores[i]!;
    else negatives[negativeCount++] = scores[i]!;
  }
  const positive = positives.subarray(0, positiveCount).sort();
  const negative = negatives.subarray(0, negativeCount).sort();
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let p = positiveCount - 1;
  let n = negativeCount - 1;
  while (p >= 0 || n >= 0) {
    const score = Math.max(p >= 0 ? positive[p]! : -Infinity, n >= 0 ? negative[n]! : -Infinity);
    // Tied samples of either class share one threshold.
    while (p >= 0 && positive[p] === score) p--;
    while (n >= 0 && negative[n] === score) n--;
    thresholds.push(score);
    tps.push(positiveCount - 1 - p);
    fps.push(negativeCount - 1 - n);
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
  };
}

function positivesAndNegatives(points: OperatingPoints): { positives: number; negatives: number } {
  const last = points.tps.length - 1;
  return { positives: points.tps[last]!, negatives: points.fps[last]! };
}

/** Throws unless both classes are present: ROC is undefined otherwise. */
function requireBothClasses(points: OperatingPoints, input: string): void {
  const { positives, negatives } = positivesAndNegatives(points);
  if (positives === 0) throw new MetricError(input, 'no positive labels: ROC/AUROC undefined');
  if (negatives === 0) throw new MetricError(input, 'no negative labels: ROC/AUROC undefined');
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** thresholds[0] is +Infinity (the (0, 0) point: nothing predicted positive). */
  thresholds: Float64Array;
}

/** Second-difference test of sklearn's `drop_intermediate`: keep corners, drop collinear interior points. */
function cornerIndices(points: OperatingPoints): number[] {
  const { tps, fps } = points;
  const keep = [0];
  for (let k = 1; k < tps.length - 1; k++) {
    const bendsFp = fps[k + 1]! - 2 * fps[k]! + fps[k - 1]! !== 0;
    const bendsTp = tps[k + 1]! - 2 * tps[k]! + tps[k - 1]! !== 0;
    if (bendsFp || bendsTp) keep.push(k);
  }
  if (tps.length > 1) keep.push(tps.length - 1);
  return keep;
}

/** ROC curve; `dropIntermediate` (default true, as sklearn) removes points that do not change its shape. */
export function rocCurve(
  labels: Numbers,
  scores: Numbers,
  options: { dropIntermediate?: boolean; input?: string } = {},
): RocCurve {
  const input = options.input ?? 'scores';
  const points = operatingPoints(labels, scores, input);
  requireBothClasses(points, input);
  const kept =
    (options.dropIntermediate ?? true) && points.tps.length > 2
      ? cornerIndices(points)
      : Array.from(points.tps, (_, k) => k);
  const { positives, negatives } = positivesAndNegatives(points);
  return {
    fpr: Float64Array.from([0, ...kept.map((k) => points.fps[k]! / negatives)]),
    tpr: Float64Array.from([0, ...kept.map((k) => points.tps[k]! / positives)]),
    thresholds: Float64Array.from([Infinity, ...kept.map((k) => points.thresholds[k]!)]),
  };
}

/** Trapezoidal area under y(x) (x monotone), as numpy.trapz. */
export function trapezoid(x: Numbers, y: Numbers): number {
  let area = 0;
  for (let k = 1; k < x.length; k++) area += ((x[k]! - x[k - 1]!) * (y[k]! + y[k - 1]!)) / 2;
  return area;
}

/** Area under the ROC curve; ties count one half, as in the Mann-Whitney statistic. */
export function auroc(labels: Numbers, scores: Numbers, input = 'scores'): number {
  const curve = rocCurve(labels, scores, { input });
  return trapezoid(curve.fpr, curve.tpr);
}

export interface PrCurve {
  /** Decreasing recall order, ending with the (recall 0, precision 1) point, as sklearn. */
  precision: Float64Array;
  recall: Float64Array;
  /** Ascending; precision[k], recall[k] belong to thresholds[k] (the last point has no threshold). */
  thresholds: Float64Array;
}

export function precisionRecallCurve(labels: Numbers, scores: Numbers, input = 'scores'): PrCurve {
  const points = operatingPoints(labels, scores, input);
  const { positives } = positivesAndNegatives(points);
  if (positives === 0) throw new MetricError(input, 'no positive labels: precision-recall curve undefined');
  const count = points.tps.length;
  const precision = new Float64Array(count + 1);
  const recall = new Float64Array(count + 1);
  const thresholds = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const from = count - 1 - k;
    const tp = points.tps[from]!;
    precision[k] = tp / (tp + points.fps[from]!);
    recall[k] = tp / positives;
    thresholds[k] = points.thresholds[from]!;
  }
  precision[count] = 1;
  recall[count] = 0;
  return { precision, recall, thresholds };
}

/** Average precision = sum over thresholds of (R_k - R_{k-1}) P_k, no interpolation (sklearn's definition). */
export function averagePrecision(labels: Numbers, scores: Numbers, input = 'scores'): number {
  const { precision, recall } = precisionRecallCurve(labels, scores, input);
  let sum = 0;
  for (let k = 0; k < recall.length - 1; k++) sum -= (recall[k + 1]! - recall[k]!) * precision[k]!;
  return sum;
}

export interface ThresholdCounts {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** null when nothing is predicted positive. */
  precision: number | null;
  /** null when there are no positive labels. */
  recall: number | null;
  /** 2TP / (2TP + FP + FN); null when there is neither a positive label nor a positive prediction. */
  f1: number | null;
}

export function countsToMetrics(threshold: number, tp: number, fp: number, fn: number, tn: number) {
  return {
    threshold,
    tp,
    fp,
    fn,
    tn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  } satisfies ThresholdCounts;
}

/** Precision, recall and F1 when predicting positive at score >= threshold. */
export function metricsAtThreshold(
  labels: Numbers,
  scores: Numbers,
  threshold: number,
  input = 'scores',
): ThresholdCounts {
  checkSameLength(labels, scores, `${input} vs labels`);
  checkScores(scores, input);
  checkBinaryLabels(labels, `${input} labels`);
  if (Number.isNaN(threshold)) throw new MetricError(`${input} threshold`, 'is NaN');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i]! >= threshold;
    const positive = labels[i] === 1;
    if (predicted && positive) tp++;
    else if (predicted) fp++;
    else if (positive) fn++;
    else tn++;
  }
  return countsToMetrics(threshold, tp, fp, fn, tn);
}

/**
 * Threshold maximising F1 among the distinct scores (every operating point). Ties in F1 go to the higher
 * threshold (fewer positive predictions). Needs at least one positive label.
 */
export function bestF1Threshold(labels: Numbers, scores: Numbers, input = 'scores'): ThresholdCounts {
  const points = operatingPoints(labels, scores, input);
  const { positives, negatives } = positivesAndNegatives(points);
  if (positives === 0) throw new MetricError(input, 'no positive labels: no F1-maximising threshold');
  let best = 0;
  let bestF1 = -1;
  for (let k = 0; k < points.tps.length; k++) {
    const f1 = (2 * points.tps[k]!) / (points.tps[k]! + points.fps[k]! + positives);
    if (f1 > bestF1) [best, bestF1] = [k, f1];
  }
  const tp = points.tps[best]!;
  const fp = points.fps[best]!;
  return countsToMetrics(points.thresholds[best]!, tp, fp, positives - tp, negatives - fp);
}
