/**
 * Decision offsets on a finished single-label cross-validation (src/eval/class-offsets.ts): the offsets fitted on all
 * pooled out-of-fold logits (what a bundled ensemble ships) and their honest figure, a nested CV in which fold k is
 * decided with offsets fitted on the other folds only. No training: the folds' heldout.json logits are reused.
 */
import {
  DEFAULT_SEARCH,
  fitClassOffsets,
  nestedClassOffsets,
  singleLabelScore,
  type FoldPredictions,
} from '../eval/class-offsets.js';
import { ConfigError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { outputsMetrics, summarise, type CvSummary } from './cv.js';
import type { HeldoutFile } from './loop.js';
import type { TaskOutputs } from './task.js';

export interface OffsetsCv {
  /** The folds decided by plain argmax. */
  plain: CvSummary;
  /** The folds decided with their nested offsets. */
  nested: CvSummary;
  nestedOffsets: number[][];
  /** Offsets fitted on every fold's out-of-fold logits. */
  offsets: number[];
}

/**
 * `fitted` names the classes whose offset is fitted (default: every class but the first, whose offset is the
 * reference 0). Fewer free offsets are steadier when some classes have few examples, e.g. only S for beats, where F
 * and Q sit in one or two patients.
 */
export function offsetsCv(
  heldout: readonly HeldoutFile[],
  config: TrainConfig,
  fitted?: readonly string[],
): OffsetsCv {
  const { folds, scoreOf, search } = offsetProblem(
    heldout.map((file) => file.outputs),
    fitted,
  );
  const nested = nestedOffsetOutputs(
    heldout.map((file) => file.outputs),
    fitted,
  );
  const shifted = heldout.map((file, k) => ({
    ...file,
    outputs: nested.outputs[k]!,
    metrics: outputsMetrics(nested.outputs[k]!),
  }));
  const offsets = fitClassOffsets(
    folds.flatMap((fold) => [...fold.logits]),
    scoreOf(Int32Array.from(folds.flatMap((fold) => Array.from(fold.labels)))),
    search,
  );
  const plain = summarise(heldout, config);
  return {
    plain,
    nested: withPlainRanking(summarise(shifted, config), plain),
    nestedOffsets: nested.offsets,
    offsets: Array.from(offsets),
  };
}

/** Figures that rank items rather than decide them (AUROC, AP): offsets are a decision rule and must not move them. */
export function isRankingFigure(key: string): boolean {
  return /^(macro_auroc|auroc_|macro_ap)/.test(key);
}

/**
 * The nested summary with the plain one's ranking figures: shifting logits by per-fold offsets re-weights the softmax
 * within a fold and differently across folds, so AUROC and AP of shifted logits are not the model's.
 */
function withPlainRanking(nested: CvSummary, plain: CvSummary): CvSummary {
  const ranking = (details: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(details).filter(([key]) => isRankingFigure(key)));
  return {
    ...nested,
    perFold: nested.perFold.map((fold, k) => ({
      ...fold,
      details: { ...fold.details, ...ranking(plain.perFold[k]!.details) },
    })),
    pooled: { ...nested.pooled, details: { ...nested.pooled.details, ...ranking(plain.pooled.details) } },
    intervals: { ...nested.intervals, ...ranking(plain.intervals) } as CvSummary['intervals'],
  };
}

/**
 * Each fold's outputs decided with offsets fitted on the other folds only (their logits shifted by them), and those
 * offsets: the honest figure of a decision rule fitted out of fold, for any set of folds (one CV, or an ensemble's
 * averaged logits).
 */
export function nestedOffsetOutputs(
  foldOutputs: readonly TaskOutputs[],
  fitted?: readonly string[],
): { outputs: TaskOutputs[]; offsets: number[][] } {
  const { folds, scoreOf, search } = offsetProblem(foldOutputs, fitted);
  const offsets = nestedClassOffsets(folds, scoreOf, search);
  return {
    outputs: foldOutputs.map((outputs, k) => ({
      ...outputs,
      logits: outputs.logits.map((row) => row.map((x, c) => x + offsets[k]![c]!)),
    })),
    offsets: offsets.map((o) => Array.from(o)),
  };
}

/** The folds' labels and logits, the task's score and the offset search (only `fitted` classes move). */
function offsetProblem(foldOutputs: readonly TaskOutputs[], fitted?: readonly string[]) {
  const { classes, labelKind, task } = foldOutputs[0]!;
  if (labelKind !== 'single-label' || task === 'pretrain')
    throw new ConfigError('class offsets are for single-label classification tasks');
  const folds: FoldPredictions[] = foldOutputs.map((outputs) => ({
    labels: Int32Array.from(outputs.labels, (labels) => labels[0] ?? 0),
    logits: outputs.logits,
  }));
  const scoreOf = (reference: Int32Array) => singleLabelScore(classes, reference, task);
  const search = { ...DEFAULT_SEARCH, ...(fitted ? { fitted: fittedIndices(classes, fitted) } : {}) };
  return { folds, scoreOf, search };
}

function fittedIndices(classes: readonly string[], names: readonly string[]): number[] {
  return names.map((name) => {
    const index = classes.indexOf(name);
    if (index < 0)
      throw new ConfigError(`offset class ${JSON.stringify(name)} is not one of ${classes.join(', ')}`);
    if (index === 0) throw new ConfigError(`offset class ${name} is the reference class (its offset is 0)`);
    return index;
  });
}
