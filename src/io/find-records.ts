/**
 * `predict` inputs -> record files (Node): a file as given; a folder walked recursively for its records by
 * FOLDER_RULE (also `inspect` and pre-training's `folder` source); a glob (`*`, `?`, `[abc]`, `**`) matched under its
 * fixed prefix.
 * Sorted, without duplicates, so that output order does not depend on the file system.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
  type Dirent,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { MissingFileError } from '../errors.js';
import { HDF5_EXTENSIONS } from './hdf5-names.js';
import { parseWfdbHeader } from './wfdb/header.js';
import { segmentHeaderNames } from './wfdb/multisegment.js';

/** Dataset index tables that sit beside records in the official layouts (CinC, PTB-XL): not records. */
const INDEX_TABLES = /(^|[\\/])(REFERENCE[^\\/]*|ptbxl_database|scp_statements|ludb)\.csv$/i;

export function expandInputs(inputs: readonly string[]): string[] {
  const files = new Set<string>();
  for (const input of inputs) {
    if (/[*?[]/.test(input)) {
      for (const file of globEntries(input)) files.add(file);
    } else if (existsSync(input) && statSync(input).isDirectory()) {
      for (const file of recordsUnder(input).files) files.add(file);
    } else {
      const path = resolveRecordPath(input);
      if (path === null) throw new MissingFileError(input, 'no such file or folder');
      files.add(path);
    }
  }
  return [...files].sort();
}

/**
 * A record named as given, or without its extension as `inspect` and `features` accept it: `A00005` stays as it is
 * when `A00005.hea` exists (readRecord reads the header), else becomes the `.mat` or `.csv` of that name; null when
 * there is no such record.
 */
export function resolveRecordPath(input: string): string | null {
  if (existsSync(input)) return input;
  if (existsSync(`${input}.hea`)) return input;
  const other = ['mat', 'csv'].map((ext) => `${input}.${ext}`).find((path) => existsSync(path));
  return other ?? null;
}

/**
 * Every file under `dir` (hidden entries skipped), following symbolic links to files and folders as `datasets` and
 * `train` do (docs/own-data.md builds folders of links); a linked folder already walked is not walked again.
 */
export function walkFiles(dir: string): string[] {
  return [...walkFolders(dir)].flatMap((folder) => folder.files);
}

/**
 * The folders under `dir` one at a time (depth first, names sorted), each with its files: a walk that holds one
 * folder's names at a time, for batches of any size (src/infer/batch.ts). Links are followed as in walkFiles.
 */
export function* walkFolders(
  dir: string,
  seen = new Set<string>([realpathSync(dir)]),
): Generator<{ dir: string; files: string[] }> {
  const files: string[] = [];
  const folders: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const kind = entryKind(path, entry);
    if (kind === 'file') files.push(path);
    else if (kind === 'dir' && firstVisit(path, seen)) folders.push(path);
  }
  yield { dir, files };
  for (const folder of folders) yield* walkFolders(folder, seen);
}

/** A folder entry as the walks see it: a file, a folder (links followed), or neither. */
function entryKind(path: string, entry: Dirent): 'file' | 'dir' | null {
  if (entry.isSymbolicLink()) return linkKind(path);
  return entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : null;
}

/** Marks a folder walked; false when it (or the folder a link points at) was walked already. */
function firstVisit(path: string, seen: Set<string>): boolean {
  const real = realpathSync(path);
  if (seen.has(real)) return false;
  seen.add(real);
  return true;
}

