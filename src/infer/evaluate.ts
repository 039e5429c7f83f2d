/**
 * Evaluation through the Predictor (onnxruntime, no libtorch): every record of the chosen split is predicted as
 * `predict` would, and the dataset's official metrics are computed with src/eval (results with bootstrap 95 %
 * intervals, and a report with ROC and confusion plots). One table of datasets; each says whether it scores records
 * or beats. Beat models (MIT-BIH) get the reference R peaks and RR features of the `.atr` annotations.
 */
import type { Dataset, DatasetEntry } from '../datasets/types.js';
import type { MitdbDataset } from '../datasets/mitdb/index.js';
import { AAMI_CLASSES } from '../datasets/mitdb/aami.js';
import { CINC2017_CLASSES } from '../datasets/references.js';
import { ConfigError, EcgError } from '../errors.js';
import { confusionMatrix, multiclassReport } from '../eval/confusion.js';
import { applyThresholds } from '../eval/multilabel.js';
import {
  cinc2017Report,
  cpsc2018Report,
  mitbihReport,
  ptbxlReport,
  type Report,
} from '../eval/report/model.js';
import { cinc2017Result, cpsc2018Result, mitbihResult, ptbxlResult } from '../eval/results.js';
import { AMPLITUDE_NOTICE_MARK } from '../signal/units.js';
import type { Predictor } from './predictor.js';
import { ptbxlSuperclassView, type SuperclassView } from '../datasets/ptbxl-superclasses.js';
import { customFolderDigest, recordedFolder } from '../datasets/folder-digest.js';

export const EVALUATION_SPLITS = ['train', 'val', 'test', 'all'] as const;
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number];

