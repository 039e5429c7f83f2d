/**
 * PTB-XL adapter (Node): ptbxl_database.csv + scp_statements.csv + records100 / records500 as PhysioNet ships them.
 */
import { join, posix } from 'node:path';
import { FormatError, MissingFileError } from '../../errors.js';
import { listFolder, readText } from '../files.js';
import { loadWfdbEntry } from '../load.js';
import type { Dataset, DatasetEntry, SkippedRecord } from '../types.js';
import { entryById } from '../types.js';
import {
  aggregatePtbxlLabels,
  parsePtbxlDatabase,
  parseScpStatements,
  ptbxlClasses,
  ptbxlSplit,
  type PtbxlLabelSet,
} from './labels.js';

export * from './labels.js';

export interface PtbxlOptions {
  labelSet?: PtbxlLabelSet;
  /** 100 Hz (`filename_lr`, default) or 500 Hz (`filename_hr`). */
  rate?: 100 | 500;
  /** Minimum likelihood of diagnostic statements (default 0: every listed code counts, as the benchmark). */
  minLikelihood?: number;
}

/** Which record files exist, one directory listing per folder (PTB-XL has ~22 folders of 1000 records). */
async function existingHeaders(root: string, paths: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  const folders = new Map<string, Set<string>>();
  for (const path of paths) {
    const folder = posix.dirname(path);
    if (!folders.has(folder))
      folders.set(folder, await listFolder(join(root, folder)).catch(() => new Set<string>()));
    if (folders.get(folder)?.has(`${posix.basename(path)}.hea`)) present.add(path);
  }
  return present;
}

export async function openPtbxl(root: string, options: PtbxlOptions = {}): Promise<Dataset> {
  const labelSet = options.labelSet ?? 'superdiagnostic';
  const rate = options.rate ?? 100;
  const databasePath = join(root, 'ptbxl_database.csv');
  const statements = parseScpStatements(
    await readText(join(root, 'scp_statements.csv')),
    join(root, 'scp_statements.csv'),
  );
  const rows = parsePtbxlDatabase(await readText(databasePath), databasePath);
  const classes = ptbxlClasses(statements, labelSet);
  const fileOf = (row: (typeof rows)[number]) => (rate === 500 ? row.filenameHr : row.filenameLr);
  const present = await existingHeaders(root, rows.map(fileOf));
  if (present.size === 0 && rows.length > 0) {
    const folder = rate === 500 ? 'records500' : 'records100';
    throw new MissingFileError(
      join(root, folder),
      `no ${rate} Hz record found (${rate === 500 ? 'filename_hr' : 'filename_lr'}); download ${folder} or choose the other rate`,
    );
  }
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  for (const row of rows) {
    const id = String(row.ecgId);
    const labels = aggregatePtbxlLabels(row.scpCodes, statements, labelSet, options.minLikelihood ?? 0);
    const unknown = labels.find((label) => !classes.includes(label));
    if (unknown !== undefined)
      // parseScpStatements refuses such a statement table; this keeps an index of -1 out of every entry regardless.
      throw new FormatError(
        join(root, 'scp_statements.csv'),
        `ecg_id ${id}: label ${unknown} is not a ${labelSet} class`,
      );
    if (row.stratFold === null) skipped.push({ id, reason: 'no strat_fold' });
    else if (labels.length === 0) skipped.push({ id, reason: `no ${labelSet} label` });
    else if (!present.has(fileOf(row))) skipped.push({ id, reason: `${rate} Hz record files missing` });
    else {
      entries.push({
        id,
        patientId: row.patientId,
        fold: row.stratFold,
        split: ptbxlSplit(row.stratFold),
        labels: labels.map((label) => classes.indexOf(label)).sort((a, b) => a - b),
        patient: row.patient,
      });
    }
  }
  const byId = entryById(entries);
  const fileById = new Map(rows.map((row) => [String(row.ecgId), join(root, fileOf(row))]));
  const recordPath = (id: string) => {
    const path = fileById.get(id);
    if (path === undefined || !byId.has(id))
      throw new MissingFileError(`${databasePath} (ecg_id ${id})`, 'no such entry in this dataset');
    return path;
  };
  return {
    name: 'ptbxl',
    root,
    classes,
    labelKind: 'multi-label',
    entries,
    skipped,
    split: {
      method: 'PTB-XL strat_fold: 1-8 train, 9 val, 10 test',
      parameters: { labelSet, rate, minLikelihood: options.minLikelihood ?? 0 },
    },
    sourceFiles: (id) => [`${recordPath(id)}.hea`, `${recordPath(id)}.dat`],
    load: async (id) => loadWfdbEntry(`${recordPath(id)}.hea`, byId.get(id) as DatasetEntry),
  };
}
