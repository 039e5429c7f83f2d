/**
 * One entry point for reading an ECG record from a path, a URL, bytes or dropped files, whatever its format:
 * WFDB (`.hea` + data files), MATLAB (`.mat` without a header), CSV. The parsers are pure; only the sources do I/O.
 */
import { FormatError, MissingFileError } from '../errors.js';
import { readCsvRecord } from './csv.js';
import { HDF5_EXTENSIONS, parseExamName } from './hdf5-names.js';
import { looksLikeEdf, readEdfRecord } from './edf.js';
import { readLimits, type ReadLimits } from './limits.js';
import { readMatRecord } from './mat/index.js';
import type { EcgRecord } from './record.js';
import {
  baseName,
  bytesSource,
  extension,
  isUrl,
  sourceFor,
  withExtension,
  type ByteSource,
} from './source.js';
import { parseAnnotations, type WfdbAnnotation } from './wfdb/annotations.js';
import { parseWfdbHeader, type WfdbHeader } from './wfdb/header.js';
import { segmentHeaderNames } from './wfdb/multisegment.js';
import { fetchWfdbFiles, headerText, readHeaderBytes, wfdbRecord, type WfdbRead } from './wfdb/record.js';
import { readWfdbWindow, windowReadable } from './wfdb/window.js';
import { cutRecord, wantsWindow, type WindowOptions } from './window.js';

export type RecordInput = string | URL | Uint8Array | ByteSource;

/**
 * `from`, `to` and `channels` (WindowOptions) read a window, as wfdb-python's sampfrom / sampto / channels: a WFDB
 * record reads only the bytes of that window from its data files; other formats are read whole and cut.
 */
export interface ReadOptions extends WindowOptions {
  /** Throw ChecksumError on a WFDB checksum mismatch (default: report in metadata.checksums). */
  strict?: boolean;
  /** The record's other files when `input` is bytes (name -> bytes). */
  files?: Map<string, Uint8Array>;
  /** Sampling frequency for sources that do not carry one (CSV, MAT `val` matrices). */
  fs?: number;
  /** ADC units per physical unit for a MAT `val` matrix read without a header. */
  gain?: number;
  /** Work budget (samples, file bytes, inflated bytes, sampling rate range); default DEFAULT_READ_LIMITS. */
  limits?: Partial<ReadLimits>;
  /** Follow data-file names that are absolute or leave the header's folder with `..` (default false). */
  allowOutsideFolder?: boolean;
}

function toSource(input: RecordInput, options: ReadOptions = {}): ByteSource {
  if (input instanceof Uint8Array) return bytesSource(input, '<bytes>', options.files);
  return sourceFor(input, {
    maxFileBytes: readLimits(options.limits).maxFileBytes,
    ...(options.allowOutsideFolder === undefined ? {} : { allowOutsideFolder: options.allowOutsideFolder }),
  });
}

/** Reads and parses a `.hea` file (or the `.hea` of a record path given without extension). */
export async function readWfdbHeader(input: RecordInput, options: ReadOptions = {}): Promise<WfdbHeader> {
  const source = headerSource(toSource(input, options));
  return parseWfdbHeader(headerText(await readHeaderBytes(source)), source.name, readLimits(options.limits));
}

function headerSource(source: ByteSource): ByteSource {
  const ext = extension(source.name);
  if (ext === 'hea' || source.name === '<bytes>') return source;
  return source.sibling(baseName(ext === '' ? `${source.name}.hea` : withExtension(source.name, 'hea')));
}

/** Reads a WFDB record from its header, fetching the data files it names relative to it. */
export async function readWfdb(input: RecordInput, options: ReadOptions = {}): Promise<WfdbRead> {
  const source = headerSource(toSource(input, options));
  const header = parseWfdbHeader(
    headerText(await readHeaderBytes(source)),
    source.name,
    readLimits(options.limits),
  );
  const windowed = wantsWindow(options);
  if (windowed && windowReadable(header)) return readWfdbWindow(header, source, options, options);
  const read = await readWholeWfdb(header, source, options);
  return windowed ? { ...read, record: cutRecord(read.record, options, source.name) } : read;
}

async function readWholeWfdb(
  header: WfdbHeader,
  source: ByteSource,
  options: ReadOptions,
): Promise<WfdbRead> {
  // A data file is read only as far as its headers account for it (the rest would be ignored anyway).
  const files = await fetchWfdbFiles(
    header,
    (name, declared) => {
      const file = source.sibling(name);
      return declared !== null && file.readRange ? file.readRange(0, declared) : file.read();
    },
    options.limits,
  );
  const fileBytes = (name: string) => {
    const bytes = files.get(name);
    if (!bytes) throw new MissingFileError(name);
    return bytes;
  };
  return wfdbRecord(header, fileBytes, source.name, {
    ...options,
    fileLabel: (name) => source.sibling(name).name,
  });
}

