/**
 * Cross-validation folds: which of K folds every entry belongs to, patient-grouped and label-stratified.
 * - PTB-XL: its official `strat_fold` (already patient-grouped and stratified by the dataset's authors); the folds
 *   present are cut into K consecutive groups (K = 9 on folds 1-9: one fold each). Fold 10 stays the test split.
 * - Every other dataset: iterative stratification over patient groups (src/datasets/split.ts), seeded. For CinC 2017
 *   and K = 5 these are exactly the folds of the dataset's own seeded split (same seed), whose fold 5 was the
 *   validation split of the earlier runs.
 * Entries already marked 'test' (PTB-XL fold 10, MIT-BIH DS2) are never put in a fold.
 */
import { stratifiedGroupFolds } from '../datasets/split.js';
import type { DatasetEntry, SplitInfo } from '../datasets/types.js';
import { ConfigError } from '../errors.js';

/** Datasets whose entries' `fold` is the source's own patient-grouped fold. */
const OFFICIAL_FOLDS: ReadonlySet<string> = new Set(['ptbxl']);
/** The seed of every seeded fold assignment (the datasets' own seeded split uses it too). */
export const CV_SEED = 2017;

/** Fold (1..folds) of every non-test entry, by id. */
export function cvFoldAssignment(
  datasetName: string,
  entries: readonly DatasetEntry[],
  folds: number,
): Map<string, number> {
  const pool = entries.filter((entry) => entry.split !== 'test');
  if (OFFICIAL_FOLDS.has(datasetName)) return groupOfficialFolds(datasetName, pool, folds);
  const groups = new Set(pool.map(groupOf));
  if (groups.size < folds)
    throw new ConfigError(`${datasetName}: ${groups.size} patients cannot make ${folds} folds`);
  const byGroup = stratifiedGroupFolds(
    pool.map((entry) => ({ group: groupOf(entry), labels: entry.labels })),
    { folds, seed: CV_SEED },
  );
  return new Map(pool.map((entry) => [entry.id, byGroup.get(groupOf(entry))!]));
}

const groupOf = (entry: DatasetEntry): string => entry.patientId ?? entry.id;

function groupOfficialFolds(
  datasetName: string,
  pool: readonly DatasetEntry[],
  folds: number,
): Map<string, number> {
  const present = [...new Set(pool.map((entry) => entry.fold))].filter((f): f is number => f !== null);
  present.sort((a, b) => a - b);
  if (present.length < folds)
    throw new ConfigError(`${datasetName}: ${present.length} official folds cannot make ${folds} folds`);
  const cvFold = new Map(
    present.map((fold, position) => [fold, Math.floor((position * folds) / present.length) + 1]),
  );
  return new Map(
    pool.filter((entry) => entry.fold !== null).map((entry) => [entry.id, cvFold.get(entry.fold!)!]),
  );
}

/**
 * Re-splits `entries` in place for fold `fold` of `folds`: that fold becomes 'val' (the held-out records the fold
 * reports), the other folds 'train'; test entries stay. Returns the split description saved with the run.
 */
export function applyCvFold(
  datasetName: string,
  entries: DatasetEntry[],
  { folds, fold }: { folds: number; fold: number },
): SplitInfo {
  const assignment = cvFoldAssignment(datasetName, entries, folds);
  for (const entry of entries) {
    const assigned = assignment.get(entry.id);
    if (assigned === undefined) continue;
    entry.fold = assigned;
    entry.split = assigned === fold ? 'val' : 'train';
  }
  return {
    method: `cross-validation fold ${fold} of ${folds} (${OFFICIAL_FOLDS.has(datasetName) ? 'official folds grouped' : `patient-grouped iterative stratification, seed ${CV_SEED}`})`,
    parameters: { folds, fold, seed: CV_SEED },
  };
}
