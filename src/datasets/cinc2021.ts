/**
 * CinC 2020/2021 WFDB layout (Node): any folder tree of `.hea` + `.mat` records whose headers carry `#Age`,
 * `#Sex` and `#Dx` (SNOMED-CT codes); classes are the challenge's scored diagnoses. Also opens CPSC 2018 in
 * this layout (`openCpsc2018`, in cpsc2018.ts).
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MissingFileError } from '../errors.js';
import { readWfdbHeader, type WfdbHeader } from '../io/index.js';
import { CINC2021_CLASSES, scoredClassesOfDx } from './cinc2021-classes.js';
import { loadWfdbEntry } from './load.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, PatientFeatures, SkippedRecord } from './types.js';
import { entryById } from './types.js';

export interface Cinc2021Options {
  split?: Partial<SeededSplitOptions>;
}

/** Every `.hea` below `root` (relative paths without extension), sorted. */
export async function findHeaders(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let items;
    try {
      items = await readdir(folder, { withFileTypes: true });
    } catch {
      throw new MissingFileError(folder, 'folder not found or unreadable');
    }
    for (const item of items) {
      if (item.isDirectory()) await walk(join(folder, item.name));
      else if (item.name.endsWith('.hea')) found.push(relative(root, join(folder, item.name)).slice(0, -4));
    }
  };
  await walk(root);
  return found.sort();
}

export function headerPatient(header: WfdbHeader): PatientFeatures {
  return { age: header.patient.age, sex: header.patient.sex, ageCapped: false };
}

/** Reads every header, maps `#Dx` with `labelsOf`; records without labels are skipped with `noLabelReason`. */
export async function wfdbFolderEntries(
  root: string,
  labelsOf: (dx: string) => number[],
  noLabelReason: string,
): Promise<{ entries: DatasetEntry[]; skipped: SkippedRecord[]; paths: Map<string, string> }> {
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  const paths = new Map<string, string>();
  for (const path of await findHeaders(root)) {
    const header = await readWfdbHeader(join(root, `${path}.hea`));
    const id = header.recordName;
    const dx = header.commentFields.dx;
    const labels = dx === undefined ? [] : labelsOf(dx);
    if (dx === undefined) skipped.push({ id, reason: 'no #Dx in header' });
    else if (labels.length === 0) skipped.push({ id, reason: noLabelReason });
    else if (paths.has(id)) skipped.push({ id, reason: `duplicate record name (also ${paths.get(id)})` });
    else {
      paths.set(id, join(root, path));
      entries.push({
        id,
        patientId: null,
        fold: null,
        split: 'train',
        labels,
        patient: headerPatient(header),
      });
    }
  }
  return { entries, skipped, paths };
}

export function wfdbFolderDataset(
  name: string,
  root: string,
  classes: readonly string[],
  found: Awaited<ReturnType<typeof wfdbFolderEntries>>,
  splitOptions: Partial<SeededSplitOptions> | undefined,
): Dataset {
  const { entries, skipped, paths } = found;
  const split = applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...splitOptions, groupBy: 'record' });
  const byId = entryById(entries);
  const pathOf = (id: string) => {
    const path = paths.get(id);
    if (path === undefined) throw new MissingFileError(join(root, id), 'no such entry in this dataset');
    return path;
  };
  return {
    name,
    root,
    classes,
    labelKind: 'multi-label',
    entries,
    skipped,
    split,
    // The .mat (or .dat) data file is named in the header; the header and a .mat sibling cover the usual layout.
    sourceFiles: (id) => [`${pathOf(id)}.hea`, `${pathOf(id)}.mat`],
    load: async (id) => loadWfdbEntry(`${pathOf(id)}.hea`, byId.get(id) as DatasetEntry),
  };
}

export async function openCinc2021(root: string, options: Cinc2021Options = {}): Promise<Dataset> {
  const found = await wfdbFolderEntries(root, scoredClassesOfDx, 'no scored diagnosis');
  return wfdbFolderDataset('cinc2021', root, CINC2021_CLASSES, found, options.split);
}
