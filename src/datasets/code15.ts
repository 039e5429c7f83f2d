/**
 * CODE-15% adapter (Node), the Zenodo layout (record 4916206): `exams.csv` (one row per exam: exam_id, age, is_male,
 * the six abnormality flags, patient_id, trace_file...) and the `exams_part{i}.hdf5` files it names, each holding
 * `tracings` [exams, 4096, 12] at 400 Hz and `exam_id` (src/io/hdf5.ts). Multi-label over the six abnormalities; an
 * exam with none of them has no label (the dataset's normal_ecg is not a class of its own). No official split:
 * seeded stratified folds that keep each patient's exams together.
 */
import { join } from 'node:path';
import { EcgError, FormatError, MissingFileError } from '../errors.js';
import { listHdf5Exams, parseExamName, readHdf5Exam } from '../io/hdf5.js';
import { parseCsv } from './csv.js';
import { fileExists, readText } from './files.js';
import { withRecord } from './load.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, PatientFeatures, SkippedRecord } from './types.js';
import { entryById } from './types.js';

/** The six abnormalities in the order of the dataset's README and of Ribeiro et al.'s model outputs. */
export const CODE15_CLASSES = ['1dAVb', 'RBBB', 'LBBB', 'SB', 'AF', 'ST'] as const;

const REQUIRED_COLUMNS = ['exam_id', 'age', 'is_male', 'patient_id', 'trace_file', ...CODE15_CLASSES];

export interface Code15Options {
  split?: Partial<SeededSplitOptions>;
}

interface ExamRow {
  id: string;
  patientId: string;
  traceFile: string;
  labels: number[];
  patient: PatientFeatures;
}

/** exams.csv -> one row per exam; a FormatError names the file, line and column of anything unreadable. */
export function parseExamsCsv(text: string, source: string): ExamRow[] {
  const [header, ...rows] = parseCsv(text, source);
  const column = new Map((header ?? []).map((name, index) => [name.trim(), index]));
  const missing = REQUIRED_COLUMNS.filter((name) => !column.has(name));
  if (missing.length > 0) throw new FormatError(source, `missing column(s) ${missing.join(', ')}`);
  return rows.map((row, index) => {
    const line = index + 2;
    const field = (name: string) => (row[column.get(name)!] ?? '').trim();
    const flag = (name: string) => parseFlag(field(name), source, `line ${line}, column ${name}`);
    const id = field('exam_id');
    if (!/^\d+$/.test(id)) throw new FormatError(source, `line ${line}: exam_id "${id}" is not a number`);
    const age = field('age') === '' ? null : Number(field('age'));
    if (age !== null && !(age >= 0 && age < 150))
      throw new FormatError(source, `line ${line}: age "${field('age')}" is not an age in years`);
    return {
      id,
      patientId: field('patient_id') || id,
      traceFile: field('trace_file'),
      labels: CODE15_CLASSES.flatMap((name, classIndex) => (flag(name) ? [classIndex] : [])),
      patient: { age, sex: flag('is_male') ? 'male' : 'female', ageCapped: false },
    };
  });
}

function parseFlag(value: string, source: string, place: string): boolean {
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new FormatError(source, `${place}: "${value}" is not True or False`);
}

/**
 * The exams each trace file holds (one open per file), or why none can be used: a missing or unreadable part (a
 * partial download, a truncated file) skips its exams with the reason instead of failing the whole dataset.
 */
async function examsByFile(
  root: string,
  files: Iterable<string>,
): Promise<Map<string, Set<string> | string>> {
  const found = new Map<string, Set<string> | string>();
  for (const file of files) {
    const path = join(root, file);
    if (!(await fileExists(path))) {
      found.set(file, `${file} missing`);
      continue;
    }
    try {
      const names = await listHdf5Exams(path);
      found.set(file, new Set(names.map((name) => parseExamName(name)!.exam)));
    } catch (error) {
      if (!(error instanceof EcgError)) throw error;
      found.set(file, `${file} unreadable (${error.message})`);
    }
  }
  return found;
}

export async function openCode15(root: string, options: Code15Options = {}): Promise<Dataset> {
  const csvPath = join(root, 'exams.csv');
  const rows = parseExamsCsv(await readText(csvPath), csvPath);
  const byFile = await examsByFile(root, new Set(rows.map((row) => row.traceFile)));
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = [];
  const traceFileOf = new Map<string, string>();
  for (const row of rows) {
    const exams = byFile.get(row.traceFile)!;
    if (typeof exams === 'string') skipped.push({ id: row.id, reason: `trace file ${exams}` });
    else if (!exams.has(row.id)) skipped.push({ id: row.id, reason: `not in ${row.traceFile}` });
    else if (traceFileOf.has(row.id))
      skipped.push({ id: row.id, reason: 'exam_id listed twice in exams.csv' });
    else {
      traceFileOf.set(row.id, join(root, row.traceFile));
      const { id, patientId, labels, patient } = row;
      entries.push({ id, patientId, fold: null, split: 'train', labels, patient });
    }
  }
  const split = applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...options.split, groupBy: 'patient' });
  const byId = entryById(entries);
  const pathOf = (id: string) => {
    const path = traceFileOf.get(id);
    if (path === undefined) throw new MissingFileError(join(root, `#${id}`), 'no such exam in this dataset');
    return path;
  };
  return {
    name: 'code15',
    root,
    classes: [...CODE15_CLASSES],
    labelKind: 'multi-label',
    entries,
    skipped,
    split,
    sourceFiles: (id) => [pathOf(id), csvPath],
    load: async (id) => withRecord(byId.get(id)!, await readHdf5Exam(pathOf(id), id)),
  };
}
