/**
 * "Your own data" adapter (Node): DIR/labels.csv lists records (any format src/io reads) with their labels, and an
 * optional DIR/classes.txt fixes the class order. Layout and rules: docs/own-data.md.
 */
import { join, relative } from 'node:path';
import { FormatError, MissingFileError } from '../errors.js';
import { readRecord } from '../io/index.js';
import type { Sex } from '../io/record.js';
import { parseCsv } from './csv.js';
import { fileExists, readText } from './files.js';
import { withRecord } from './load.js';
import { parseExamName } from '../io/hdf5-names.js';
import { firstExisting, locateRecordFile, type LocatedRecord } from './record-files.js';
import { applySeededSplit, DEFAULT_SEEDED_SPLIT, type SeededSplitOptions } from './split.js';
import type { Dataset, DatasetEntry, LabelKind, SkippedRecord, SplitInfo, SplitName } from './types.js';

export const CUSTOM_LABELS_FILE = 'labels.csv';
export const CUSTOM_CLASSES_FILE = 'classes.txt';

/** labels.csv columns: `record` and `label` are required, the others optional. */
export const CUSTOM_COLUMNS = ['record', 'label', 'split', 'patient', 'age', 'sex', 'fs'] as const;
type Column = (typeof CUSTOM_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly Column[] = ['record', 'label'];

/**
 * Record file extensions readRecord reads (src/io/read.ts; HDF5 files hold exams, named `part.hdf5#ID`), and the
 * ones tried (in order) for a record named without one.
 */
const RECORD_EXTENSIONS = new Set(['hea', 'dat', 'mat', 'edf', 'csv', 'tsv', 'txt']);
const TRIED_EXTENSIONS = ['hea', 'mat', 'csv'] as const;

/** classes.txt may fix the task kind with this comment line, e.g. `# label-kind: multi-label`. */
const LABEL_KIND_DIRECTIVE = /^#\s*label-kind\s*:\s*(\S+)\s*$/i;
const LABEL_KINDS: readonly LabelKind[] = ['single-label', 'multi-label'];

const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];
const SEXES: Record<string, Sex> = { '': 'unknown', m: 'male', male: 'male', f: 'female', female: 'female' };

export interface CustomOptions {
  /** Seeded split of the rows that are not `test` when labels.csv has no `val` row. */
  split?: Partial<Omit<SeededSplitOptions, 'groupBy'>>;
  /** Overrides the task kind (otherwise classes.txt's directive, else multi-label iff a row has several labels). */
  labelKind?: LabelKind;
  /**
   * Accepts classes of classes.txt without a readable record (`evaluate`: a model is scored on all of its classes,
   * some of which a folder may lack); training refuses them.
   */
  allowEmptyClasses?: boolean;
}

export interface LabelRow {
  /** 1-based line in labels.csv. */
  line: number;
  id: string;
  /** Path relative to the folder, as written. */
  record: string;
  labels: string[];
  split: SplitName | null;
  patientId: string | null;
  age: number | null;
  sex: Sex;
  fs: number | null;
}

export interface ClassList {
  classes: string[] | null;
  labelKind: LabelKind | null;
}

