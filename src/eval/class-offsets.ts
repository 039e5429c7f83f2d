/**
 * Per-class logit offsets for single-label models: the decision becomes argmax(logits + offsets) instead of
 * argmax(logits). Class-weighted training and a test population whose class mix differs from training both move the
 * best decision boundary; for F1-type metrics a constant shift per class recovers much of it. The offsets are the
 * single-label counterpart of multi-label decision thresholds, and follow the same rule: they are fitted on
 * out-of-fold predictions only, and their own effect is measured by nested cross-validation (fold k's offsets come
 * from the other folds' predictions, never from fold k).
 */
import { CINC2017_CLASSES } from '../datasets/references.js';
import { MetricError } from '../errors.js';
import { aamiBeatMetrics, aamiConfusion, aamiNsvF1 } from './beats.js';
import { cinc2017Score } from './challenges.js';
import { confusionMatrix, multiclassReport } from './confusion.js';

/** Scores a set of predicted class indices against the fixed reference it was built for (higher is better). */
export type PredictionScore = (predicted: Int32Array) => number;

/**
 * The score a single-label task reports, the same choice as the trainer's primary metric: for beats the mean F1 of
 * N, S and V under EC57's rules (`aami_nsv_f1`); for the CinC 2017 classes the CinC 2017 F1 (mean over N, A, O);
 * else the macro F1 over all classes.
 */
export function singleLabelScore(
  classes: readonly string[],
  reference: Int32Array,
  task: 'records' | 'beats' = 'records',
): PredictionScore {
  if (task === 'beats')
    return (predicted) => aamiNsvF1(aamiBeatMetrics(aamiConfusion(reference, predicted))) ?? 0;
  if (classes.join(',') === CINC2017_CLASSES.join(','))
    return (predicted) => cinc2017Score(confusionMatrix(reference, predicted, CINC2017_CLASSES)).f1 ?? 0;
  return (predicted) => multiclassReport(confusionMatrix(reference, predicted, classes)).macroF1 ?? 0;
}

/** argmax over classes of logits + offsets, for every row. */
export function decide(logits: readonly ArrayLike<number>[], offsets: ArrayLike<number>): Int32Array {
  return Int32Array.from(logits, (row) => {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < row.length; c++) {
      const value = row[c]! + (offsets[c] ?? 0);
      if (value > bestValue) {
        bestValue = value;
        best = c;
      }
    }
    return best;
  });
}

export interface OffsetSearch {
  /** Largest offset tried, in logit units (the grid is symmetric around 0). */
  range: number;
  step: number;
  /** Coordinate-ascent sweeps over the classes. */
  passes: number;
  /** Indices of the classes whose offset is fitted (default: all but class 0); the others stay at 0. */
  fitted?: readonly number[];
}

export const DEFAULT_SEARCH: OffsetSearch = { range: 2, step: 0.05, passes: 3 };

/**
 * Offsets maximising `score` on these predictions: coordinate ascent over a grid, class 0's offset fixed at 0 (only
 * differences matter). Among equal scores the smallest shift wins, so flat directions stay at 0.
 */
export function fitClassOffsets(
  logits: readonly ArrayLike<number>[],
  score: PredictionScore,
  search: OffsetSearch = DEFAULT_SEARCH,
): Float64Array {
  const classes = logits[0]?.length ?? 0;
  const offsets = new Float64Array(classes);
  const grid: number[] = [];
  const steps = Math.round(search.range / search.step);
  for (let k = -steps; k <= steps; k++) grid.push(k * search.step);
  grid.sort((a, b) => Math.abs(a) - Math.abs(b) || a - b);
  const fitted = search.fitted ?? Array.from({ length: Math.max(0, classes - 1) }, (_, c) => c + 1);
  let best = score(decide(logits, offsets));
  for (let pass = 0; pass < search.passes; pass++) {
    let improved = false;
    for (const c of fitted) {
      const kept = offsets[c]!;
      let bestValue = kept;
      for (const value of grid) {
        offsets[c] = value;
        const candidate = score(decide(logits, offsets));
        if (candidate > best + 1e-12) {
          best = candidate;
          bestValue = value;
          improved = true;
        }
      }
      offsets[c] = bestValue;
    }
    if (!improved) break;
  }
  return offsets;
}

/** One fold's predictions for nested fitting: its reference classes and raw logits. */
export interface FoldPredictions {
  labels: Int32Array;
  logits: readonly ArrayLike<number>[];
}

/**
 * Nested cross-validation of the offsets: for each fold, offsets fitted on the pooled predictions of all other folds.
 * `scoreOf` builds the task's score for a reference (e.g. `(labels) => singleLabelScore(classes, labels)`).
 */
export function nestedClassOffsets(
  folds: readonly FoldPredictions[],
  scoreOf: (reference: Int32Array) => PredictionScore,
  search: OffsetSearch = DEFAULT_SEARCH,
): Float64Array[] {
  // One fold has no other folds to fit its offsets on (an empty fit would shift every logit by undefined: NaN).
  if (folds.length < 2)
    throw new MetricError(
      'folds',
      `nested class offsets need at least 2 folds (got ${folds.length}): each fold's offsets are fitted on the others`,
    );
  return folds.map((_, k) => {
    const others = folds.filter((__, j) => j !== k);
    const labels = Int32Array.from(others.flatMap((fold) => Array.from(fold.labels)));
    const logits = others.flatMap((fold) => [...fold.logits]);
    return fitClassOffsets(logits, scoreOf(labels), search);
  });
}