export interface EvaluateOptions {
  split: EvaluationSplit;
  /** Bootstrap resamples for the 95 % intervals (0: none). */
  resamples: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Evaluation {
  dataset: string;
  split: EvaluationSplit;
  model: { name: string; architecture: string | null; untrained: boolean };
  records: number;
  /** Records that could not be read or predicted (left out of the metrics). */
  failed: Array<{ id: string; error: string }>;
  /**
   * Set when the model's metadata (its `dataset`: name, split, counts or ids) shows or lets it be that records scored
   * here are ones the model trained on; also the first note of the report.
   */
  training_overlap: string | null;
  /** The dataset's result object (src/eval/results: f1/f1_per_class, accuracy + N/S/V/F, macro_auroc/auroc ...). */
  result: Record<string, unknown>;
  report: Report;
}

/** Per record: probabilities in the dataset's class order. */
interface RecordScores {
  kind: 'records';
  entries: DatasetEntry[];
  scores: number[][];
}

/** Per beat: reference and predicted AAMI class indices, and the record (patient) of each beat. */
interface BeatScores {
  kind: 'beats';
  reference: number[];
  predicted: number[];
  patients: string[];
}

interface DatasetEvaluation {
  task: 'records' | 'beats';
  score(
    collected: RecordScores | BeatScores,
    dataset: Dataset,
    predictor: Predictor,
    bootstrap: { resamples: number; seed: number } | false,
  ): { result: Record<string, unknown>; report: Report };
}

const argmax = (row: readonly number[]): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

type EvaluatedDataset = 'cinc2017' | 'ptbxl' | 'cpsc2018' | 'mitdb' | 'code15' | 'cinc2021' | 'custom';

/** Per-class and macro AUROC / AUPRC, and F1 (argmax, or at the model's thresholds): datasets without official metrics. */
const RANKING: DatasetEvaluation = {
  task: 'records',
  score: (collected, dataset, predictor, bootstrap) =>
    customScore(collected as RecordScores, dataset, predictor, bootstrap),
};

export const EVALUATIONS: Record<EvaluatedDataset, DatasetEvaluation> = {
  cinc2017: {
    task: 'records',
    score: (collected, dataset, _predictor, bootstrap) => {
      const { entries, scores } = collected as RecordScores;
      const toChallenge = (index: number) =>
        (CINC2017_CLASSES as readonly string[]).indexOf(dataset.classes[index]!);
      const reference = entries.map((entry) => toChallenge(entry.labels[0]!));
      const predicted = scores.map((row) => toChallenge(argmax(row)));
      const result = cinc2017Result(reference, predicted, { bootstrap: byPatient(bootstrap, entries) });
      return { result: { ...result }, report: cinc2017Report(result) };
    },
  },
  cpsc2018: {
    task: 'records',
    score: (collected, _dataset, _predictor, bootstrap) => {
      const { entries, scores } = collected as RecordScores;
      const result = cpsc2018Result(
        entries.map((entry) => entry.labels),
        scores.map(argmax),
        { bootstrap: byPatient(bootstrap, entries) },
      );
      return { result: { ...result }, report: cpsc2018Report(result) };
    },
  },
  ptbxl: {
    task: 'records',
    score: (collected, dataset, predictor, bootstrap) => {
      const { entries, scores } = collected as RecordScores;
      const classes = [...dataset.classes];
      const labels = entries.map((entry) =>
        Array.from(classes, (_, c) => (entry.labels.includes(c) ? 1 : 0)),
      );
      const result = ptbxlResult(labels, scores, classes, { bootstrap: byPatient(bootstrap, entries) });
      const report = ptbxlReport(result, { labels, scores, classes });
      const f1_at_thresholds = f1AtValidationThresholds(labels, scores, classes, predictor, report);
      return { result: { ...result, f1_at_thresholds }, report };
    },
  },
  // CODE-15% has no challenge metric, and CinC 2020/21's cost-weighted score is not implemented: both as custom.
  code15: RANKING,
  cinc2021: RANKING,
  custom: RANKING,
  mitdb: {
    task: 'beats',
    score: (collected, _dataset, _predictor, bootstrap) => {
      const { reference, predicted, patients } = collected as BeatScores;
      const result = mitbihResult(reference, predicted, { bootstrap, patients });
      return { result: { ...result }, report: mitbihReport(result) };
    },
  },
};

/**
 * Records of one patient are resampled together (PTB-XL, CODE-15% and custom data have several records of some
 * patients: resampled one by one, the intervals came out too narrow); a record without a patient id is its own.
 */
function byPatient(
  bootstrap: { resamples: number; seed: number } | false,
  entries: readonly DatasetEntry[],
): { resamples: number; seed: number; groups: string[] } | false {
  return (
    bootstrap && { ...bootstrap, groups: entries.map((entry) => entry.patientId ?? `record:${entry.id}`) }
  );
}

/** F1 at the thresholds chosen on validation (saved with the model), per class and macro, added to the report. */
function f1AtValidationThresholds(
  labels: number[][],
  scores: number[][],
  classes: string[],
  predictor: Predictor,
  report: Report,
) {
  const thresholds = Object.fromEntries(
    predictor.info.labels.map((label, c) => [label, predictor.info.thresholds[c]!]),
  );
  const thresholded = applyThresholds(labels, scores, classes, thresholds);
  const unchosen = classes.filter((label) => predictor.info.unchosenThresholds.includes(label));
  if (unchosen.length > 0)
    report.notes.push(
      `THRESHOLDS: no threshold was chosen on validation for ${unchosen.join(', ')}: their F1 is at the 0.5 default`,
    );
  report.tables.push({
    title: 'F1 at the validation thresholds',
    columns: ['class', 'threshold', 'F1'],
    rows: [
      ...classes.map((name) => [name, thresholds[name] ?? null, thresholded.perClass[name]?.f1 ?? null]),
      ['macro', null, thresholded.macroF1],
    ],
  });
  return { macro: thresholded.macroF1, thresholds, per_class: thresholded.perClass, unchosen };
}

/**
 * Datasets without official metrics (your own data, CODE-15%): macro/per-class AUROC and AUPRC one-vs-rest, and F1 per class —
 * of the argmax for single-label tasks, at the validation thresholds for multi-label ones.
 */
function customScore(
  { entries, scores }: RecordScores,
  dataset: Dataset,
  predictor: Predictor,
  bootstrap: { resamples: number; seed: number } | false,
): { result: Record<string, unknown>; report: Report } {
  const classes = [...dataset.classes];
  const labels = entries.map((entry) => Array.from(classes, (_, c) => (entry.labels.includes(c) ? 1 : 0)));
  const { dataset: _ptbxl, ...ranking } = ptbxlResult(labels, scores, classes, {
    bootstrap: byPatient(bootstrap, entries),
  });
  const report = ptbxlReport({ ...ranking, dataset: 'ptbxl' }, { labels, scores, classes });
  // Names, not the folder's path: a report is for sharing, and the path says where the data lives.
  report.title = `${predictor.name} on ${dataset.name} — ${ranking.records} records, ${classes.length} classes (${dataset.labelKind})`;
  // Possible with custom data (`evaluate` accepts classes.txt classes without records: a model has all its classes).
  const empty = classes.filter((_, c) => labels.every((row) => row[c] === 0));
  if (empty.length > 0)
    report.notes.push(
      `${empty.join(', ')}: no record of ${empty.length > 1 ? 'these classes' : 'this class'} here, so no AUROC, ` +
        `AUPRC or recall; records the model calls ${empty.length > 1 ? 'one of them' : empty[0]} count as its errors`,
    );
  const base = { dataset: dataset.name, label_kind: dataset.labelKind, classes, ...ranking };
  if (dataset.labelKind === 'multi-label')
    return {
      result: {
        ...base,
        f1_at_thresholds: f1AtValidationThresholds(labels, scores, classes, predictor, report),
      },
      report,
    };
  const confusion = confusionMatrix(
    entries.map((entry) => entry.labels[0]!),
    scores.map(argmax),
    classes,
  );
  const summary = multiclassReport(confusion);
  report.confusion = confusion;
  report.tables.push({
    title: 'F1 of the most probable class',
    columns: ['class', 'precision', 'recall', 'F1', 'support'],
    rows: [
      ...classes.map((name) => {
        const c = summary.perClass[name]!;
        return [name, c.precision, c.recall, c.f1, String(c.support)];
      }),
      ['macro', null, null, summary.macroF1, String(summary.total)],
    ],
  });
  report.notes.push(
    `accuracy ${summary.accuracy ?? 'n/a'}; F1 per class and the confusion matrix use the argmax class`,
  );
  const f1_per_class = Object.fromEntries(classes.map((name) => [name, summary.perClass[name]!.f1]));
  return {
    result: { ...base, macro_f1: summary.macroF1, f1_per_class, accuracy: summary.accuracy, confusion },
    report,
  };
}

export type EvaluableDataset = keyof typeof EVALUATIONS;

export function isEvaluable(name: string): name is EvaluableDataset {
  return Object.hasOwn(EVALUATIONS, name);
}

const sameClasses = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name) => b.includes(name));

