/**
 * WFDB header + decoded signals -> EcgRecord. Pure (bytes in), so browsers can use it on dropped files.
 */
import { MissingFileError } from '../../errors.js';
import { readLimits, type ReadLimits } from '../limits.js';
import type { EcgRecord } from '../record.js';
import type { ByteSource } from '../source.js';
import { declaredFileBytes } from './declared.js';
import { NULL_FORMAT } from './formats.js';
import { MAX_HEADER_CHARS, parseWfdbHeader, type WfdbHeader } from './header.js';
import { readMultiSegment, segmentHeaderNames } from './multisegment.js';
import { decodeWfdbSignals, type ChecksumReport, type WfdbSignalOptions } from './signals.js';

export interface WfdbRead {
  record: EcgRecord;
  header: WfdbHeader;
  checksums: ChecksumReport[];
  notes: string[];
}

/**
 * A header file's bytes, at most one past the largest header (parseWfdbHeader refuses that one): a large file named
 * .hea is not read whole (up to the file limit) only to be refused.
 */
export async function readHeaderBytes(source: ByteSource): Promise<Uint8Array> {
  return source.readRange ? source.readRange(0, MAX_HEADER_CHARS + 1) : source.read();
}

/** Decodes header bytes as text (headers are ASCII; a stray non-ASCII byte must not throw). */
export function headerText(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

/** Data files a single-segment header names (null signals store nothing). */
function dataFileNames(header: WfdbHeader): string[] {
  return [...new Set(header.signals.filter((s) => s.format !== NULL_FORMAT).map((s) => s.fileName))];
}

/** Files fetched at a time: a master listing thousands of segments must not open thousands of connections at once. */
export const CONCURRENT_FETCHES = 8;

/**
 * Fetches every file a record needs, by the names its header gives: the data files, or for a multi-segment record
 * the segment headers and their data files. Each file is fetched once (a master may list one segment many times),
 * and `read` is told how many bytes of it the headers account for (null: unknown, read it whole). A multi-segment
 * record's missing files are left out (wfdbRecord then names the segment they belong to); a single-segment
 * record's missing file rejects as `read` does. At most CONCURRENT_FETCHES reads run at once.
 */
export async function fetchWfdbFiles(
  header: WfdbHeader,
  read: (fileName: string, declaredBytes: number | null) => Promise<Uint8Array>,
  limits?: Partial<ReadLimits>,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const fetchAll = async (declared: Map<string, number | null>, tolerant: boolean) => {
    const queue = [...declared];
    const fetchNext = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [name, bytes] = next;
        try {
          files.set(name, await read(name, bytes));
        } catch (error) {
          if (!tolerant || !(error instanceof MissingFileError)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_FETCHES, queue.length) }, fetchNext));
  };
  if (header.nSegments === null) {
    await fetchAll(declaredData([header]), false);
    return files;
  }
  const headerNames = new Set(segmentHeaderNames(header));
  await fetchAll(new Map([...headerNames].map((name) => [name, null])), true);
  await fetchAll(declaredData(segmentHeaders(header, files, readLimits(limits))), true);
  return files;
}

/**
 * The single-segment headers of a master's segments that could be read and parsed (wfdbRecord reports the
 * others), one per segment line: a header leaving its length out takes the line's count, as readMultiSegment does.
 * Parsed under the caller's limits, as readMultiSegment parses them (a rate they allow must not lose its files).
 */
function segmentHeaders(
  master: WfdbHeader,
  files: Map<string, Uint8Array>,
  limits: ReadLimits,
): WfdbHeader[] {
  const parsed = new Map<string, WfdbHeader | null>();
  return master.segments.flatMap((line) => {
    const name = `${line.recordName}.hea`;
    if (!parsed.has(name)) parsed.set(name, parsedSegment(files.get(name), name, limits));
    const segment = parsed.get(name);
    if (!segment) return [];
    return [segment.nSamples === null ? { ...segment, nSamples: line.nSamples } : segment];
  });
}

function parsedSegment(bytes: Uint8Array | undefined, name: string, limits: ReadLimits): WfdbHeader | null {
  if (!bytes) return null;
  try {
    const segment = parseWfdbHeader(headerText(bytes), name, limits);
    return segment.nSegments === null ? segment : null;
  } catch {
    return null;
  }
}

/** Each data file the headers name, with the most bytes any of them accounts for (null if one does not say). */
function declaredData(headers: WfdbHeader[]): Map<string, number | null> {
  const declared = new Map<string, number | null>();
  for (const header of headers) {
    for (const name of dataFileNames(header)) {
      const bytes = declaredFileBytes(header, name);
      const known = declared.has(name) ? declared.get(name)! : bytes;
      declared.set(name, known === null || bytes === null ? null : Math.max(known, bytes));
    }
  }
  return declared;
}

/**
 * Builds an EcgRecord from a parsed header and a function returning a file's bytes by the name the header gives
 * (it throws MissingFileError itself when absent): data files, or a multi-segment record's segment headers
 * (`<segment>.hea`) and their data files.
 */
export function wfdbRecord(
  header: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  options: WfdbSignalOptions = {},
): WfdbRead {
  if (header.nSegments !== null) return { header, ...readMultiSegment(header, fileBytes, source, options) };
  const decoded = decodeWfdbSignals(header, fileBytes, source, options);
  const leads = header.signals.map((s, i) => s.description || `signal ${i}`);
  const record: EcgRecord = {
    name: header.recordName,
    fs: header.fs,
    leads,
    units: header.signals.map((s) => s.units),
    signals: decoded.signals,
    age: header.patient.age,
    sex: header.patient.sex,
    metadata: {
      source: 'wfdb',
      formats: header.signals.map((s) => s.format),
      baseTime: header.baseTime,
      baseDate: header.baseDate,
      startTime: header.startTime,
      comments: header.comments,
      commentFields: header.commentFields,
      checksumsOk: decoded.checksums.every((c) => c.ok !== false),
      checksums: decoded.checksums,
      notes: decoded.notes,
    },
  };
  return { record, header, checksums: decoded.checksums, notes: decoded.notes };
}

/** Parses header text and decodes its signals in one call. */
export function wfdbRecordFromText(
  text: string,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  options: WfdbSignalOptions = {},
): WfdbRead {
  return wfdbRecord(parseWfdbHeader(text, source), fileBytes, source, options);
}
