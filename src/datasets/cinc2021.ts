/**
 * CinC 2020/2021 WFDB layout (Node): any folder tree of `.hea` + `.mat` records whose headers carry `#Age`,
 * `#Sex` and `#Dx` (SNOMED-CT codes); classes are the challenge's scored diagnoses. Also opens CPSC 2018 in
 * this layout (`openCpsc2018`, in cpsc2018.ts).
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MissingFileError } from '../errors.js';
import { readWfdbHeader, type WfdbHeader } from '../io/index.js';
import { CINC2021_CLASSES, scoredClassesOfDx } from './cinc2021-classes.js';
import { loadWfdbEntry } from './load.js';
import { headerDataFiles } from './record-files.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, PatientFeatures, SkippedRecord } from './types.js';
import { entryById } from './types.js';

export interface Cinc2021Options {
  split?: Partial<SeededSplitOptions>;
}

/**
 * Every `.hea` below `root` (relative paths without extension), sorted. Links to folders are followed as predict and
 * inspect follow them (src/io/find-records.ts); a folder reached twice (two links, a link to a parent) is walked once.
 */
export async function findHeaders(root: string): Promise<string[]> {
  const found: string[] = [];
  const walked = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    let items;
    try {
      walked.add(await realpath(folder));
      // By name: of two links to one folder, the first by name gives the records' paths, whatever the disk's order.
      items = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      throw new MissingFileError(folder, 'folder not found or unreadable');
    }
    for (const item of items) {
      const path = join(folder, item.name);
      if (await isFolder(path, item)) {
        if (!walked.has(await realpath(path))) await walk(path);
      } else if (item.name.endsWith('.hea')) found.push(relative(root, path).slice(0, -4));
    }
  };
  await walk(root);
  return found.sort();
}

/** A folder, or a link to one (a dangling link is neither folder nor record). */
async function isFolder(path: string, item: Dirent): Promise<boolean> {
  if (!item.isSymbolicLink()) return item.isDirectory();
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

export function headerPatient(header: WfdbHeader): PatientFeatures {
  return { age: header.patient.age, sex: header.patient.sex, ageCapped: false };
}

/** Reads every header, maps `#Dx` with `labelsOf`; records without labels are skipped with `noLabelReason`. */
export async function wfdbFolderEntries(
  root: string,
  labelsOf: (dx: string) => number[],
  noLabelReason: string,
): Promise<{ entries: DatasetEntry[]; skipped: SkippedRecord[]; paths: Map<string, string[]> }> {
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  // id -> the header, then the data files it names (.mat, or .dat in some releases): what the cache fingerprints.
  const paths = new Map<string, string[]>();
  for (const path of await findHeaders(root)) {
    const headerPath = join(root, `${path}.hea`);
    const header = await readWfdbHeader(headerPath);
    const id = header.recordName;
    const dx = header.commentFields.dx;
    const labels = dx === undefined ? [] : labelsOf(dx);
    if (dx === undefined) skipped.push({ id, reason: 'no #Dx in header' });
    else if (labels.length === 0) skipped.push({ id, reason: noLabelReason });
    else if (paths.has(id))
      skipped.push({ id, reason: `duplicate record name (also ${paths.get(id)![0]!.slice(0, -4)})` });
    else {
      paths.set(id, [headerPath, ...headerDataFiles(headerPath, header)]);
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
  const filesOf = (id: string) => {
    const files = paths.get(id);
    if (files === undefined) throw new MissingFileError(join(root, id), 'no such entry in this dataset');
    return files;
  };
  return {
    name,
    root,
    classes,
    labelKind: 'multi-label',
    entries,
    skipped,
    split,
    sourceFiles: (id) => [...filesOf(id)],
    load: async (id) => loadWfdbEntry(filesOf(id)[0]!, byId.get(id) as DatasetEntry),
  };
}

export async function openCinc2021(root: string, options: Cinc2021Options = {}): Promise<Dataset> {
  const found = await wfdbFolderEntries(root, scoredClassesOfDx, 'no scored diagnosis');
  return wfdbFolderDataset('cinc2021', root, CINC2021_CLASSES, found, options.split);
}