/** Reads an MIT-format annotation file (`.atr`, LUDB `.i` ... `.v6`, ...). */
export async function readAnnotations(
  input: RecordInput,
  options: Pick<ReadOptions, 'limits'> = {},
): Promise<WfdbAnnotation[]> {
  const source = toSource(input, options);
  return parseAnnotations(await source.read(), source.name, options.limits);
}

/**
 * Reads a record. A `.hea` (or a record path without extension, or a `.dat`) is read as WFDB; a `.mat` is read
 * through its `.hea` when one sits beside it (CinC 2017 style), otherwise as a MAT-file; a `.csv`/`.tsv`/`.txt`
 * as delimited text (fs from `options.fs` or a time column); a `.edf` as EDF / EDF+ (annotations in
 * metadata.annotations). Bytes are sniffed: an EDF version field with a consistent header size is an EDF file,
 * text starting with a WFDB record line a header, anything else a MAT-file.
 */
export async function readRecord(input: RecordInput, options: ReadOptions = {}): Promise<EcgRecord> {
  const record = await readAnyRecord(input, options);
  // WFDB windows are cut by readWfdb (metadata.window set); other formats here.
  if (!wantsWindow(options) || record.metadata.window !== undefined) return record;
  return cutRecord(record, options, record.name);
}

async function readAnyRecord(input: RecordInput, options: ReadOptions): Promise<EcgRecord> {
  const source = toSource(input, options);
  if (input instanceof Uint8Array) return readSniffed(input, source, options);
  const exam = parseExamName(source.name);
  if (exam !== null || HDF5_EXTENSIONS.has(extension(source.name)))
    return readHdf5(input, source, exam, options);
  const ext = extension(source.name);
  if (ext === 'mat') return readMatOrWfdb(source, options);
  if (ext === 'hea' || ext === 'dat' || ext === '') return (await readWfdb(source, options)).record;
  if (ext === 'edf') return readEdfRecord(await source.read(), source.name, options.limits);
  if (TEXT_TABLES.has(ext))
    return readCsvRecord(textOf(await source.read()), source.name, csvOptions(options));
  throw new FormatError(
    source.name,
    `unsupported file type ".${ext}" (expected .hea, .dat, .mat, .edf, .csv, .hdf5)`,
  );
}

const TEXT_TABLES = new Set(['csv', 'tsv', 'txt']);

const HDF5_FROM_PATH =
  'an HDF5 file: HDF5 files are read from a file path (under Node), not from bytes or URLs; ' +
  "convert the exams to send to WFDB: writeRecord(await readRecord('part.hdf5#ID'), dir, { name })";

/**
 * An exam of an HDF5 file (`FILE#ID`), or the file itself when it holds one exam. HDF5 is read from a path only (a
 * CODE-15 part is gigabytes: its exams are read one hyperslab at a time), under Node: src/io/hdf5.ts is loaded by a
 * specifier bundlers cannot follow, so pages never carry h5wasm.
 */
async function readHdf5(
  input: RecordInput,
  source: ByteSource,
  exam: { file: string; exam: string } | null,
  options: ReadOptions,
): Promise<EcgRecord> {
  if (typeof input !== 'string' || isUrl(input)) throw new FormatError(source.name, HDF5_FROM_PATH);
  const specifier = './hdf5.js';
  const hdf5 = (await import(specifier)) as typeof import('./hdf5.js');
  const hdf5Options = csvOptions(options);
  if (exam !== null) return hdf5.readHdf5Exam(exam.file, exam.exam, hdf5Options);
  const exams = await hdf5.listHdf5Exams(source.name, hdf5Options);
  if (exams.length !== 1)
    throw new FormatError(
      source.name,
      `holds ${exams.length} exams: name one as FILE#ID (e.g. ${exams[0] ?? 'FILE#0'}); predict FILE reads them all`,
    );
  const only = hdf5.parseExamName(exams[0]!)!;
  return hdf5.readHdf5Exam(only.file, only.exam, hdf5Options);
}

function textOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function csvOptions(options: ReadOptions): { fs?: number; limits?: Partial<ReadLimits> } {
  return {
    ...(options.fs === undefined ? {} : { fs: options.fs }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };
}

function matOptions(options: ReadOptions): { fs?: number; gain?: number; limits?: Partial<ReadLimits> } {
  return { ...csvOptions(options), ...(options.gain === undefined ? {} : { gain: options.gain }) };
}

async function readMatOrWfdb(source: ByteSource, options: ReadOptions): Promise<EcgRecord> {
  const header = source.sibling(baseName(withExtension(source.name, 'hea')));
  try {
    await header.read();
  } catch (error) {
    if (!(error instanceof MissingFileError)) throw error;
    return readMatRecord(await source.read(), source.name, matOptions(options));
  }
  return (await readWfdb(header, options)).record;
}

async function readSniffed(bytes: Uint8Array, source: ByteSource, options: ReadOptions): Promise<EcgRecord> {
  if (looksLikeHdf5(bytes)) throw new FormatError(source.name, HDF5_FROM_PATH);
  // EDF first: its header is printable ASCII too, and a patient field starting with a digit reads as a record line.
  if (looksLikeEdf(bytes)) return readEdfRecord(bytes, source.name, options.limits);
  if (looksLikeWfdbHeader(bytes)) return (await readWfdb(source, options)).record;
  return readMatRecord(bytes, source.name, matOptions(options));
}

/** HDF5's signature at the start (a user block would move it to 512, 1024...: such files are not ECG exports). */
function looksLikeHdf5(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return signature.every((byte, i) => bytes[i] === byte);
}

/** First non-comment line of printable ASCII with a name and a signal count. */
function looksLikeWfdbHeader(bytes: Uint8Array): boolean {
  const start = bytes.subarray(0, 512);
  if (start.some((byte) => byte < 9 || (byte > 13 && byte < 32))) return false;
  const head = headerText(start);
  const firstLine = head.split(/\r?\n/).find((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  return firstLine !== undefined && /^\s*\S+\s+\d+/.test(firstLine);
}

/**
 * For browsers and the server: a record's files dropped together (name -> bytes). Uses the one `.hea` among them
 * (its data files must be there too), or else the one `.edf`, `.mat` or `.csv`. A multi-segment record comes with
 * several headers: its master header (the one naming segments) is read, and every other header must be one of its
 * segment or layout headers.
 */
export async function readRecordFromFiles(
  files: Map<string, Uint8Array>,
  options: ReadOptions = {},
): Promise<EcgRecord> {
  const record = await readAnyRecordFromFiles(files, options);
  if (!wantsWindow(options) || record.metadata.window !== undefined) return record;
  return cutRecord(record, options, record.name);
}

async function readAnyRecordFromFiles(
  files: Map<string, Uint8Array>,
  options: ReadOptions,
): Promise<EcgRecord> {
  const names = [...files.keys()];
  const hdf5 = names.find((name) => HDF5_EXTENSIONS.has(extension(name)));
  if (hdf5 !== undefined) throw new FormatError(hdf5, HDF5_FROM_PATH);
  const pick = (ext: string) => names.filter((name) => extension(name) === ext);
  const headers = pick('hea');
  if (headers.length > 0) {
    const headerName = headers.length === 1 ? headers[0]! : masterHeaderName(files, headers);
    return (await readWfdb(bytesSource(files.get(headerName)!, headerName, files), options)).record;
  }
  const edfs = pick('edf');
  const edfName = edfs[0];
  if (edfs.length === 1 && edfName !== undefined)
    return readEdfRecord(files.get(edfName)!, edfName, options.limits);
  const mats = pick('mat');
  const matName = mats[0];
  if (mats.length === 1 && matName !== undefined)
    return readMatRecord(files.get(matName)!, matName, matOptions(options));
  const tables = names.filter((name) => TEXT_TABLES.has(extension(name)));
  const tableName = tables[0];
  if (tables.length === 1 && tableName !== undefined)
    return readCsvRecord(textOf(files.get(tableName)!), tableName, csvOptions(options));
  throw new FormatError(
    '<files>',
    `no .hea and no single .edf, .mat or .csv among ${names.join(', ') || 'no files'}`,
  );
}

/**
 * Among several dropped headers, the master header of one multi-segment record: the only header naming segments,
 * with every other header one of its segments (or its layout). Anything else is more than one record.
 */
function masterHeaderName(files: Map<string, Uint8Array>, headers: readonly string[]): string {
  const masters = headers.flatMap((name) => {
    const header = parsedOrNull(files.get(name)!, name);
    return header !== null && header.nSegments !== null ? [{ name, header }] : [];
  });
  const listed = headers.join(', ');
  if (masters.length !== 1) {
    const why =
      masters.length === 0
        ? 'none names segments (a multi-segment master header)'
        : `${masters.map((m) => m.name).join(', ')} each name segments`;
    throw new FormatError('<files>', `several headers given (${listed}) and ${why}: pass one record`);
  }
  const master = masters[0]!;
  const segments = new Set(segmentHeaderNames(master.header));
  const strays = headers.filter((name) => name !== master.name && !segments.has(name));
  if (strays.length > 0)
    throw new FormatError(
      '<files>',
      `several headers given (${listed}): not segments of the multi-segment record ${master.name}: ${strays.join(', ')}; pass one record`,
    );
  return master.name;
}

/** A header that does not parse is no master; reading it (if it is the only one) reports why. */
function parsedOrNull(bytes: Uint8Array, name: string): WfdbHeader | null {
  try {
    return parseWfdbHeader(headerText(bytes), name);
  } catch {
    return null;
  }
}
