/**
 * LUDB adapter (Node): `data/N.hea/.dat` with one delineation file per lead (`N.i` ... `N.v6`), rhythm as the
 * class, diagnoses from the header comments, `ludb.csv` for the ">89" age flag.
 */
import { join } from 'node:path';
import { MissingFileError } from '../../errors.js';
import { delineate, readAnnotations, readWfdbHeader, type LeadDelineation } from '../../io/index.js';
import { fileExists, listFolder, readText } from '../files.js';
import { loadWfdbEntry } from '../load.js';
import { applySeededSplit, type SeededSplitOptions } from '../split.js';
import type { Dataset, DatasetEntry, SkippedRecord } from '../types.js';
import { entryById } from '../types.js';
import { LUDB_LEAD_FILES, LUDB_RHYTHMS, ludbAgeCapped, ludbHeaderInfo, parseLudbCsv } from './parse.js';

export * from './parse.js';

export interface LudbOptions {
  split?: Partial<SeededSplitOptions>;
}

export interface LudbDataset extends Dataset {
  /** Diagnoses of each record from its header comments. */
  diagnoses: Map<string, string[]>;
  /** P, QRS and T onset/peak/offset per lead (lead names as LUDB's files: i, ii, ... v6). */
  delineation(id: string): Promise<Record<string, LeadDelineation>>;
}

export async function openLudb(root: string, options: LudbOptions = {}): Promise<LudbDataset> {
  const dataFolder = join(root, 'data');
  const files = await listFolder(dataFolder);
  const csvPath = join(root, 'ludb.csv');
  const csv = (await fileExists(csvPath))
    ? parseLudbCsv(await readText(csvPath), csvPath)
    : new Map<string, Record<string, string>>();
  const ids = [...files]
    .filter((name) => name.endsWith('.hea'))
    .map((name) => name.slice(0, -4))
    .sort((a, b) => Number(a) - Number(b));
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  const diagnoses = new Map<string, string[]>();
  for (const id of ids) {
    const header = await readWfdbHeader(join(dataFolder, `${id}.hea`));
    const info = ludbHeaderInfo(header.comments);
    const rhythm = (LUDB_RHYTHMS as readonly string[]).indexOf(info.rhythm ?? '');
    diagnoses.set(id, info.diagnoses);
    if (rhythm < 0)
      skipped.push({ id, reason: `rhythm not in the class list: ${JSON.stringify(info.rhythm)}` });
    else {
      const patient = {
        age: header.patient.age,
        sex: header.patient.sex,
        ageCapped: ludbAgeCapped(csv.get(id)),
      };
      entries.push({ id, patientId: id, fold: null, split: 'train', labels: [rhythm], patient });
    }
  }
  const split = applySeededSplit(entries, {
    folds: 5,
    seed: 2020,
    valFold: 5,
    ...options.split,
    groupBy: 'record',
  });
  const byId = entryById(entries);
  const base = (id: string) => {
    if (!byId.has(id)) throw new MissingFileError(join(dataFolder, id), 'no such entry in this dataset');
    return join(dataFolder, id);
  };
  return {
    name: 'ludb',
    root,
    classes: [...LUDB_RHYTHMS],
    labelKind: 'single-label',
    entries,
    skipped,
    split,
    diagnoses,
    sourceFiles: (id) => ['hea', 'dat', ...LUDB_LEAD_FILES].map((ext) => `${base(id)}.${ext}`),
    load: async (id) => loadWfdbEntry(`${base(id)}.hea`, byId.get(id) as DatasetEntry),
    delineation: async (id) => {
      const leads: Record<string, LeadDelineation> = {};
      for (const lead of LUDB_LEAD_FILES)
        leads[lead] = delineate(await readAnnotations(`${base(id)}.${lead}`));
      return leads;
    },
  };
}