/** Model output index of each class scored (names checked by the caller). */
function outputIndices(modelLabels: readonly string[], classes: readonly string[]): number[] {
  return classes.map((name) => modelLabels.indexOf(name));
}

/**
 * A PTB-XL model on another dataset (external validation): the dataset relabelled into the superclasses its classes
 * map to through PTB-XL's statement table (src/datasets/ptbxl-superclasses.ts), scored as custom data on those
 * classes only; the result names the map.
 */
async function evaluateAcross(
  predictor: Predictor,
  view: SuperclassView,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const evaluation = await scoreWith(predictor, view.dataset, EVALUATIONS.custom, options);
  const mapped = Object.entries(view.classMap).map(([from, to]) => `${from} -> ${to}`);
  evaluation.report.notes.unshift(
    `${view.dataset.name}'s classes seen as PTB-XL superclasses through PTB-XL's statement table (${mapped.join(', ')}); ` +
      `only ${view.dataset.classes.join(', ')} scored; a record without a mapped class counts as negative`,
  );
  evaluation.result = { ...evaluation.result, class_map: view.classMap };
  return evaluation;
}

export async function evaluate(
  predictor: Predictor,
  dataset: Dataset,
  options: EvaluateOptions,
): Promise<Evaluation> {
  if (!isEvaluable(dataset.name)) {
    throw new ConfigError(
      `evaluate: no official metrics for dataset ${dataset.name} (have: ${Object.keys(EVALUATIONS).join(', ')})`,
    );
  }
  const spec = EVALUATIONS[dataset.name];
  if (spec.task !== predictor.info.task) {
    throw new ConfigError(
      `evaluate: ${dataset.name} is scored on ${spec.task} but model ${predictor.name} classifies ${predictor.info.task} (metadata task)`,
    );
  }
  const classes = spec.task === 'beats' ? AAMI_CLASSES : dataset.classes;
  if (!sameClasses(predictor.info.labels, classes)) {
    const view = ptbxlSuperclassView(dataset, predictor.info.labels);
    if (view === null) throw new ConfigError(classMismatch(predictor, dataset, classes));
    return evaluateAcross(predictor, view, options);
  }
  return scoreWith(predictor, dataset, spec, options);
}

