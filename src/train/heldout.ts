/**
 * A CV folder's per-fold files: where fold k lives, its `heldout.json` (the fold's scores on the records it held
 * out) and its `config.json` (the settings it was trained with). Read by the CV summary, comparisons, bundling and
 * distillation (a teacher fold must have held out what the student's fold reports), so it depends on nothing that
 * trains.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../errors.js';
import { mergeConfig, TRAIN_DEFAULTS, type TrainConfig } from './config.js';
import { changedRunSettings, RUN_FILES, type HeldoutFile } from './loop.js';
import type { TaskOutputs } from './task.js';
import { unionDataset } from '../models/ensemble-dataset.js';

export function foldDir(out: string, fold: number): string {
  return join(out, `fold-${fold}`);
}

/** A fold's held-out scores re-scored with another window aggregation (scripts/experiments/cv-rescore.ts --write). */
export function rescoredHeldoutName(aggregate: string): string {
  return `heldout.${aggregate}.json`;
}

/**
 * The training data of the ensemble of a CV's fold models: every record some fold held out, since each fold's model
 * trained on all the other folds. (Fold models trained before the trainer saved record ids carry only counts.)
 */
export function cvEnsembleDataset(
  name: string,
  heldout: readonly HeldoutFile[],
  folder: string | null = null,
): Record<string, unknown> {
  const records = new Set<string>();
  // A beat's item is one beat; its group is its record.
  for (const { outputs } of heldout)
    for (const id of outputs.task === 'beats' ? outputs.groups : outputs.ids) records.add(id);
  return unionDataset([name], [...records], folder);
}

/**
 * Every fold's heldout.json (or `fileName`), or null while any fold is missing. The folds must have been trained
 * with one recipe (foldsRecipe): bundling and the experiment scripts pool them under one config.
 */
export function readHeldout(
  out: string,
  folds: number,
  fileName: string = RUN_FILES.heldout,
): HeldoutFile[] | null {
  const files: HeldoutFile[] = [];
  for (let fold = 1; fold <= folds; fold++) {
    if (!existsSync(join(foldDir(out, fold), fileName))) return null;
    files.push(readFoldHeldout(out, fold, folds, fileName));
  }
  foldsRecipe(
    out,
    files.map((file) => file.fold),
  );
  return files;
}

/** One fold's held-out file, checked to be that fold's (of `folds` when given) and to hold finite logits. */
export function readFoldHeldout(
  out: string,
  fold: number,
  folds?: number,
  fileName: string = RUN_FILES.heldout,
): HeldoutFile {
  const path = join(foldDir(out, fold), fileName);
  let parsed: HeldoutFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as HeldoutFile;
  } catch (error) {
    throw new FormatError(path, `not a held-out scores file (${(error as Error).message})`);
  }
  if (parsed.fold !== fold || (folds !== undefined && parsed.folds !== folds))
    throw new FormatError(
      path,
      `holds fold ${parsed.fold} of ${parsed.folds}, expected ${fold} of ${folds ?? 'any'}`,
    );
  if (!Array.isArray(parsed.outputs?.ids) || !Array.isArray(parsed.outputs.logits))
    throw new FormatError(path, 'holds no out-of-fold outputs');
  checkFiniteLogits(path, fold, parsed.outputs);
  return parsed;
}

/**
 * JSON writes NaN and ±Infinity as null, which would be read back as logits of 0: a fold whose model gave non-finite
 * outputs must be retrained, not pooled as a plausible-looking figure.
 */
function checkFiniteLogits(path: string, fold: number, outputs: TaskOutputs): void {
  const finite = (row: unknown) =>
    Array.isArray(row) && row.every((x) => typeof x === 'number' && Number.isFinite(x));
  const bad = outputs.logits.findIndex((row) => !finite(row));
  if (bad >= 0)
    throw new FormatError(
      path,
      `fold ${fold}: the logits of ${outputs.ids[bad] ?? `item ${bad}`} are not all finite numbers (${JSON.stringify(outputs.logits[bad])}): the fold's model gave non-finite outputs; retrain the fold`,
    );
}

/** A fold's config.json, or null for a fold rebuilt from a bundle (it has none and is taken as it is). */
export function readFoldConfig(out: string, fold: number): TrainConfig | null {
  const path = join(foldDir(out, fold), RUN_FILES.config);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TrainConfig;
  } catch (error) {
    throw new FormatError(path, `not a run configuration (${(error as Error).message})`);
  }
}

/**
 * The run-defining settings in which `a` differs from `b`, as `lr 0.01 vs 0.003` (changedRunSettings: threads,
 * workers, paths, patience and logEvery may differ); `ignore` lists further settings that may differ.
 */
export function settingDifferences(
  a: TrainConfig,
  b: TrainConfig,
  ignore: ReadonlyArray<keyof TrainConfig> = [],
): string[] {
  const ignored = Object.fromEntries(ignore.map((key) => [key, null]));
  const [x, y] = [a, b].map((c) => ({ ...(mergeConfig(TRAIN_DEFAULTS, c) as TrainConfig), ...ignored }));
  const show = (value: unknown) => {
    const text = JSON.stringify(value) ?? 'unset';
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
  };
  // A nested setting (beats, preprocess, distill) names its changed leaves: `beats.normalPerEpoch 12000 vs 1000`.
  const leaves = (key: string, u: unknown, v: unknown): string[] => {
    const plain = (w: unknown): w is Record<string, unknown> =>
      typeof w === 'object' && w !== null && !Array.isArray(w);
    if (plain(u) && plain(v))
      return [...new Set([...Object.keys(u), ...Object.keys(v)])].flatMap((k) =>
        leaves(`${key}.${k}`, u[k], v[k]),
      );
    return JSON.stringify(u) === JSON.stringify(v) ? [] : [`${key} ${show(u)} vs ${show(v)}`];
  };
  return changedRunSettings(x!, y!).flatMap((key) =>
    leaves(key, x![key as keyof TrainConfig], y![key as keyof TrainConfig]),
  );
}

/**
 * The recipe `folds` of a CV folder were trained with: their config.json must agree but for their own path and fold,
 * else a ConfigError names the folds and settings that differ. null when no fold has a config.json.
 */
export function foldsRecipe(out: string, folds: readonly number[]): TrainConfig | null {
  let reference: { fold: number; config: TrainConfig } | null = null;
  const differing: string[] = [];
  for (const fold of folds) {
    const config = readFoldConfig(out, fold);
    if (config === null) continue;
    reference ??= { fold, config };
    const changed = settingDifferences(config, reference.config, ['cvFold']);
    if (changed.length > 0) differing.push(`fold ${fold}: ${changed.join(', ')} in fold ${reference.fold}`);
  }
  if (differing.length > 0)
    throw new ConfigError(
      `${out}: its folds were trained with different settings (${differing.join('; ')}): a CV's folds share one recipe; retrain those folds with the others' settings`,
    );
  return reference === null ? null : { ...reference.config, cvFold: null };
}
