/**
 * Unlabelled records of any layout, for self-supervised pre-training (`pretrain --source folder=DIR`): every record
 * file under a folder (found as `predict` finds them: WFDB headers, lone .mat files, .csv tables), no label read.
 * The trainer needs one lead count per sample store, so the folder opens as one dataset per lead count.
 */
import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { ConfigError, MissingFileError } from '../errors.js';
import { expandInputs } from '../infer/files.js';
import { readRecord } from '../io/index.js';
import { withRecord } from './load.js';
import { locateRecordFile, type LocatedRecord } from './record-files.js';
import type { Dataset, DatasetEntry, SkippedRecord } from './types.js';

export const FOLDER_SOURCE = 'folder' as const;

/** The folder's readable records grouped by lead count (most records first), and every file it could not use. */
export interface RecordFolder {
  datasets: Dataset[];
  skipped: SkippedRecord[];
}

export async function openRecordFolder(root: string): Promise<RecordFolder> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new MissingFileError(root, 'folder not found');
  const groups = new Map<number, Map<string, LocatedRecord>>();
  const skipped: SkippedRecord[] = [];
  for (const path of expandInputs([root])) {
    const id = relative(root, path)
      .replaceAll('\\', '/')
      .replace(/\.(hea|mat|csv)$/i, '');
    const found = await locateRecordFile(root, path, null);
    if (typeof found === 'string') skipped.push({ id, reason: found });
    else if (groups.has(found.leads)) groups.get(found.leads)!.set(id, found);
    else groups.set(found.leads, new Map([[id, found]]));
  }
  if (groups.size === 0)
    throw new ConfigError(
      `${root}: no readable ECG record (looked for .hea, .mat and .csv files${skipped.length > 0 ? `; ${skipped.length} unreadable, first: ${skipped[0]!.id}: ${skipped[0]!.reason}` : ''})`,
    );
  const datasets = [...groups]
    .sort((a, b) => b[1].size - a[1].size || a[0] - b[0])
    .map(([leads, records]) => leadGroup(root, leads, records, groups.size > 1));
  return { datasets, skipped };
}

/** One lead count's records as a dataset with no class and every entry in `train`. */
function leadGroup(
  root: string,
  leads: number,
  records: ReadonlyMap<string, LocatedRecord>,
  named: boolean,
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
    load: async (id) => withRecord(byId.get(id)!, await readRecord(locatedOf(id).readPath)),
  };
}