/** Why the classes do not fit, and what can be done: score on all the model's classes, or fine-tune on these. */
function classMismatch(predictor: Predictor, dataset: Dataset, classes: readonly string[]): string {
  const labels = predictor.info.labels;
  const missing = labels.filter((name) => !classes.includes(name));
  const subset = classes.every((name) => labels.includes(name));
  const fineTune =
    `fine-tune it on ${subset ? 'your' : 'these'} classes (efficientecg train --dataset ${dataset.name} --init ` +
    `${predictor.name} ...: a bundled model's name, else the model's .safetensors checkpoint; docs/fine-tuning.md)`;
  const own =
    dataset.name === 'custom'
      ? `list all its classes in classes.txt (add ${missing.join(', ')}; a class without records is scored as empty) or `
      : '';
  return (
    `the model's classes [${labels.join(', ')}] are not the dataset's [${classes.join(', ')}]: ` +
    (subset
      ? `a model cannot be scored on a subset of its classes as is: ${own}${fineTune}`
      : `score it on data labelled with its classes, or ${fineTune}`)
  );
}

async function scoreWith(
  predictor: Predictor,
  dataset: Dataset,
  spec: DatasetEvaluation,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const entries = dataset.entries.filter((entry) => options.split === 'all' || entry.split === options.split);
  if (entries.length === 0 && options.split === 'all') {
    const [first] = dataset.skipped;
    throw new ConfigError(
      `evaluate: dataset ${dataset.name} in ${dataset.root} has no record it can score` +
        (first === undefined
          ? ''
          : ` (${dataset.skipped.length} left out; first: ${first.id}: ${first.reason})`),
    );
  }
  if (entries.length === 0) {
    throw new ConfigError(
      `evaluate: dataset ${dataset.name} in ${dataset.root} has no ${options.split} records: use --split val ` +
        `(the model's own validation split, if this is its training folder) or --split all (a held-out folder only: ` +
        `in the model's training folder it scores the records it trained on)`,
    );
  }
  const mapping = outputIndices(
    predictor.info.labels,
    spec.task === 'beats' ? AAMI_CLASSES : dataset.classes,
  );
  const failed: Evaluation['failed'] = [];
  const implausible: string[] = []; // records whose amplitudes no ECG in mV has (a model reading mV)
  const collected =
    spec.task === 'beats'
      ? await collectBeats(predictor, dataset as MitdbDataset, entries, mapping, failed, options)
      : await collectRecords(predictor, dataset, entries, mapping, failed, options, implausible);
  const scored = collected.kind === 'records' ? collected.entries.length : new Set(collected.patients).size;
  if (scored === 0)
    throw new ConfigError(`evaluate: no record of ${dataset.root} could be predicted (${failed[0]?.error})`);
  const bootstrap =
    options.resamples > 0 ? { resamples: options.resamples, seed: options.seed ?? 0 } : (false as const);
  const { result, report } = spec.score(collected, dataset, predictor, bootstrap);
  const notes = report.notes;
  notes.unshift(
    `model ${predictor.name}, split ${options.split}, ${scored} records (windows aggregated by ${predictor.info.aggregate})`,
  );
  if (failed.length > 0) {
    const [first] = failed;
    notes.push(
      `${failed.length} record(s) failed and were left out (${failed
        .slice(0, 10)
        .map((f) => f.id)
        .join(
          ', ',
        )}${failed.length > 10 ? ', ...' : ''}; first: ${first!.error}; all in \`failed\` of --json)`,
    );
  }
  if (implausible.length > 0)
    notes.unshift(
      `UNITS: ${implausible.length} of ${scored} record(s) have leads whose amplitudes no ECG in mV has, and ` +
        `${AMPLITUDE_NOTICE_MARK} (mV): their unit is probably wrong and these figures may measure it, not the model ` +
        `(${implausible.slice(0, 5).join(', ')}${implausible.length > 5 ? ', ...' : ''}; \`predict\` says more per record)`,
    );
  // Of the records scored: a record that failed was not.
  const failedIds = new Set(failed.map((f) => f.id));
  const overlap = trainingOverlap(
    predictor,
    dataset,
    options.split,
    entries.filter((entry) => !failedIds.has(entry.id)),
  );
  if (overlap !== null) notes.unshift(overlap);
  if (predictor.info.untrained) notes.unshift('UNTRAINED development model: these figures measure nothing');
  return {
    dataset: dataset.name,
    split: options.split,
    training_overlap: overlap,
    model: {
      name: predictor.name,
      architecture: predictor.info.architecture,
      untrained: predictor.info.untrained,
    },
    records: scored,
    failed,
    result,
    report,
  };
}

