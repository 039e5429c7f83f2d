/** CinC 2017 adapter (Node): REFERENCE.csv + RECORDS + A*.hea/.mat, one lead at 300 Hz, classes N, A, O, ~. */
import { join } from 'node:path';
import { MissingFileError } from '../errors.js';
import { listFolder, listLines, readText } from './files.js';
import { loadWfdbEntry } from './load.js';
import { CINC2017_CLASSES, parseCinc2017Reference } from './references.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, SkippedRecord } from './types.js';
import { entryById } from './types.js';

export interface Cinc2017Options {
  /** Label file name in the root (default REFERENCE.csv; e.g. REFERENCE-v3.csv). */
  reference?: string;
  /** The challenge's test set is hidden: train/val come from a seeded stratified split. */
  split?: Partial<SeededSplitOptions>;
}

export async function openCinc2017(root: string, options: Cinc2017Options = {}): Promise<Dataset> {
  const referencePath = join(root, options.reference ?? 'REFERENCE.csv');
  const labels = parseCinc2017Reference(await readText(referencePath), referencePath);
  const files = await listFolder(root);
  const records = files.has('RECORDS')
    ? listLines(await readText(join(root, 'RECORDS')))
    : [...labels.keys()];
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  for (const id of records) {
    const label = labels.get(id);
    if (label === undefined)
      skipped.push({ id, reason: `no label in ${options.reference ?? 'REFERENCE.csv'}` });
    else if (!files.has(`${id}.hea`) || !files.has(`${id}.mat`))
      skipped.push({ id, reason: 'record files missing (.hea/.mat)' });
    else
      entries.push({
        id,
        patientId: null,
        fold: null,
        split: 'train',
        labels: [label],
        patient: { age: null, sex: 'unknown', ageCapped: false },
      });
  }
  const split = applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...options.split, groupBy: 'record' });
  const byId = entryById(entries);
  const entryOf = (id: string) => {
    const entry = byId.get(id);
    if (entry === undefined) throw new MissingFileError(join(root, id), 'no such entry in this dataset');
    return entry;
  };
  return {
    name: 'cinc2017',
    root,
    classes: [...CINC2017_CLASSES],
    labelKind: 'single-label',
    entries,
    skipped,
    split,
    sourceFiles: (id) => [join(root, `${entryOf(id).id}.hea`), join(root, `${id}.mat`)],
    load: async (id) => loadWfdbEntry(join(root, `${entryOf(id).id}.hea`), entryOf(id)),
  };
}