export async function openCustom(root: string, options: CustomOptions = {}): Promise<Dataset> {
  const labelsPath = join(root, CUSTOM_LABELS_FILE);
  if (!(await fileExists(labelsPath)))
    throw new MissingFileError(labelsPath, 'labels file not found (docs/own-data.md describes the layout)');
  const rows = parseLabelRows(await readText(labelsPath), labelsPath);
  const classesPath = join(root, CUSTOM_CLASSES_FILE);
  const classList = (await fileExists(classesPath))
    ? parseClassList(await readText(classesPath), classesPath)
    : { classes: null, labelKind: null };
  const classes = classList.classes ?? [...new Set(rows.flatMap((row) => row.labels))].sort();
  const labelKind =
    options.labelKind ??
    classList.labelKind ??
    (rows.some((row) => row.labels.length > 1) ? 'multi-label' : 'single-label');
  checkLabels(rows, classes, labelKind, labelsPath, classList.classes ? classesPath : null);

  const located = new Map<string, LocatedRecord>();
  const skipped: SkippedRecord[] = [];
  for (const row of rows) {
    const found = await locateRecord(root, row);
    if (typeof found === 'string') skipped.push({ id: row.id, reason: found });
    else located.set(row.id, found);
  }
  const kept = rows.filter((row) => located.has(row.id));
  checkLeadCounts(kept, located, root);
  if (!options.allowEmptyClasses) checkNoEmptyClass(rows, located, skipped, classes, labelsPath);

  const entries = kept.map((row) => toEntry(row, classes));
  const split = assignSplits(entries, kept, options, labelsPath);
  const rowById = new Map(kept.map((row) => [row.id, row]));
  const locatedOf = (id: string) => {
    const found = located.get(id);
    if (found === undefined) throw new MissingFileError(join(root, id), 'no such entry in this dataset');
    return found;
  };
  const entryById = new Map(entries.map((entry) => [entry.id, entry]));
  const readOptions = (id: string) => {
    const fs = rowById.get(id)?.fs ?? null;
    return fs === null ? {} : { fs };
  };
  return {
    name: 'custom',
    root,
    classes,
    labelKind,
    entries,
    skipped,
    split,
    // labels.csv last: the first file names the record in errors.
    sourceFiles: (id) => [...locatedOf(id).files, labelsPath],
    readOptions,
    load: async (id) =>
      withRecord(entryById.get(id)!, await readRecord(locatedOf(id).readPath, readOptions(id))),
  };
}

/** Parses labels.csv into rows; every problem is a FormatError naming the file and line. */
export function parseLabelRows(text: string, source: string): LabelRow[] {
  const [header, ...lines] = parseCsv(text, source);
  if (header === undefined)
    throw new FormatError(source, 'empty file: expected a header line record,label,...');
  const columns = header.map((name) => name.trim().toLowerCase());
  columns.forEach((name, c) => {
    if (!(CUSTOM_COLUMNS as readonly string[]).includes(name))
      throw new FormatError(
        source,
        `line 1: unknown column "${header[c]}" (known: ${CUSTOM_COLUMNS.join(', ')})`,
      );
    if (columns.indexOf(name) !== c) throw new FormatError(source, `line 1: column "${name}" appears twice`);
  });
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) throw new FormatError(source, `line 1: missing column(s) ${missing.join(', ')}`);
  const seen = new Map<string, number>();
  return lines.map((fields, index) => {
    const line = index + 2;
    if (fields.length !== columns.length)
      throw new FormatError(
        source,
        `line ${line}: ${fields.length} fields, the header has ${columns.length}`,
      );
    const cell = (name: Column) => (fields[columns.indexOf(name)] ?? '').trim();
    const row = parseRow(cell, line, source);
    const previous = seen.get(row.id);
    if (previous !== undefined)
      throw new FormatError(
        source,
        `line ${line}: record ${row.record} is already listed on line ${previous}`,
      );
    seen.set(row.id, line);
    return row;
  });
}

function parseRow(cell: (name: Column) => string, line: number, source: string): LabelRow {
  const fail = (problem: string) => new FormatError(source, `line ${line}: ${problem}`);
  const record = cell('record').replaceAll('\\', '/');
  if (record === '') throw fail('empty record');
  // join(DIR, "/data/x") would read DIR/data/x and report that missing: say what the column takes instead. A drive
  // letter (C:/x, C:x) or a URL scheme (file:///x) is no path relative to DIR either.
  if (/^(\/|[A-Za-z][A-Za-z0-9+.-]*:)/.test(record))
    throw fail(
      `record "${record}" is an absolute path or a URL: give it relative to the folder of labels.csv`,
    );
  const split = cell('split').toLowerCase();
  if (split !== '' && !(SPLITS as readonly string[]).includes(split))
    throw fail(`split "${cell('split')}" is not train, val or test`);
  // Own keys only: a sex "constructor" or "__proto__" must not find Object.prototype's members.
  const sexKey = cell('sex').toLowerCase();
  if (!Object.hasOwn(SEXES, sexKey)) throw fail(`sex "${cell('sex')}" is not M, F or blank`);
  const sex = SEXES[sexKey]!;
  return {
    line,
    id: recordId(record),
    record,
    labels: [
      ...new Set(
        cell('label')
          .split(';')
          .map((label) => label.trim())
          .filter((label) => label !== ''),
      ),
    ],
    split: split === '' ? null : (split as SplitName),
    patientId: cell('patient') === '' ? null : cell('patient'),
    age: optionalNumber(cell('age'), 'age', (value) => value >= 0 && value < 150, fail),
    sex,
    fs: optionalNumber(cell('fs'), 'fs', (value) => value > 0, fail),
  };
}

