/**
 * WFDB header + decoded signals -> EcgRecord. Pure (bytes in), so browsers can use it on dropped files.
 */
import type { EcgRecord } from '../record.js';
import { parseWfdbHeader, type WfdbHeader } from './header.js';
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

/**
 * Builds an EcgRecord from a parsed header and a function returning a data file's bytes by the name the header
 * gives (it throws MissingFileError itself when absent).
 */
export function wfdbRecord(
  header: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  options: WfdbSignalOptions = {},
): WfdbRead {
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