const TRAINING_OVERLAP = "NOTE: these records may include the model's training records";

/**
 * What the model's metadata (`dataset`: the name, split and counts or record ids the trainer saved) lets one check
 * about the records scored being ones it trained on; null when nothing points that way or nothing can be checked.
 * With the training ids: the overlap itself. Else an ensemble's members trained on different records (any split may
 * hold some), `--split all`/`train` on its dataset may hold them, and a val/test
 * split may not be the model's: another split method or setting, or a seeded split recomputed over a folder holding
 * other records than the model's (other train/val counts) assigns records differently.
 */
export function trainingOverlap(
  predictor: Pick<Predictor, 'name' | 'info'>,
  dataset: Pick<Dataset, 'name' | 'split' | 'entries'> & Partial<Pick<Dataset, 'skipped'>>,
  split: EvaluationSplit,
  entries: readonly DatasetEntry[],
): string | null {
  const recorded = predictor.info.dataset;
  // An ensemble of members trained on several datasets lists them all (src/models/ensemble-dataset.ts).
  const names = Array.isArray(recorded?.names) ? recorded.names : [recorded?.name];
  if (recorded === null || !names.includes(dataset.name)) return null;
  // Any folder of one's own data is "custom": it is the model's only when their record lists' digests agree.
  if (dataset.name === 'custom' && recordedFolder(recorded) !== customFolderDigest(dataset)) return null;
  const model = `model ${predictor.name}`;
  const records = recorded.records as { train?: unknown } | undefined;
  if (Array.isArray(records?.train) && records.train.every((id) => typeof id === 'string')) {
    const trained = new Set(records.train);
    const overlap = entries.filter((entry) => trained.has(entry.id)).map((entry) => entry.id);
    if (overlap.length === 0) return null;
    return (
      `NOTE: these records include the model's training records: ${overlap.length} of ${entries.length} are in ` +
      `${model}'s training split (${overlap.slice(0, 10).join(', ')}${overlap.length > 10 ? ', ...' : ''})`
    );
  }
  const counts = recorded.entries as { train?: unknown; val?: unknown } | undefined;
  // An ensemble's members each trained on their own folds: no split of the dataset is held out from all of them.
  if (/^ensemble\b/.test(predictor.info.architecture ?? ''))
    return (
      `${TRAINING_OVERLAP}: ${model} is an ensemble whose members were trained on different ${dataset.name} ` +
      `records, so every split of this folder may hold some (its metadata names no records to check which)`
    );
  const trainCount = typeof counts?.train === 'number' ? `${counts.train} ` : '';
  if (split === 'all' || split === 'train')
    return (
      `${TRAINING_OVERLAP}: ${model} was trained on ${trainCount}${dataset.name} records and --split ${split} scores ` +
      `every ${split === 'all' ? '' : 'train '}record of this ${dataset.name} folder (its metadata names no records ` +
      `to check which)${split === 'all' ? ': --split all is for a held-out folder only' : ''}`
    );
  const differences: string[] = [];
  const theirs = splitInfo(recorded.split);
  if (theirs !== null && theirs.method !== dataset.split.method)
    differences.push(`the model's split is "${theirs.method}", this folder's "${dataset.split.method}"`);
  else if (theirs !== null)
    for (const [key, value] of Object.entries(theirs.parameters))
      if (
        Object.hasOwn(dataset.split.parameters, key) &&
        JSON.stringify(value) !== JSON.stringify(dataset.split.parameters[key])
      )
        differences.push(
          `split ${key} ${JSON.stringify(value)} for the model, ${JSON.stringify(dataset.split.parameters[key])} here`,
        );
  // A seeded split is recomputed over the records in the folder: other records, other train/val assignments.
  if (
    split === 'val' &&
    /seeded/i.test(dataset.split.method) &&
    typeof counts?.train === 'number' &&
    typeof counts.val === 'number'
  ) {
    const here = (name: string) => dataset.entries.filter((entry) => entry.split === name).length;
    if (here('train') !== counts.train || here('val') !== counts.val)
      differences.push(
        `the split recomputed over this folder has ${here('train')} train / ${here('val')} val records, the model's ` +
          `had ${counts.train} / ${counts.val}: a seeded split of other records assigns them differently`,
      );
  }
  if (differences.length === 0) return null;
  return `${TRAINING_OVERLAP}: this ${split} split is not ${model}'s: ${differences.join('; ')}`;
}

