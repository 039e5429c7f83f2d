/**
 * WFDB header + decoded signals -> EcgRecord. Pure (bytes in), so browsers can use it on dropped files.
 */
import { MissingFileError } from '../../errors.js';
import type { EcgRecord } from '../record.js';
import { NULL_FORMAT } from './formats.js';
import { parseWfdbHeader, type WfdbHeader } from './header.js';
import { readMultiSegment, segmentHeaderNames } from './multisegment.js';
import { decodeWfdbSignals, type ChecksumReport, type WfdbSignalOptions } from './signals.js';

export interface WfdbRead {
  record: EcgRecord;
  header: WfdbHeader;
  checksums: ChecksumReport[];
  notes: string[];
}

/** Decodes header bytes as text (headers are ASCII; a stray non-ASCII byte must not throw). */
export function headerText(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

/** Data files a single-segment header names (null signals store nothing). */
function dataFileNames(header: WfdbHeader): string[] {
  return [...new Set(header.signals.filter((s) => s.format !== NULL_FORMAT).map((s) => s.fileName))];
}

/**
 * Fetches every file a record needs, by the names its header gives: the data files, or for a multi-segment record
 * the segment headers and their data files. A multi-segment record's missing files are left out (wfdbRecord then
 * names the segment they belong to); a single-segment record's missing file rejects as `read` does.
 */
export async function fetchWfdbFiles(
  header: WfdbHeader,
  read: (fileName: string) => Promise<Uint8Array>,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const fetchAll = (names: string[], tolerant: boolean) =>
    Promise.all(
      names.map(async (name) => {
        try {
          files.set(name, await read(name));
        } catch (error) {
          if (!tolerant || !(error instanceof MissingFileError)) throw error;
        }
      }),
    );
  if (header.nSegments === null) {
    await fetchAll(dataFileNames(header), false);
    return files;
  }
  const headerNames = segmentHeaderNames(header);
  await fetchAll(headerNames, true);
  const segmentData = headerNames.flatMap((name) => {
    const bytes = files.get(name);
    if (!bytes) return [];
    try {
      const segment = parseWfdbHeader(headerText(bytes), name);
      return segment.nSegments === null ? dataFileNames(segment) : [];
    } catch {
      return []; // wfdbRecord reports the bad segment header
    }
  });
  await fetchAll(segmentData, true);
  return files;
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
