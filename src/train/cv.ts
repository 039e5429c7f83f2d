/**
 * K-fold cross-validation of any training task (records or beats): fold k trains `train()` on the other folds with a
 * fixed schedule and scores fold k once with its last weights (src/train/loop.ts, `config.cvFold`); folds are
 * patient-grouped and label-stratified (src/train/cv-folds.ts). Nothing is selected on the records a figure
 * reports. The summary gives each fold's figure, mean ± sd over folds, and the metrics of the pooled out-of-fold
 * predictions with patient-bootstrap intervals.
 *
 * Layout: `<out>/fold-k/` is an ordinary run folder (config.json, log.jsonl, last.safetensors, heldout.json);
 * `<out>/cv.json` the summary. A fold whose heldout.json exists is done; one with a last checkpoint is resumed, so a
 * killed CV continues where it stopped and gives the same figures as a straight one.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import { SELECTION_CLASSES } from '../eval/beats.js';
import { bootstrap, definedClasses, macroOverRequired } from '../eval/bootstrap.js';
import { CINC2017_F1_CLASSES } from '../eval/challenges.js';
import { writeFileAtomic } from '../util/atomic.js';
import { beatValidationMetrics } from './beats.js';
import type { TrainConfig } from './config.js';
import { RUN_FILES, type HeldoutFile, type TrainOptions } from './loop.js';
import type { TaskOutputs } from './task.js';
import { train } from './trainer.js';
import { validationMetrics, type ValidationMetrics } from './validate.js';
import { foldDir, readFoldConfig, readHeldout, settingDifferences } from './heldout.js';

export {
  cvEnsembleDataset,
  foldDir,
  foldsRecipe,
  readFoldConfig,
  readFoldHeldout,
  readHeldout,
  rescoredHeldoutName,
  settingDifferences,
} from './heldout.js';

export const CV_FILES = { summary: 'cv.json' } as const;

export interface CvOptions extends Omit<TrainOptions, 'resume' | 'force'> {
  folds: number;
  /** Run only these folds in this process (1-based), e.g. to spread folds over machines; default all. */
  only?: readonly number[];
  /** Called when a fold starts and ends (fold, folds, what happened). */
  onFold?: (event: {
    fold: number;
    folds: number;
    status: 'done' | 'resumed' | 'started' | 'finished';
  }) => void;
}

export interface CvSummary {
  folds: number;
  task: TaskOutputs['task'];
  metric: string;
  /** The fold figures (fold order), their mean and sample sd. */
  perFold: Array<{ fold: number; value: number | null; items: number; details: Record<string, unknown> }>;
  mean: number | null;
  sd: number | null;
  /** Metrics of the pooled out-of-fold outputs, with 95 % patient-bootstrap intervals of the headline figures. */
  pooled: { value: number | null; items: number; details: Record<string, unknown> };
  intervals: Record<string, readonly [number, number] | null>;
  config: TrainConfig;
}