/** The recorded split as {method, parameters}; null for none, or a description (not a method to compare). */
function splitInfo(split: unknown): { method: string; parameters: Record<string, unknown> } | null {
  if (typeof split !== 'object' || split === null) return null;
  const { method, parameters } = split as { method?: unknown; parameters?: unknown };
  if (typeof method !== 'string') return null;
  return {
    method,
    parameters:
      typeof parameters === 'object' && parameters !== null ? (parameters as Record<string, unknown>) : {},
  };
}

/** A record the model scores NaN is a failed record, not one argmax silently calls the first class. */
function requireFinite(probabilities: readonly number[], predictor: Predictor): void {
  if (!probabilities.every(Number.isFinite))
    throw new EcgError(`model ${predictor.name} gave non-finite probabilities (${probabilities.join(', ')})`);
}

async function collectRecords(
  predictor: Predictor,
  dataset: Dataset,
  entries: readonly DatasetEntry[],
  mapping: readonly number[],
  failed: Evaluation['failed'],
  options: EvaluateOptions,
  implausible: string[],
): Promise<RecordScores> {
  const kept: DatasetEntry[] = [];
  const scores: number[][] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      const { record } = await dataset.load(entry.id);
      const prediction = await predictor.predict(record);
      if (prediction.notices.some((notice) => notice.includes(AMPLITUDE_NOTICE_MARK)))
        implausible.push(entry.id);
      const row = predictor.info.labels.map((label) => prediction.probabilities[label]!);
      requireFinite(row, predictor);
      scores.push(mapping.map((m) => row[m]!));
      kept.push(entry);
    } catch (error) {
      failed.push({ id: entry.id, error: (error as Error).message });
    }
    options.onProgress?.(i + 1, entries.length);
  }
  return { kind: 'records', entries: kept, scores };
}

async function collectBeats(
  predictor: Predictor,
  dataset: MitdbDataset,
  entries: readonly DatasetEntry[],
  mapping: readonly number[],
  failed: Evaluation['failed'],
  options: EvaluateOptions,
): Promise<BeatScores> {
  const out: BeatScores = { kind: 'beats', reference: [], predicted: [], patients: [] };
  const aami = AAMI_CLASSES as readonly string[];
  for (const [i, entry] of entries.entries()) {
    try {
      const beats = dataset.beats.get(entry.id) ?? [];
      const { record } = await dataset.load(entry.id);
      const prediction = await predictor.predictBeats(record, beats);
      for (const beat of prediction.beats) requireFinite(Object.values(beat.probabilities), predictor);
      beats.forEach((beat, b) => {
        const row = prediction.beats[b]!.probabilities;
        out.reference.push(aami.indexOf(beat.aami));
        out.predicted.push(argmax(mapping.map((m) => row[m]!)));
        out.patients.push(entry.id);
      });
    } catch (error) {
      failed.push({ id: entry.id, error: (error as Error).message });
    }
    options.onProgress?.(i + 1, entries.length);
  }
  return out;
}
