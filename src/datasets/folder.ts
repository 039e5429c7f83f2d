/**
 * Unlabelled records of any layout, for self-supervised pre-training (`pretrain --source folder=DIR`): every record
 * under a folder, found as `predict` finds them (src/io/find-records.ts FOLDER_RULE), no label read.
 * The trainer needs one lead count per sample store, so the folder opens as one dataset per lead count.
 */
import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { ConfigError, MissingFileError } from '../errors.js';
import { FOLDER_RULE, recordsUnder } from '../io/find-records.js';
import { withHdf5Exams } from '../io/hdf5.js';
import { readRecord } from '../io/index.js';
import { withRecord } from './load.js';
import { locateRecordFile, type LocatedRecord } from './record-files.js';
import type { Dataset, DatasetEntry, SkippedRecord } from './types.js';

export const FOLDER_SOURCE = 'folder' as const;

/** The folder's readable records grouped by lead count (most records first), and what it could not use. */
export interface RecordFolder {
  /** One dataset per lead count. */
  groups: Array<{ leads: number; dataset: Dataset }>;
  /** Record files that could not be read, with the reason. */
  skipped: SkippedRecord[];
  /** Files that are neither a record nor part of one (notes, index tables). */
  otherFiles: string[];
}

/** `fs`: the rate of records that carry none (tables without a time column, bare MAT matrices); others keep theirs. */
export async function openRecordFolder(root: string, options: { fs?: number } = {}): Promise<RecordFolder> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new MissingFileError(root, 'folder not found');
  const groups = new Map<number, Map<string, LocatedRecord>>();
  const skipped: SkippedRecord[] = [];
  const under = recordsUnder(root);
  for await (const path of withHdf5Exams(under.files, options)) {
    // A WFDB record is named without its .hea; a table or .mat keeps its extension (x.csv and x.tsv are two).
    const id = relative(root, path)
      .replaceAll('\\', '/')
      .replace(/\.hea$/i, '');
    const located = await locateRecordFile(root, path, options.fs ?? null);
    if (typeof located === 'string') skipped.push({ id, reason: located });
    else
      (groups.get(located.leads) ?? groups.set(located.leads, new Map()).get(located.leads)!).set(
        id,
        located,
      );
  }
  if (groups.size === 0)
    throw new ConfigError(
      `${root}: no readable ECG record (${FOLDER_RULE}${skipped.length > 0 ? `; ${skipped.length} unreadable, first: ${skipped[0]!.id}: ${skipped[0]!.reason}` : ''})`,
    );
  const sorted = [...groups].sort((a, b) => b[1].size - a[1].size || a[0] - b[0]);
  return {
    groups: sorted.map(([leads, records]) => ({
      leads,
      dataset: leadGroup(root, leads, records, groups.size > 1, options.fs),
    })),
    skipped,
    otherFiles: under.skipped,
  };
}

/** One lead count's records as a dataset with no class and every entry in `train`. */
function leadGroup(
  root: string,
  leads: number,
  records: ReadonlyMap<string, LocatedRecord>,
  named: boolean,
  fs: number | undefined,
): Dataset {
  const entries: DatasetEntry[] = [...records.keys()].map((id) => ({
    id,
    patientId: null,
    fold: null,
    split: 'train',
    labels: [],
    patient: { age: null, sex: 'unknown', ageCapped: false },
  }));
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const readOptions = () => (fs === undefined ? {} : { fs });
  const locatedOf = (id: string) => {
    const found = records.get(id);
    if (found === undefined) throw new MissingFileError(`${root}/${id}`, 'no such record in this folder');
    return found;
  };
  return {
    // Distinct names per lead count: they key the preprocessed cache and the pre-training record ids.
    name: named ? `${FOLDER_SOURCE}-${leads}lead` : FOLDER_SOURCE,
    root,
    classes: [],
    labelKind: 'single-label',
    entries,
    skipped: [],
    split: { method: 'unlabelled folder', parameters: { leads } },
    sourceFiles: (id) => locatedOf(id).files,
    readOptions,
    load: async (id) => withRecord(byId.get(id)!, await readRecord(locatedOf(id).readPath, readOptions())),
  };
}
