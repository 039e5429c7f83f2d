/**
 * CinC 2017 adapter (Node): labels + RECORDS + A*.hea/.mat, one lead at 300 Hz, classes N, A, O, ~. Labels: the
 * relabelled REFERENCE-v3.csv (the set the challenge scored) in the folder or its parent, else REFERENCE.csv.
 */
import { join, relative } from 'node:path';
import { FormatError, MissingFileError } from '../errors.js';
import { fileExists, listFolder, readText } from './files.js';
import { loadWfdbEntry } from './load.js';
import { CINC2017_CLASSES, parseCinc2017Reference } from './references.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, SkippedRecord } from './types.js';
import { entryById } from './types.js';

/** The relabelled labels: `download cinc2017` puts them beside training2017/, whose own REFERENCE.csv is the 2017 one. */
export const CINC2017_V3_REFERENCE = 'REFERENCE-v3.csv';

export interface Cinc2017Options {
  /** Label file, relative to the root (default: REFERENCE-v3.csv in the root or its parent, else REFERENCE.csv). */
  reference?: string;
  /** The challenge's test set is hidden: train/val come from a seeded stratified split. */
  split?: Partial<SeededSplitOptions>;
}

export async function openCinc2017(root: string, options: Cinc2017Options = {}): Promise<Dataset> {
  const referencePath = await referenceFile(root, options.reference);
  const labelFile = relative(root, referencePath).replaceAll('\\', '/');
  const labels = parseCinc2017Reference(await readText(referencePath), referencePath);
  const files = await listFolder(root);
  const records = files.has('RECORDS')
    ? parseRecordList(await readText(join(root, 'RECORDS')), join(root, 'RECORDS'))
    : [...labels.keys()];
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  for (const id of records) {
    const label = labels.get(id);
    if (label === undefined) skipped.push({ id, reason: `no label in ${labelFile}` });
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
  const seeded = applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...options.split, groupBy: 'record' });
  // The label file decides the stratification, and the summary shows which label set was read.
  const split = { ...seeded, parameters: { ...seeded.parameters, labels: labelFile } };
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

/** RECORDS: one record name a line (blank lines skipped); a name listed twice is refused, as in REFERENCE.csv. */
export function parseRecordList(text: string, source: string): string[] {
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const name = raw.trim();
    if (name === '') return;
    const previous = lines.get(name);
    if (previous !== undefined)
      throw new FormatError(
        source,
        `line ${index + 1}: record ${name} is already listed on line ${previous}`,
      );
    lines.set(name, index + 1);
  });
  return [...lines.keys()];
}

async function referenceFile(root: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return join(root, given);
  const v3 = [join(root, CINC2017_V3_REFERENCE), join(root, '..', CINC2017_V3_REFERENCE)];
  for (const path of v3) if (await fileExists(path)) return path;
  return join(root, 'REFERENCE.csv');
}
