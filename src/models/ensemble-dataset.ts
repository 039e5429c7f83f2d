/**
 * What an ensemble's metadata says it was trained on. Kept apart from the ensemble model (no engine import): the CV
 * folder readers (src/train/heldout.ts) name an ensemble's training records too.
 */
import type { Checkpoint } from '../export/checkpoint.js';
import { recordedFolder } from '../datasets/folder-digest.js';

/** The split an ensemble's metadata names: its members were trained on different records. */
export const ENSEMBLE_SPLIT = "the union of the members' training records";

/**
 * An ensemble's dataset metadata: its name (members of several datasets: all of them, joined, and in `names`), and
 * the ids of every record some member trained on when known. A `custom` dataset's ids are never written (they may be
 * file names or patient ids): its members' common folder digest instead (src/datasets/folder-digest.ts), when given.
 */
export function unionDataset(
  names: readonly string[],
  ids: readonly string[] | null,
  folder: string | null = null,
): Record<string, unknown> {
  const dataset: Record<string, unknown> = {
    name: names.join(', '),
    // Members of several datasets: evaluate checks the records it scores against each.
    ...(names.length > 1 ? { names: [...names] } : {}),
    split: ENSEMBLE_SPLIT,
  };
  if (names.length === 1 && names[0] === 'custom') return folder === null ? dataset : { ...dataset, folder };
  if (ids === null) return dataset;
  const train = [...new Set(ids)].sort();
  return { ...dataset, records: { train }, entries: { train: train.length } };
}

/**
 * What an ensemble was trained on: the union of its members' training records. A member's own dataset metadata
 * (its split, its counts) describes one member; the first member's would undercount (an ensemble of K fold models
 * has trained on every record its cross-validation covers). The union's ids only when every member names its
 * dataset and its own ids; undefined when no member names a dataset.
 */
export function ensembleDataset(members: readonly Checkpoint[]): Record<string, unknown> | undefined {
  const datasets = members.map((member) => member.metadata.extra?.dataset as Record<string, unknown> | undefined);
  const names = [
    ...new Set(datasets.map((dataset) => dataset?.name).filter((name): name is string => typeof name === 'string')),
  ];
  if (names.length === 0) return undefined;
  const ids = datasets.map((member) => {
    const train = (member?.records as { train?: unknown } | undefined)?.train;
    return Array.isArray(train) && train.every((id) => typeof id === 'string') ? (train as string[]) : null;
  });
  // A member without ids (or without a dataset) trained on records no list names, and ids of several datasets
  // could collide: then none is given.
  const known = names.length === 1 && ids.every((list) => list !== null);
  return unionDataset(names, known ? ids.flat() : null, commonFolder(datasets));
}

/** The folder digest every member names, or null when one names none or another. */
export function commonFolder(datasets: readonly unknown[]): string | null {
  const folders = new Set(datasets.map(recordedFolder));
  const [only] = folders;
  return folders.size === 1 && only !== undefined ? only : null;
}