function optionalNumber(
  text: string,
  name: string,
  valid: (value: number) => boolean,
  fail: (problem: string) => Error,
): number | null {
  if (text === '') return null;
  const value = Number(text);
  if (!Number.isFinite(value) || !valid(value)) throw fail(`${name} "${text}" is not a valid number`);
  return value;
}

/** The record path without a known record extension: "a/A001.hea" and "a/A001" are the same record. */
function recordId(record: string): string {
  const match = /^(.*)\.([A-Za-z]+)$/.exec(record);
  return match && RECORD_EXTENSIONS.has(match[2]!.toLowerCase()) ? match[1]! : record;
}

/** classes.txt: one class per line, in the model's output order; `#` lines are comments (or the kind directive). */
export function parseClassList(text: string, source: string): ClassList {
  const classes: string[] = [];
  let labelKind: LabelKind | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const directive = LABEL_KIND_DIRECTIVE.exec(line);
    if (directive) {
      const kind = directive[1]!.toLowerCase() as LabelKind;
      if (!LABEL_KINDS.includes(kind))
        throw new FormatError(
          source,
          `line ${index + 1}: label-kind "${directive[1]}" is not ${LABEL_KINDS.join(' or ')}`,
        );
      labelKind = kind;
    } else if (line !== '' && !line.startsWith('#')) {
      if (classes.includes(line))
        throw new FormatError(source, `line ${index + 1}: class "${line}" is listed twice`);
      classes.push(line);
    }
  });
  if (classes.length === 0) throw new FormatError(source, 'no class listed');
  return { classes, labelKind };
}

function checkLabels(
  rows: readonly LabelRow[],
  classes: readonly string[],
  labelKind: LabelKind,
  labelsPath: string,
  classesPath: string | null,
): void {
  if (rows.length === 0) throw new FormatError(labelsPath, 'no record rows after the header');
  for (const row of rows) {
    const fail = (problem: string) => new FormatError(labelsPath, `line ${row.line}: ${problem}`);
    const unknown = row.labels.find((label) => !classes.includes(label));
    if (unknown !== undefined)
      throw fail(`label "${unknown}" is not in ${classesPath} (${classes.join(', ')})`);
    if (labelKind === 'single-label' && row.labels.length !== 1)
      throw fail(
        `record ${row.record} has ${row.labels.length} labels but the task is single-label (docs/own-data.md: label kind)`,
      );
  }
  if (labelKind === 'single-label' && classes.length < 2)
    throw new FormatError(
      labelsPath,
      `a single-label task needs at least 2 classes, found ${classes.join(', ')}`,
    );
}

/** Every class needs a kept record; the error quotes why the first record of an empty class was skipped. */
function checkNoEmptyClass(
  rows: readonly LabelRow[],
  located: ReadonlyMap<string, LocatedRecord>,
  skipped: readonly SkippedRecord[],
  classes: readonly string[],
  labelsPath: string,
): void {
  const used = new Set(rows.filter((row) => located.has(row.id)).flatMap((row) => row.labels));
  const empty = classes.filter((name) => !used.has(name));
  if (empty.length === 0) return;
  const first = rows.find((row) => row.labels.some((label) => empty.includes(label)));
  const reason = skipped.find((record) => record.id === first?.id)?.reason;
  const why = first && reason ? `; ${first.record} (line ${first.line}) was skipped: ${reason}` : '';
  throw new FormatError(
    labelsPath,
    `class(es) ${empty.join(', ')} have no readable record (a model cannot learn an empty class)${why}`,
  );
}

