/**
 * What an ensemble's metadata says it was trained on. Kept apart from the ensemble model (no engine import): the CV
 * folder readers (src/train/heldout.ts) name an ensemble's training records too.
 */
import type { Checkpoint } from '../export/checkpoint.js';

/** The split an ensemble's metadata names: its members were trained on different records. */
export const ENSEMBLE_SPLIT = "the union of the members' training records";

/**
 * What an ensemble was trained on: the union of its members' training records. A member's own dataset metadata
 * (its split, its counts) describes one member; the first member's would undercount (an ensemble of K fold models
 * has trained on every record its cross-validation covers). The union's ids only when every member saved its own.
 */
export function ensembleDataset(members: readonly Checkpoint[]): Record<string, unknown> | undefined {
  const datasets = members.map((member) => member.metadata.extra?.dataset as Record<string, unknown> | undefined);
  if (datasets.every((dataset) => dataset === undefined)) return undefined;
  const names = [...new Set(datasets.map((dataset) => dataset?.name))];
  const dataset: Record<string, unknown> = {
    name: names.length === 1 ? names[0] : names.map(String).join(', '),
    split: ENSEMBLE_SPLIT,
  };
  const ids = datasets.map((member) => {
    const train = (member?.records as { train?: unknown } | undefined)?.train;
    return Array.isArray(train) && train.every((id) => typeof id === 'string') ? (train as string[]) : null;
  });
  if (ids.every((list) => list !== null)) {
    const union = [...new Set(ids.flat())].sort();
    dataset.records = { train: union };
    dataset.entries = { train: union.length };
  }
  return dataset;
}
