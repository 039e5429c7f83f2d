/**
 * The one in-memory ECG record every reader produces and every later layer consumes.
 * Signals are per lead, in physical units (usually mV), as Float32Array; invalid samples are NaN.
 */
export type Sex = 'male' | 'female' | 'unknown';

export interface EcgRecord {
  /** Record name as its source names it (e.g. "A00001", "100", "00001_lr"). */
  name: string;
  /** Sampling frequency in Hz (per frame; leads sampled faster are resampled by the reader). */
  fs: number;
  /** Lead names in signal order ("I", "II", ..., "V6", "MLII"). */
  leads: string[];
  /** Physical units per lead ("mV" unless the source says otherwise). */
  units: string[];
  /** One Float32Array per lead, all of the same length. */
  signals: Float32Array[];
  /** Age in years, or null when unknown. */
  age: number | null;
  sex: Sex;
  /** Anything else the source carries (header comments, diagnoses, date...). JSON-serialisable. */
  metadata: Record<string, unknown>;
}

/** Number of samples per lead (0 for a record without leads). */
export function recordLength(record: EcgRecord): number {
  return record.signals[0]?.length ?? 0;
}

/** Duration in seconds. */
export function recordDuration(record: EcgRecord): number {
  return recordLength(record) / record.fs;
}

/** How each face takes a sampling rate the file does not carry (named in the readers' errors). */
export const FS_HINT =
  '--fs HZ on the command line, { fs } in code, "fs" in the HTTP API, the Hz field of the page';