/** What a symbolic link points at; null for a dangling link (its record cannot be read anyway). */
function linkKind(path: string): 'file' | 'dir' | null {
  try {
    const target = statSync(path);
    return target.isDirectory() ? 'dir' : target.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/**
 * The files a glob matches, streamed in sorted path order (the order expandInputs gives): the walk holds one folder
 * listing per level it is in, never the whole match list, so that `predict --out` over a `**` glob of an archive
 * starts at once whatever its size, and a resumed run meets the same order. Links are followed as in walkFiles.
 */
export function* globEntries(pattern: string): Generator<string> {
  const parts = pattern.split(/[\\/]/);
  const fixed: string[] = [];
  for (const part of parts) {
    if (/[*?[]/.test(part)) break;
    fixed.push(part);
  }
  const root = fixed.join(sep) || '.';
  if (!existsSync(root)) return;
  const regex = globRegex(parts.slice(fixed.length).join('/'));
  for (const path of walkSorted(root, new Set([realpathSync(root)])))
    if (regex.test(relative(root, path).split(sep).join('/'))) yield path;
}

/**
 * Every file under `dir` (hidden entries skipped, links followed once) in sorted path order, streamed: a folder's
 * entries are visited by name with a folder taken as `name/`, which is where its paths fall in a sorted list.
 */
function* walkSorted(dir: string, seen: Set<string>): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => {
      const path = join(dir, entry.name);
      const kind = entryKind(path, entry);
      return { path, kind, key: kind === 'dir' ? `${entry.name}/` : entry.name };
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const { path, kind } of entries) {
    if (kind === 'file') yield path;
    else if (kind === 'dir' && firstVisit(path, seen)) yield* walkSorted(path, seen);
  }
}

function globRegex(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      source += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[' && glob.indexOf(']', i + 2) > i) {
      const end = glob.indexOf(']', i + 2);
      const body = glob
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/[\\\]]/g, '\\$&');
      source += `[${body}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** What `predict` reads in a folder; files given by name or glob are read whatever they are. */
export const FOLDER_RULE =
  'in a folder: every WFDB .hea (not the segment headers of a multi-segment record), every .mat without a .hea ' +
  'beside it, every .csv/.tsv/.txt whose first data row is all numbers (an ECG table, optional header row), and ' +
  'every exam of every .hdf5/.h5 file (CODE-15 layout); ' +
  "other files are skipped and counted, a record's own files (.dat, annotations) are not";

export interface RecordSelection {
  files: string[];
  /** Files in the given folders that are neither a record nor part of one (labels.csv, README.md, ...). */
  skipped: string[];
}

/** Every record under `dir` by FOLDER_RULE (sub-folders included), and the files that are neither records nor theirs. */
export function recordsUnder(dir: string): RecordSelection {
  const all: RecordSelection = { files: [], skipped: [] };
  for (const folder of walkFolders(dir)) {
    const selection = folderRecords(folder.files);
    all.files.push(...selection.files);
    all.skipped.push(...selection.skipped);
  }
  return all;
}

/** Path without its extension: a record's files share it (100.hea, 100.dat, 100.atr). */
const stemOf = (path: string) => path.replace(/\.[^./\\]*$/, '');
const extensionOf = (path: string) => /\.([^./\\]*)$/.exec(path)?.[1]?.toLowerCase() ?? '';

/**
 * The records among one folder's files (FOLDER_RULE): each record once, by the file that reads it. Dataset index
 * tables (REFERENCE.csv, ptbxl_database.csv...) are never records.
 */
export function folderRecords(paths: readonly string[]): RecordSelection {
  const headers = paths.filter((path) => extensionOf(path) === 'hea');
  const segments = new Set(headers.flatMap(segmentHeaders));
  const headerStems = new Set(headers.map(stemOf));
  const files: string[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    const ext = extensionOf(path);
    const isRecord =
      (ext === 'hea' && !segments.has(path)) ||
      (ext === 'mat' && !headerStems.has(stemOf(path))) ||
      HDF5_EXTENSIONS.has(ext) ||
      (TABLE_EXTENSIONS.has(ext) &&
        !headerStems.has(stemOf(path)) &&
        !INDEX_TABLES.test(path) &&
        isEcgTable(path));
    if (isRecord) files.push(path);
    else if (!headerStems.has(stemOf(path))) skipped.push(path);
  }
  return { files, skipped };
}

/** Bytes of a header searched for its record line (real headers are a few hundred bytes; comments come first). */
const HEADER_HEAD_BYTES = 64 * 1024;
/** A multi-segment header read whole is at most this long (parseWfdbHeader refuses longer ones). */
const HEADER_MAX_BYTES = 2 ** 20;

/** The segment (and layout) headers a multi-segment header names; none for any other file. */
function segmentHeaders(path: string): string[] {
  // Cheap test first, on the head of the file: only a multi-segment record line has "name/segments". The record
  // line is the first line that is neither blank nor a comment; one found past the head is not looked for.
  // (`/^\s*.../m` over the whole text crossed line breaks: 120,000 blank lines took 31 s.)
  const head = fileHead(path, HEADER_HEAD_BYTES).text;
  const recordLine = head
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
  if (recordLine === undefined || !/^[^\s#/]+\/\d+/.test(recordLine)) return [];
  try {
    const { text } = fileHead(path, HEADER_MAX_BYTES + 1);
    return segmentHeaderNames(parseWfdbHeader(text, path)).map((name) => join(dirname(path), name));
  } catch {
    return []; // a corrupt header is still a record: predicting it reports the error
  }
}

const TABLE_EXTENSIONS = new Set(['csv', 'tsv', 'txt']);
/** Enough of a table for its header row and first data row. */
const TABLE_HEAD_BYTES = 4096;
// `\d+(?:\.\d*)?`, not `\d+\.?\d*`, which splits a run of digits between its two `\d` in every way.
const NUMBER = /^[-+]?(\d+(?:\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** An ECG table as src/io/csv.ts reads it: the first row, or the row after a header row, is all numbers. */
function isEcgTable(path: string): boolean {
  const { text, complete } = fileHead(path, TABLE_HEAD_BYTES);
  const lines = text.split(/\r\n|\n|\r/).filter((line) => line.trim() !== '');
  if (!complete) lines.pop(); // may be cut mid-number
  const [first, second] = lines;
  if (first === undefined) return false;
  const delimiter = ([',', ';', '\t'] as const).reduce((best, d) =>
    first.split(d).length > first.split(best).length ? d : best,
  );
  const numericRow = (line: string | undefined) => {
    if (line === undefined) return false;
    const cells = line.split(delimiter).map((cell) =>
      cell
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim(),
    );
    const number = (cell: string) => NUMBER.test(delimiter === ',' ? cell : cell.replace(',', '.'));
    return cells.some((cell) => cell !== '') && cells.every((c) => c === '' || /^nan$/i.test(c) || number(c));
  };
  return numericRow(first) || numericRow(second);
}

function fileHead(path: string, bytes: number): { text: string; complete: boolean } {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return { text: buffer.toString('latin1', 0, read), complete: read < bytes };
  } finally {
    closeSync(fd);
  }
}
