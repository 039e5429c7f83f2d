/**
 * JSON result objects per dataset, with bootstrap 95 % intervals in `ci95` mirroring the metric fields
 * (e.g. `ci95.f1_per_class.A = [lower, upper]`). Field names are stable: other tools read them.
 */
import { AAMI_CLASSES } from '../datasets/mitdb/aami.js';
import {
  aamiBeatMetrics,
  aamiConfusion,
  beatConvention,
  SCORED_AAMI_CLASSES,
  type BeatConvention,
} from './beats.js';
import {
  bootstrap,
  definedClasses,
  macroOverRequired,
  type BootstrapOptions,
  type IntervalTree,
} from './bootstrap.js';
import {
  cinc2017Confusion,
  cinc2017Score,
  cpsc2018Confusion,
  cpsc2018Score,
  type Cpsc2018Score,
} from './challenges.js';
import type { ConfusionMatrix } from './confusion.js';
import { fmax, multilabelAuroc, multilabelAveragePrecision, type SkippedClass } from './multilabel.js';
import type { Numbers } from './validate.js';

/** `false` skips the intervals (they cost `resamples` recomputations of the metric). */
export interface ResultOptions {
  bootstrap?: BootstrapOptions | false;
}

function pick<T>(values: ArrayLike<T>, indices: Uint32Array): T[] {
  return Array.from(indices, (i) => values[i]!);
}

function intervals<T>(
  count: number,
  metric: (indices: Uint32Array) => T,
  options: ResultOptions,
  notes: string[],
): IntervalTree<T> | null {
  if (options.bootstrap === false) return null;
  const result = bootstrap(count, metric, options.bootstrap ?? {});
  const unit = options.bootstrap?.groups ? 'groups' : 'records';
  notes.push(
    `${Math.round(result.level * 100)} % intervals: percentile bootstrap, ${result.resamples} resamples of ${unit}, seed ${options.bootstrap?.seed ?? 0}`,
  );
  for (const [path, missing] of Object.entries(result.undefinedResamples))
    notes.push(
      `${path}: undefined on ${missing} of ${result.resamples} resamples (left out of its interval)`,
    );
  return result.intervals;
}

export interface Cinc2017Result {
  dataset: 'cinc2017';
  records: number;
  f1: number | null;
  f1_per_class: Record<string, number | null>;
  confusion: ConfusionMatrix;
  ci95: IntervalTree<{ f1: number | null; f1_per_class: Record<string, number | null> }> | null;
  notes: string[];
}

/** `reference`, `predicted`: indices into CINC2017_CLASSES (N, A, O, ~). */
export function cinc2017Result(
  reference: Numbers,
  predicted: Numbers,
  options: ResultOptions = {},
): Cinc2017Result {
  const confusion = cinc2017Confusion(reference, predicted);
  const notes = [
    'F1 = (F1_N + F1_A + F1_O) / 3, the challenge score; F1 of ~ (noise) reported, not averaged',
  ];
  const score = (indices: Uint32Array) => {
    const { f1, f1_per_class } = cinc2017Score(
      cinc2017Confusion(pick(reference, indices), pick(predicted, indices)),
    );
    return { f1, f1_per_class };
  };
  const ci95 = intervals(reference.length, score, options, notes);
  return {
    dataset: 'cinc2017',
    records: reference.length,
    ...cinc2017Score(confusion),
    confusion,
    ci95,
    notes,
  };
}

export interface Cpsc2018Result extends Cpsc2018Score {
  dataset: 'cpsc2018';
  records: number;
  confusion: ConfusionMatrix;
  ci95: IntervalTree<Cpsc2018Score> | null;
  notes: string[];
}

/** `referenceLabels`: each record's class indices, first label first (REFERENCE.csv order). */
export function cpsc2018Result(
  referenceLabels: readonly Numbers[],
  predicted: Numbers,
  options: ResultOptions = {},
): Cpsc2018Result {
  const confusion = cpsc2018Confusion(referenceLabels, predicted);
  const notes = [
    'CPSC 2018 rule: a prediction among the record labels is correct; otherwise counted in the row of the first label',
  ];
  const score = (indices: Uint32Array) =>
    cpsc2018Score(cpsc2018Confusion(pick(referenceLabels, indices), pick(predicted, indices)));
  const ci95 = intervals(referenceLabels.length, score, options, notes);
  return {
    dataset: 'cpsc2018',
    records: predicted.length,
    ...cpsc2018Score(confusion),
    confusion,
    ci95,
    notes,
  };
}

export interface BeatClassResult {
  se: number | null;
  ppv: number | null;
  f1: number | null;
  specificity: number | null;
  fpr: number | null;
}

type BeatFields = { accuracy: number | null } & Record<'N' | 'S' | 'V' | 'F', BeatClassResult>;

export type MitbihResult = BeatFields & {
  dataset: 'mitbih';
  beats: number;
  excluded_q: number;
  convention: BeatConvention;
  confusion: ConfusionMatrix;
  ci95: IntervalTree<BeatFields> | null;
  notes: string[];
};

