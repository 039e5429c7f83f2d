/**
 * Deterministic, seeded, stratified k-fold assignment for datasets without an official validation split.
 * Items are grouped (by patient when the source has patient ids, so no patient straddles two folds) and
 * groups are assigned by iterative stratification (Sechidis et al. 2011): the rarest label first, each group
 * to the fold that still lacks that label most. Single-label data come out stratified to within one item.
 */
import type { DatasetEntry, SplitInfo } from './types.js';

export interface FoldOptions {
  folds: number;
  seed: number;
}

import { seededRandom } from '../util/random.js';

export { seededRandom };

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

interface Group {
  key: string;
  /** label index -> number of items of the group carrying it */
  labelCounts: Map<number, number>;
  size: number;
}

function buildGroups(items: ReadonlyArray<{ group: string; labels: readonly number[] }>): Group[] {
  const groups = new Map<string, Group>();
  for (const item of items) {
    let group = groups.get(item.group);
    if (group === undefined)
      groups.set(item.group, (group = { key: item.group, labelCounts: new Map(), size: 0 }));
    group.size++;
    for (const label of item.labels) group.labelCounts.set(label, (group.labelCounts.get(label) ?? 0) + 1);
  }
  return [...groups.values()];
}

function argmaxFold(scores: ReadonlyArray<readonly number[]>, random: () => number): number {
  let best: number[] = [];
  let bestScore: readonly number[] = [];
  scores.forEach((score, fold) => {
    const cmp = compareLexicographic(score, bestScore);
    if (best.length === 0 || cmp > 0) {
      best = [fold];
      bestScore = score;
    } else if (cmp === 0) best.push(fold);
  });
  return best[Math.floor(random() * best.length)] as number;
}

function compareLexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Assigns every group to a fold 1..k. Deterministic for a given (items, folds, seed): the items' order
 * matters only through group keys, which are sorted first.
 */
export function stratifiedGroupFolds(
  items: ReadonlyArray<{ group: string; labels: readonly number[] }>,
  { folds, seed }: FoldOptions,
): Map<string, number> {
  if (!Number.isInteger(folds) || folds < 2)
    throw new RangeError(`folds must be an integer >= 2, got ${folds}`);
  const random = seededRandom(seed);
  const groups = shuffled(
    buildGroups(items).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    random,
  );
  const totalSize = groups.reduce((sum, group) => sum + group.size, 0);
  const labelTotals = new Map<number, number>();
  for (const group of groups)
    for (const [label, count] of group.labelCounts)
      labelTotals.set(label, (labelTotals.get(label) ?? 0) + count);
  // Remaining wishes per fold: overall size and per-label counts.
  const sizeWish = Array.from({ length: folds }, () => totalSize / folds);
  const labelWish = Array.from(
    { length: folds },
    () => new Map([...labelTotals].map(([label, total]) => [label, total / folds])),
  );
  const assignment = new Map<string, number>();
  const assign = (group: Group, fold: number) => {
    assignment.set(group.key, fold + 1);
    sizeWish[fold] = (sizeWish[fold] as number) - group.size;
    const wishes = labelWish[fold] as Map<number, number>;
    for (const [label, count] of group.labelCounts) wishes.set(label, (wishes.get(label) ?? 0) - count);
  };
  let unassigned = groups;
  while (unassigned.length > 0) {
    const remaining = new Map<number, number>();
    for (const group of unassigned)
      for (const [label, count] of group.labelCounts)
        remaining.set(label, (remaining.get(label) ?? 0) + count);
    const rarest = [...remaining].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0];
    if (rarest === undefined) {
      // Groups without labels: by size wish only.
      for (const group of unassigned)
        assign(
          group,
          argmaxFold(
            sizeWish.map((wish) => [wish]),
            random,
          ),
        );
      break;
    }
    const [label] = rarest;
    const [withLabel, rest] = partition(unassigned, (group) => group.labelCounts.has(label));
    for (const group of withLabel) {
      const scores = labelWish.map((wishes, fold) => [wishes.get(label) ?? 0, sizeWish[fold] as number]);
      assign(group, argmaxFold(scores, random));
    }
    unassigned = rest;
  }
  return assignment;
}

function partition<T>(items: readonly T[], predicate: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (predicate(item) ? yes : no).push(item);
  return [yes, no];
}

export interface SeededSplitOptions extends FoldOptions {
  /** Which fold (1..folds) is the validation set; the others train. */
  valFold: number;
  /** 'record' or 'patient': what the split keeps together. */
  groupBy: 'record' | 'patient';
}

export const DEFAULT_SEEDED_SPLIT: SeededSplitOptions = {
  folds: 5,
  seed: 2017,
  valFold: 5,
  groupBy: 'record',
};

/**
 * Sets fold and split (train/val) on entries that have no official validation split, in place; entries
 * already marked 'test' keep their split. Returns the parameters to save.
 */
export function applySeededSplit(entries: DatasetEntry[], options: SeededSplitOptions): SplitInfo {
  const { folds, seed, valFold, groupBy } = options;
  if (!(Number.isInteger(valFold) && valFold >= 1 && valFold <= folds))
    throw new RangeError(`valFold must be 1..${folds}, got ${valFold}`);
  const groupOf = (entry: DatasetEntry) => (groupBy === 'patient' ? (entry.patientId ?? entry.id) : entry.id);
  const pool = entries.filter((entry) => entry.split !== 'test');
  const foldOf = stratifiedGroupFolds(
    pool.map((entry) => ({ group: groupOf(entry), labels: entry.labels })),
    { folds, seed },
  );
  for (const entry of pool) {
    entry.fold = foldOf.get(groupOf(entry)) ?? null;
    entry.split = entry.fold === valFold ? 'val' : 'train';
  }
  return { method: 'seeded iterative stratification', parameters: { folds, seed, valFold, groupBy } };
}