/** Runs (or resumes) every fold of `base` and writes the summary once all folds are done (null until then). */
export async function crossValidate(
  base: TrainConfig,
  openDataset: () => Promise<Dataset>,
  options: CvOptions,
): Promise<CvSummary | null> {
  const { folds } = options;
  if (!Number.isInteger(folds) || folds < 2)
    throw new ConfigError(`--folds must be an integer >= 2, got ${folds}`);
  const selected = options.only ?? Array.from({ length: folds }, (_, i) => i + 1);
  // Every --only value is checked before anything is written or trained.
  const wrong = selected.find((fold) => !(Number.isInteger(fold) && fold >= 1 && fold <= folds));
  if (wrong !== undefined) throw new ConfigError(`fold ${wrong} is not one of 1..${folds}`);
  mkdirSync(base.out, { recursive: true });
  checkFinishedFolds(base, folds);
  for (const fold of selected) {
    if (options.signal?.aborted) return null;
    await runFold(base, fold, openDataset, options);
  }
  // Again before summarising: other processes (--only, --parallel) may have finished folds since.
  checkFinishedFolds(base, folds);
  const heldout = readHeldout(base.out, folds);
  if (heldout === null) return null;
  const summary = summarise(heldout, base);
  writeFileAtomic(join(base.out, CV_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/**
 * The folds dealt to `processes` processes in turn (the i-th fold to process i mod n), for `cv --parallel`: disjoint
 * shares that differ in size by at most one; no process without a fold.
 */
export function foldGroups(folds: readonly number[], processes: number): number[][] {
  const groups = Array.from({ length: Math.min(processes, folds.length) }, (): number[] => []);
  folds.forEach((fold, i) => groups[i % groups.length]!.push(fold));
  return groups;
}

async function runFold(
  base: TrainConfig,
  fold: number,
  openDataset: () => Promise<Dataset>,
  options: CvOptions,
): Promise<void> {
  const out = foldDir(base.out, fold);
  const event = (status: 'done' | 'resumed' | 'started' | 'finished') =>
    options.onFold?.({ fold, folds: options.folds, status });
  const config: TrainConfig = { ...base, out, cvFold: { folds: options.folds, fold } };
  if (existsSync(join(out, RUN_FILES.heldout))) return event('done');
  const resume = existsSync(join(out, RUN_FILES.last));
  event(resume ? 'resumed' : 'started');
  const { folds: _folds, only: _only, onFold: _onFold, ...trainOptions } = options;
  // A fold killed before its first checkpoint left only config/log files: it starts over.
  const result = await train(config, await openDataset(), { ...trainOptions, resume, force: !resume });
  if (!result.aborted) event('finished');
}

/**
 * Every finished fold, whichever process trained it, counts only if it was trained with this run's recipe: the
 * summary pools all folds under this run's config. A fold without config.json (rebuilt from a bundle,
 * scripts/experiments/cv-from-bundle.ts) is taken as it is.
 */
function checkFinishedFolds(base: TrainConfig, folds: number): void {
  const differing: string[] = [];
  for (let fold = 1; fold <= folds; fold++) {
    if (!existsSync(join(foldDir(base.out, fold), RUN_FILES.heldout))) continue;
    const saved = readFoldConfig(base.out, fold);
    const run = { ...base, cvFold: { folds, fold } };
    const changed = saved === null ? [] : settingDifferences(saved, run);
    if (changed.length > 0) differing.push(`fold ${fold}: ${changed.join(', ')} in this run`);
  }
  if (differing.length > 0)
    throw new ConfigError(
      `${base.out}: finished folds were trained with other settings than this run (${differing.join('; ')}): a CV's folds share one recipe; give the same flags or another --out`,
    );
}

/** Mean and sample sd of the figures that exist (null where there are too few). */
export function meanAndSd(values: ReadonlyArray<number | null>): { mean: number | null; sd: number | null } {
  const present = values.filter((v): v is number => v !== null);
  const mean = present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : null;
  const sd =
    present.length > 1 && mean !== null
      ? Math.sqrt(present.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (present.length - 1))
      : null;
  return { mean, sd };
}

/** Per-fold figures, their mean ± sd, and the pooled out-of-fold metrics with bootstrap intervals. */
export function summarise(heldout: readonly HeldoutFile[], config: TrainConfig): CvSummary {
  const pooledOutputs = poolOutputs(heldout.map((file) => file.outputs));
  const pooled = outputsMetrics(pooledOutputs);
  const { mean, sd } = meanAndSd(heldout.map((file) => file.metrics.value));
  return {
    folds: heldout.length,
    task: pooledOutputs.task,
    metric: pooled.metric,
    perFold: heldout.map((file) => ({
      fold: file.fold,
      value: file.metrics.value,
      items: file.outputs.ids.length,
      details: file.metrics.details,
    })),
    mean,
    sd,
    pooled: { value: pooled.value, items: pooledOutputs.ids.length, details: pooled.details },
    intervals: headlineIntervals(pooledOutputs),
    config,
  };
}

/** Concatenates folds' outputs; every item must be out-of-fold exactly once. */
export function poolOutputs(parts: readonly TaskOutputs[]): TaskOutputs {
  const first = parts[0];
  if (first === undefined) throw new ConfigError('no folds to pool');
  const seen = new Set<string>();
  for (const part of parts) {
    if (part.task !== first.task || part.classes.join(',') !== first.classes.join(','))
      throw new ConfigError('folds disagree on the task or the class order');
    for (const id of part.ids) {
      if (seen.has(id)) throw new ConfigError(`item ${id} is out-of-fold in two folds`);
      seen.add(id);
    }
  }
  const all = <K extends 'ids' | 'groups' | 'labels' | 'logits'>(key: K) =>
    parts.flatMap((part) => part[key] as TaskOutputs[K][number][]) as TaskOutputs[K];
  return { ...first, ids: all('ids'), groups: all('groups'), labels: all('labels'), logits: all('logits') };
}

/** The task's validation metrics of a set of outputs (the same figures a fold logs). */
export function outputsMetrics(outputs: TaskOutputs, indices?: ArrayLike<number>): ValidationMetrics {
  const pick = indices ? Array.from(indices) : outputs.ids.map((_, i) => i);
  if (outputs.task === 'beats') {
    const reference = Int32Array.from(pick, (i) => outputs.labels[i]![0]!);
    const predicted = Int32Array.from(pick, (i) => argmax(outputs.logits[i]!));
    return beatValidationMetrics(reference, predicted, new Set(pick.map((i) => outputs.groups[i])).size)
      .validation;
  }
  const data = {
    classes: outputs.classes,
    labelKind: outputs.labelKind,
    entries: pick.map((i) => ({ labels: outputs.labels[i]! })),
  } as unknown as Parameters<typeof validationMetrics>[0];
  return validationMetrics(
    data,
    pick.map((_, k) => k),
    pick.map((i) => Float64Array.from(outputs.logits[i]!)),
  );
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

/** The headline's per-class figures that the primary metric averages, those defined on all the outputs. */
function primaryParts(
  figures: Record<string, number | null>,
  outputs: TaskOutputs,
  metric: string,
): string[] {
  const averaged =
    outputs.task === 'beats'
      ? (key: string) => SELECTION_CLASSES.some((name) => key === `${name}_f1`) // aamiNsvF1
      : metric === 'cinc2017_f1'
        ? (key: string) => CINC2017_F1_CLASSES.some((name) => key === `f1_${name}`)
        : outputs.labelKind === 'multi-label'
          ? (key: string) => key.startsWith('auroc_')
          : (key: string) => key.startsWith('f1_');
  return definedClasses(figures).filter(averaged);
}

/** The headline figures of a task, for intervals: the primary metric and its per-class parts. */
function headline(metrics: ValidationMetrics, task: TaskOutputs['task']): Record<string, number | null> {
  const out: Record<string, number | null> = { [metrics.metric]: metrics.value };
  const details = metrics.details;
  if (task === 'beats') {
    for (const key of ['accuracy', 'N_f1', 'S_f1', 'V_f1', 'F_f1', 'S_se', 'S_ppv', 'V_se', 'V_ppv'])
      out[key] = (details[key] as number | null) ?? null;
    return out;
  }
  const perClass = (details.auroc_per_class ?? {}) as Record<string, number | null>;
  for (const [name, value] of Object.entries(perClass)) out[`auroc_${name}`] = value;
  const f1 = (details.f1_per_class ?? {}) as Record<string, number | null>;
  for (const [name, value] of Object.entries(f1)) out[`f1_${name}`] = value;
  return out;
}

/** 95 % percentile intervals of the headline figures, resampling patients (or records) with replacement. */
export function headlineIntervals(
  outputs: TaskOutputs,
  resamples = 500,
): Record<string, readonly [number, number] | null> {
  const full = outputsMetrics(outputs);
  const parts = primaryParts(headline(full, outputs.task), outputs, full.metric);
  const result = bootstrap(
    outputs.ids.length,
    (indices) => {
      const figures = headline(outputsMetrics(outputs, indices), outputs.task);
      figures[full.metric] = macroOverRequired(figures[full.metric] ?? null, figures, parts);
      return figures;
    },
    { resamples, seed: 0, groups: outputs.groups },
  );
  return result.intervals as Record<string, readonly [number, number] | null>;
}