export interface MitbihOptions extends ResultOptions {
  convention?: BeatConvention;
  /** Patient (record) of each beat: with it the bootstrap resamples patients, not beats. */
  patients?: readonly string[];
}

function beatFields(reference: Numbers, predicted: Numbers, convention: BeatConvention): BeatFields {
  const metrics = aamiBeatMetrics(aamiConfusion(reference, predicted), convention);
  const fields = { accuracy: metrics.accuracy } as BeatFields;
  for (const name of SCORED_AAMI_CLASSES) {
    const { se, ppv, f1, specificity, fpr } = metrics[name];
    fields[name] = { se, ppv, f1, specificity, fpr };
  }
  return fields;
}

/** `reference`, `predicted`: beat class indices into AAMI_CLASSES (N, S, V, F, Q). */
export function mitbihResult(
  reference: Numbers,
  predicted: Numbers,
  options: MitbihOptions = {},
): MitbihResult {
  const convention = options.convention ?? 'ec57';
  const confusion = aamiConfusion(reference, predicted);
  const metrics = aamiBeatMetrics(confusion, convention);
  const notes = [beatConvention(convention).description];
  const bootstrapOptions =
    options.bootstrap === false
      ? false
      : { ...options.bootstrap, groups: options.bootstrap?.groups ?? options.patients };
  const score = (indices: Uint32Array) =>
    beatFields(pick(reference, indices), pick(predicted, indices), convention);
  const ci95 = intervals(reference.length, score, { bootstrap: bootstrapOptions }, notes);
  return {
    dataset: 'mitbih',
    beats: metrics.scored,
    excluded_q: metrics.excludedQ,
    convention,
    ...beatFields(reference, predicted, convention),
    confusion: { classes: AAMI_CLASSES, counts: confusion.counts },
    ci95,
    notes,
  };
}

interface PtbxlFields {
  macro_auroc: number | null;
  micro_auroc: number | null;
  auroc: Record<string, number | null>;
  macro_auprc: number | null;
  auprc: Record<string, number | null>;
  /** null when no record has a label. */
  fmax: number | null;
}

export interface PtbxlResult extends PtbxlFields {
  dataset: 'ptbxl';
  records: number;
  fmax_threshold: number | null;
  skipped: { auroc: SkippedClass[]; auprc: SkippedClass[] };
  ci95: IntervalTree<PtbxlFields> | null;
  notes: string[];
}

function ptbxlFields(labels: readonly Numbers[], scores: readonly Numbers[], classes: readonly string[]) {
  const auroc = multilabelAuroc(labels, scores, classes);
  const auprc = multilabelAveragePrecision(labels, scores, classes);
  const anyLabel = labels.some((row) => Array.prototype.some.call(row, (value) => value === 1));
  const best = anyLabel ? fmax(labels, scores) : null;
  const fields: PtbxlFields = {
    macro_auroc: auroc.macro,
    micro_auroc: auroc.micro,
    auroc: auroc.perClass,
    macro_auprc: auprc.macro,
    auprc: auprc.perClass,
    fmax: best?.fmax ?? null,
  };
  return { fields, auroc, auprc, best };
}

/** Multi-label scores (e.g. sigmoid outputs) and multi-hot labels, one row per record. */
export function ptbxlResult(
  labels: readonly Numbers[],
  scores: readonly Numbers[],
  classes: readonly string[],
  options: ResultOptions = {},
): PtbxlResult {
  const { fields, auroc, auprc, best } = ptbxlFields(labels, scores, classes);
  const notes = ['macro = unweighted mean over classes with a defined value; Fmax: sample-centric (CAFA)'];
  for (const { class: name, reason } of auroc.skipped) notes.push(`AUROC of ${name} skipped: ${reason}`);
  for (const { class: name, reason } of auprc.skipped) notes.push(`AUPRC of ${name} skipped: ${reason}`);
  if (best === null) notes.push('Fmax undefined: no record has a label');
  else if (best.excludedSamples > 0)
    notes.push(`Fmax: ${best.excludedSamples} records without any label excluded`);
  const required = { auroc: definedClasses(auroc.perClass), auprc: definedClasses(auprc.perClass) };
  const score = (indices: Uint32Array) => {
    const resampled = ptbxlFields(pick(labels, indices), pick(scores, indices), classes).fields;
    return {
      ...resampled,
      macro_auroc: macroOverRequired(resampled.macro_auroc, resampled.auroc, required.auroc),
      macro_auprc: macroOverRequired(resampled.macro_auprc, resampled.auprc, required.auprc),
    };
  };
  const ci95 = intervals(labels.length, score, options, notes);
  return {
    dataset: 'ptbxl',
    records: labels.length,
    ...fields,
    fmax_threshold: best?.threshold ?? null,
    skipped: { auroc: auroc.skipped, auprc: auprc.skipped },
    ci95,
    notes,
  };
}
