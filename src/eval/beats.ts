/**
 * Beat classification statistics for MIT-BIH in AAMI classes (ANSI/AAMI EC57, as reported by de Chazal,
 * O'Dwyer & Reilly 2004 and most inter-patient papers since).
 *
 * What counts where (both conventions):
 * - reference Q beats (paced-fusion, unclassifiable; paced records are already out of DS1/DS2) are not scored
 *   at all: they are too few to give a statistic, and AAMI does not assess the Q class;
 * - a scored beat (reference N/S/V/F) that the classifier labels Q is a miss (false negative) of its class and
 *   an error for accuracy, but no class's false positive;
 * - 'ec57' (default): a reference F beat labelled V is not a V false positive (EC57 does not penalise
 *   fusion beats detected as ventricular ectopic); it stays an F miss and an accuracy error;
 * - 'strict': every off-diagonal N/S/V/F cell counts as a false positive of the predicted class.
 * Per class: Se = TP/(TP+FN), +P = TP/(TP+FP), F1 = 2TP/(2TP+FP+FN), specificity = TN/(TN+FP), FPR = FP/(TN+FP).
 */
import { AAMI_CLASSES, type AamiClass } from '../datasets/mitdb/aami.js';
import { MetricError } from '../errors.js';
import { checkConfusion, confusionMatrix, type ConfusionMatrix } from './confusion.js';
import { ratio, type Numbers } from './validate.js';

export const SCORED_AAMI_CLASSES = ['N', 'S', 'V', 'F'] as const;

/**
 * The beat task's selection metric, `aami_nsv_f1`: the mean F1 of N, S and V. F beats (0.8 % of DS1) sit in a
 * couple of patients, so their F1 swings from 0 to 0.4 between epochs and folds; F is still logged and evaluated.
 */
export const SELECTION_CLASSES = ['N', 'S', 'V'] as const;

/** Mean F1 over SELECTION_CLASSES (those with a defined F1); null when none has one. */
export function aamiNsvF1(metrics: BeatMetrics): number | null {
  const f1s = SELECTION_CLASSES.map((name) => metrics[name].f1).filter((f): f is number => f !== null);
  return f1s.length > 0 ? f1s.reduce((a, b) => a + b, 0) / f1s.length : null;
}
export type ScoredAamiClass = (typeof SCORED_AAMI_CLASSES)[number];

export type BeatConvention = 'ec57' | 'strict';

export interface ConventionSpec {
  description: string;
  /** Cells (reference, predicted) that are no false positive of the predicted class. */
  exemptFalsePositives: readonly [reference: ScoredAamiClass, predicted: ScoredAamiClass][];
}

export const BEAT_CONVENTIONS: Record<BeatConvention, ConventionSpec> = {
  ec57: {
    description:
      'AAMI EC57 / de Chazal 2004: reference Q beats not scored; F beats labelled V are not V false positives',
    exemptFalsePositives: [['F', 'V']],
  },
  strict: {
    description: 'reference Q beats not scored; every other misclassification is a false positive',
    exemptFalsePositives: [],
  },
};

export interface BeatClassMetrics {
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  se: number | null;
  ppv: number | null;
  f1: number | null;
  specificity: number | null;
  fpr: number | null;
}

export type BeatMetrics = Record<ScoredAamiClass, BeatClassMetrics> & {
  /** Correct N/S/V/F beats over all scored beats. */
  accuracy: number | null;
  /** Beats scored (reference N, S, V or F). */
  scored: number;
  /** Reference Q beats left out. */
  excludedQ: number;
  convention: BeatConvention;
};

/** 5x5 AAMI confusion matrix from class indices into AAMI_CLASSES (N, S, V, F, Q). */
export function aamiConfusion(reference: Numbers, predicted: Numbers): ConfusionMatrix {
  return confusionMatrix(reference, predicted, AAMI_CLASSES);
}

const indexOf = (name: AamiClass): number => AAMI_CLASSES.indexOf(name);

function classMetrics(
  matrix: ConfusionMatrix,
  target: ScoredAamiClass,
  spec: ConventionSpec,
  scored: number,
) {
  const t = indexOf(target);
  const tp = matrix.counts[t]![t]!;
  const fn = matrix.counts[t]!.reduce((a, b) => a + b, 0) - tp;
  let fp = 0;
  let exempt = 0;
  for (const reference of SCORED_AAMI_CLASSES) {
    if (reference === target) continue;
    const cell = matrix.counts[indexOf(reference)]![t]!;
    const isExempt = spec.exemptFalsePositives.some(([r, p]) => r === reference && p === target);
    if (isExempt) exempt += cell;
    else fp += cell;
  }
  // Exempt beats are neither false nor true negatives of the target class.
  const tn = scored - tp - fn - fp - exempt;
  return {
    tp,
    fn,
    fp,
    tn,
    se: ratio(tp, tp + fn),
    ppv: ratio(tp, tp + fp),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    specificity: ratio(tn, tn + fp),
    fpr: ratio(fp, tn + fp),
  } satisfies BeatClassMetrics;
}

/** The convention's rules; an unknown name (also `toString`, `constructor`...) is a MetricError. */
export function beatConvention(convention: BeatConvention): ConventionSpec {
  if (!Object.hasOwn(BEAT_CONVENTIONS, convention))
    throw new MetricError('convention', `unknown beat convention ${JSON.stringify(convention)}`);
  return BEAT_CONVENTIONS[convention];
}

/** Per-class Se, +P, F1, specificity, FPR and overall accuracy from a 5x5 matrix over N, S, V, F, Q. */
export function aamiBeatMetrics(matrix: ConfusionMatrix, convention: BeatConvention = 'ec57'): BeatMetrics {
  checkConfusion(matrix);
  if (matrix.classes.join(',') !== AAMI_CLASSES.join(','))
    throw new MetricError(
      'confusion matrix',
      `needs classes [${AAMI_CLASSES.join(', ')}], got [${matrix.classes.join(', ')}]`,
    );
  const spec = beatConvention(convention);
  let scored = 0;
  let correct = 0;
  for (const name of SCORED_AAMI_CLASSES) {
    const r = indexOf(name);
    scored += matrix.counts[r]!.reduce((a, b) => a + b, 0);
    correct += matrix.counts[r]![r]!;
  }
  const perClass = Object.fromEntries(
    SCORED_AAMI_CLASSES.map((name) => [name, classMetrics(matrix, name, spec, scored)]),
  ) as Record<ScoredAamiClass, BeatClassMetrics>;
  return {
    ...perClass,
    accuracy: ratio(correct, scored),
    scored,
    excludedQ: matrix.counts[indexOf('Q')]!.reduce((a, b) => a + b, 0),
    convention,
  };
}
