/**
 * Official scores of the PhysioNet/CinC 2017 and CPSC 2018 challenges, from their confusion matrices.
 * Both use F1_j = 2 N_jj / (N_j. + N_.j) (row sum: reference count, column sum: predicted count).
 */
import { CINC2017_CLASSES, CPSC2018_CLASSES } from '../datasets/references.js';
import { MetricError } from '../errors.js';
import {
  checkConfusion,
  columnSum,
  confusionMatrix,
  emptyConfusion,
  rowSum,
  type ConfusionMatrix,
} from './confusion.js';
import { checkClassIndices, ratio, type Numbers } from './validate.js';

type Cinc2017Class = (typeof CINC2017_CLASSES)[number];
type Cpsc2018Class = (typeof CPSC2018_CLASSES)[number];

function checkClasses(matrix: ConfusionMatrix, expected: readonly string[], challenge: string): void {
  checkConfusion(matrix);
  if (matrix.classes.join(',') !== expected.join(','))
    throw new MetricError(
      'confusion matrix',
      `${challenge} needs classes [${expected.join(', ')}] in that order, got [${matrix.classes.join(', ')}]`,
    );
}

/** F1 of a group of classes pooled: 2 sum N_jj / sum (N_j. + N_.j); null when the group never occurs. */
function groupF1(matrix: ConfusionMatrix, members: readonly string[]): number | null {
  let hits = 0;
  let denominator = 0;
  for (const name of members) {
    const j = matrix.classes.indexOf(name);
    hits += matrix.counts[j]![j]!;
    denominator += rowSum(matrix, j) + columnSum(matrix, j);
  }
  return ratio(2 * hits, denominator);
}

function meanOrNull(values: readonly (number | null)[]): number | null {
  if (values.some((value) => value === null)) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}

export interface Cinc2017Score {
  /** (F1_N + F1_A + F1_O) / 3: the noise class is scored but not averaged; null if one is undefined. */
  f1: number | null;
  /** Includes '~'; null when a class is absent from both reference and prediction. */
  f1_per_class: Record<Cinc2017Class, number | null>;
}

/** CinC 2017 score from the 4x4 matrix over N, A, O, ~. */
/** The classes the CinC 2017 F1 averages (noise is scored but not averaged). */
export const CINC2017_F1_CLASSES = ['N', 'A', 'O'] as const;

export function cinc2017Score(matrix: ConfusionMatrix): Cinc2017Score {
  checkClasses(matrix, CINC2017_CLASSES, 'CinC 2017');
  const perClass = Object.fromEntries(
    CINC2017_CLASSES.map((name) => [name, groupF1(matrix, [name])]),
  ) as Record<Cinc2017Class, number | null>;
  return { f1: meanOrNull(CINC2017_F1_CLASSES.map((name) => perClass[name])), f1_per_class: perClass };
}

/** Reference and predicted class indices into CINC2017_CLASSES. */
export function cinc2017Confusion(reference: Numbers, predicted: Numbers): ConfusionMatrix {
  return confusionMatrix(reference, predicted, CINC2017_CLASSES);
}

/** Sub-scores of CPSC 2018: each pools the classes of one abnormality family. */
const CPSC2018_GROUPS = {
  faf: ['AF'],
  fblock: ['I-AVB', 'LBBB', 'RBBB'],
  fpc: ['PAC', 'PVC'],
  fst: ['STD', 'STE'],
} as const satisfies Record<string, readonly Cpsc2018Class[]>;

export interface Cpsc2018Score {
  /** Mean of the nine per-class F1; null if one is undefined. */
  f1: number | null;
  f1_per_class: Record<Cpsc2018Class, number | null>;
  faf: number | null;
  fblock: number | null;
  fpc: number | null;
  fst: number | null;
}

/**
 * CPSC 2018 confusion matrix: one predicted class per record. If it is among the record's labels the record
 * counts on the diagonal of that class; otherwise in the row of the record's FIRST label (the order of the
 * challenge's REFERENCE.csv: pass labels in that order, not sorted).
 */
export function cpsc2018Confusion(referenceLabels: readonly Numbers[], predicted: Numbers): ConfusionMatrix {
  if (referenceLabels.length !== predicted.length)
    throw new MetricError(
      'referenceLabels',
      `${referenceLabels.length} records but ${predicted.length} predictions`,
    );
  const classCount = CPSC2018_CLASSES.length;
  checkClassIndices(predicted, classCount, 'predicted');
  const matrix = emptyConfusion(CPSC2018_CLASSES);
  referenceLabels.forEach((labels, i) => {
    if (labels.length === 0) throw new MetricError('referenceLabels', `record ${i} has no label`);
    checkClassIndices(labels, classCount, `referenceLabels[${i}]`);
    const guess = predicted[i]!;
    const row = Array.from(labels).includes(guess) ? guess : labels[0]!;
    matrix.counts[row]![guess]!++;
  });
  return matrix;
}

export function cpsc2018Score(matrix: ConfusionMatrix): Cpsc2018Score {
  checkClasses(matrix, CPSC2018_CLASSES, 'CPSC 2018');
  const perClass = Object.fromEntries(
    CPSC2018_CLASSES.map((name) => [name, groupF1(matrix, [name])]),
  ) as Record<Cpsc2018Class, number | null>;
  return {
    f1: meanOrNull(Object.values(perClass)),
    f1_per_class: perClass,
    faf: groupF1(matrix, CPSC2018_GROUPS.faf),
    fblock: groupF1(matrix, CPSC2018_GROUPS.fblock),
    fpc: groupF1(matrix, CPSC2018_GROUPS.fpc),
    fst: groupF1(matrix, CPSC2018_GROUPS.fst),
  };
}
