/**
 * CPSC 2018 adapter (Node), two layouts of the same data:
 * - the original training set: `A*.mat` (MATLAB v5 struct ECG: sex, age, data 12 x N at 500 Hz) and
 *   `REFERENCE.csv` (`Recording,First_label,Second_label,Third_label`), in the root or in TrainingSet1-3 folders;
 * - the CinC 2020 WFDB release (`A*.hea` + `.mat`, SNOMED codes in `#Dx`), mapped back to the nine classes.
 */
import { join } from 'node:path';
import { MissingFileError } from '../errors.js';
import { readMatRecord } from '../io/mat/index.js';
import { CPSC2018_CLASS_OF_SNOMED } from './cinc2021-classes.js';
import { findHeaders, wfdbFolderDataset, wfdbFolderEntries } from './cinc2021.js';
import { listFolder, readBytes, readText } from './files.js';
import { withRecord } from './load.js';
import { CPSC2018_CLASSES, parseCpsc2018Reference } from './references.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, SkippedRecord } from './types.js';
import { entryById } from './types.js';

export interface Cpsc2018Options {
  split?: Partial<SeededSplitOptions>;
}

/** `.mat` files in the root and its immediate sub-folders (the zips unpack to TrainingSet1..3). */
async function findMatFiles(root: string): Promise<{ mats: Map<string, string>; reference: string | null }> {
  const mats = new Map<string, string>();
  let reference: string | null = null;
  const scan = async (folder: string, depth: number) => {
    for (const name of await listFolder(folder)) {
      const path = join(folder, name);
      if (name === 'REFERENCE.csv') reference ??= path;
      else if (/^A\d+\.mat$/.test(name)) mats.set(name.slice(0, -4), path);
      else if (depth === 0 && !name.includes('.')) await scan(path, 1).catch(() => undefined);
    }
  };
  await scan(root, 0);
  return { mats, reference };
}

/** The classes of a header's #Dx codes, in their order (the first is the record's First_label for the score). */
export function cpsc2018LabelsOfDx(dx: string): number[] {
  const labels = new Set<number>();
  for (const code of dx.split(',').map((text) => text.trim())) {
    // Own codes only: a #Dx code "constructor" must not find Object.prototype's function.
    if (Object.hasOwn(CPSC2018_CLASS_OF_SNOMED, code)) labels.add(CPSC2018_CLASS_OF_SNOMED[code]!);
  }
  return [...labels];
}

export async function openCpsc2018(root: string, options: Cpsc2018Options = {}): Promise<Dataset> {
  const { mats, reference } = await findMatFiles(root);
  if (reference === null) {
    if ((await findHeaders(root)).length === 0) {
      throw new MissingFileError(
        join(root, 'REFERENCE.csv'),
        'neither the original layout (REFERENCE.csv + A*.mat) nor WFDB headers (A*.hea) found',
      );
    }
    const found = await wfdbFolderEntries(root, cpsc2018LabelsOfDx, 'no CPSC 2018 class in #Dx');
    return wfdbFolderDataset('cpsc2018', root, CPSC2018_CLASSES, found, options.split);
  }
  const labels = parseCpsc2018Reference(await readText(reference), reference);
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  for (const [id, classes] of labels) {
    if (!mats.has(id)) skipped.push({ id, reason: 'record file missing (.mat)' });
    else
      entries.push({
        id,
        patientId: null,
        fold: null,
        split: 'train',
        labels: classes,
        patient: { age: null, sex: 'unknown', ageCapped: false },
      });
  }
  for (const id of mats.keys()) if (!labels.has(id)) skipped.push({ id, reason: 'not in REFERENCE.csv' });
  const split = applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...options.split, groupBy: 'record' });
  const byId = entryById(entries);
  const pathOf = (id: string) => {
    const path = mats.get(id);
    if (path === undefined || !byId.has(id))
      throw new MissingFileError(join(root, `${id}.mat`), 'no such entry in this dataset');
    return path;
  };
  return {
    name: 'cpsc2018',
    root,
    classes: [...CPSC2018_CLASSES],
    labelKind: 'multi-label',
    entries,
    skipped,
    split,
    sourceFiles: (id) => [pathOf(id)],
    // Age and sex live inside the .mat: the loaded entry carries them.
    load: async (id) =>
      withRecord(byId.get(id) as DatasetEntry, readMatRecord(await readBytes(pathOf(id)), pathOf(id))),
  };
}
