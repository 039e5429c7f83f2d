/**
 * A CV folder's per-fold files: where fold k lives and its `heldout.json` (the fold's scores on the records it held
 * out). Read by the CV summary, comparisons, bundling and distillation (a teacher fold must have held out what the
 * student's fold reports), so it depends on nothing that trains.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { RUN_FILES, type HeldoutFile } from './loop.js';

export function foldDir(out: string, fold: number): string {
  return join(out, `fold-${fold}`);
}

/** A fold's held-out scores re-scored with another window aggregation (scripts/experiments/cv-rescore.ts --write). */
export function rescoredHeldoutName(aggregate: string): string {
  return `heldout.${aggregate}.json`;
}

/** Every fold's heldout.json (or `fileName`), or null while any fold is missing. */
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
  return files;
}

/** One fold's held-out file, checked to be that fold's (of `folds` when given). */
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
  if (!Array.isArray(parsed.outputs?.ids)) throw new FormatError(path, 'holds no out-of-fold outputs');
  return parsed;
}