/** Finds the record's file and reads just enough to know its lead count; a string is the reason to skip it. */
async function locateRecord(root: string, row: LabelRow): Promise<LocatedRecord | string> {
  // A path with its extension, or an exam of an HDF5 file (`part.hdf5#ID`, whose id keeps the whole name).
  const explicit = row.record !== row.id || parseExamName(row.record) !== null;
  const candidates = explicit
    ? [join(root, row.record)]
    : TRIED_EXTENSIONS.map((ext) => join(root, `${row.id}.${ext}`));
  const path = await firstExisting(candidates);
  if (path === null)
    return `record file missing (${candidates.map((candidate) => relative(root, candidate)).join(', ')})`;
  return locateRecordFile(root, path, row.fs);
}

/** The trainer needs one lead count: the records that differ from the most common count are listed. */
function checkLeadCounts(
  rows: readonly LabelRow[],
  located: ReadonlyMap<string, LocatedRecord>,
  root: string,
): void {
  const byLeads = new Map<number, LabelRow[]>();
  for (const row of rows) {
    const leads = located.get(row.id)!.leads;
    byLeads.set(leads, [...(byLeads.get(leads) ?? []), row]);
  }
  if (byLeads.size <= 1) return;
  const [common, ...others] = [...byLeads].sort((a, b) => b[1].length - a[1].length);
  const list = (group: LabelRow[]) =>
    group
      .slice(0, 5)
      .map((row) => `${row.record} (line ${row.line})`)
      .join(', ') + (group.length > 5 ? ` and ${group.length - 5} more` : '');
  throw new FormatError(
    root,
    `records have different lead counts: ${common![1].length} record(s) have ${common![0]} lead(s), but ${others
      .map(([leads, group]) => `${leads} lead(s): ${list(group)}`)
      .join('; ')}. A model needs one lead count: remove or convert these records`,
  );
}

function toEntry(row: LabelRow, classes: readonly string[]): DatasetEntry {
  return {
    id: row.id,
    patientId: row.patientId,
    fold: null,
    split: row.split ?? 'train',
    labels: row.labels.map((label) => classes.indexOf(label)).sort((a, b) => a - b),
    patient: { age: row.age, sex: row.sex, ageCapped: false },
  };
}

/**
 * The user's splits when labels.csv has a `val` row; otherwise the rows not marked `test` get the seeded stratified
 * split (patient-wise when any row names a patient). Either way a patient is wholly in `test` or not at all.
 */
function assignSplits(
  entries: DatasetEntry[],
  rows: readonly LabelRow[],
  options: CustomOptions,
  labelsPath: string,
): SplitInfo {
  const userSplit = rows.some((row) => row.split === 'val');
  const blank = rows.find((row) => row.split === null);
  if (userSplit && blank !== undefined)
    throw new FormatError(
      labelsPath,
      `line ${blank.line}: empty split while other rows name one (fill every row, or mark no row val)`,
    );
  checkTestPatients(rows, labelsPath);
  if (userSplit) return { method: `${CUSTOM_LABELS_FILE} split column`, parameters: {} };
  const groupBy = rows.some((row) => row.patientId !== null) ? 'patient' : 'record';
  return applySeededSplit(entries, { ...DEFAULT_SEEDED_SPLIT, ...options.split, groupBy });
}

/** A patient with rows in `test` and rows elsewhere (train, val or blank: seeded) would leak into the test score. */
function checkTestPatients(rows: readonly LabelRow[], labelsPath: string): void {
  const testRows = new Map<string, LabelRow>();
  for (const row of rows)
    if (row.split === 'test' && row.patientId !== null && !testRows.has(row.patientId))
      testRows.set(row.patientId, row);
  const other = rows.find(
    (row) => row.split !== 'test' && row.patientId !== null && testRows.has(row.patientId),
  );
  if (other === undefined) return;
  const test = testRows.get(other.patientId!)!;
  throw new FormatError(
    labelsPath,
    `patient "${other.patientId}" has rows in test (line ${test.line}) and in ${other.split ?? 'the seeded train/val split'} (line ${other.line}): keep each patient's records all in test or none (docs/own-data.md: Splits)`,
  );
}
