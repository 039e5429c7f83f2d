/**
 * One interface for every dataset adapter: an ordered class list that models save, entries with their
 * split, labels as class indices, patient features, and `load(id)` that reads one record from disk.
 */
import type { EcgRecord, Sex } from '../io/record.js';

export type SplitName = 'train' | 'val' | 'test';

/** single-label: every entry has exactly one class index; multi-label: zero or more (multi-hot). */
export type LabelKind = 'single-label' | 'multi-label';

export interface PatientFeatures {
  /** Age in years, null when unknown (after any capping the source applies, e.g. PTB-XL's 300 -> 90). */
  age: number | null;
  sex: Sex;
  /** True when the source only says "older than 89" (PTB-XL writes 300, LUDB ">89"). */
  ageCapped: boolean;
}

export interface DatasetEntry {
  /** Record id as the dataset names it (PTB-XL ecg_id, "A00001", "101", LUDB "1"). */
  id: string;
  /** Patient id when the source has one (PTB-XL, MIT-BIH record = patient), else null. */
  patientId: string | null;
  /** The source's fold (PTB-XL strat_fold) or the fold our seeded split assigned; null when none. */
  fold: number | null;
  split: SplitName;
  /** Indices into `Dataset.classes`, ascending. */
  labels: number[];
  patient: PatientFeatures;
}

export interface SkippedRecord {
  id: string;
  reason: string;
}

/** How the splits were made, saved with models and caches so that a run can be reproduced. */
export interface SplitInfo {
  method: string;
  /** Anything needed to rebuild the split exactly (seed, fractions, fold map...). JSON-serialisable. */
  parameters: Record<string, unknown>;
}

export interface LoadedExample {
  entry: DatasetEntry;
  record: EcgRecord;
}

export interface Dataset {
  /** Adapter name ("ptbxl", "cinc2017", ...). */
  name: string;
  /** Folder the dataset was opened from. */
  root: string;
  /** Ordered class names; label indices refer to this order. */
  classes: readonly string[];
  labelKind: LabelKind;
  entries: DatasetEntry[];
  /** Records present in the source index but not usable for this task, with the reason. */
  skipped: SkippedRecord[];
  split: SplitInfo;
  /** Files each entry is read from: used for cache fingerprints. */
  sourceFiles(id: string): string[];
  /**
   * What `load` passes the record reader besides the files: the rate of records that carry none (labels.csv's `fs`,
   * a folder's --records-fs). Cache fingerprints hash it; absent means nothing.
   */
  readOptions?(id: string): { fs?: number };
  /** Reads one record (Node file I/O). */
  load(id: string): Promise<LoadedExample>;
}

/** Multi-hot vector of an entry's labels. */
export function multiHot(labels: readonly number[], classCount: number): Float32Array {
  const vector = new Float32Array(classCount);
  for (const index of labels) vector[index] = 1;
  return vector;
}

/** Class counts over entries (multi-label entries count once per label). */
export function classCounts(
  dataset: Pick<Dataset, 'classes'>,
  entries: readonly DatasetEntry[],
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(dataset.classes.map((name) => [name, 0]));
  for (const entry of entries) {
    for (const index of entry.labels) {
      const name = dataset.classes[index];
      if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}

/** Summary of skipped records grouped by reason. */
export function skippedByReason(skipped: readonly SkippedRecord[]): Record<string, string[]> {
  // A Map, not an object: a reason (a cache index's, read from its file) named "__proto__" is only a reason.
  const groups = new Map<string, string[]>();
  for (const { id, reason } of skipped) {
    const ids = groups.get(reason);
    if (ids === undefined) groups.set(reason, [id]);
    else ids.push(id);
  }
  return Object.fromEntries(groups);
}

export function entryById(entries: readonly DatasetEntry[]): Map<string, DatasetEntry> {
  return new Map(entries.map((entry) => [entry.id, entry]));
}
