/**
 * Work budgets for the readers. Every reader computes what an input implies (samples x leads, inflated bytes,
 * declared sizes, sampling rate) and refuses it with a FormatError BEFORE allocating or looping, so a 42-byte
 * header cannot ask for gigabytes. The caller chooses the budget: the library and the CLI use
 * DEFAULT_READ_LIMITS, the HTTP server the stricter SERVER_READ_LIMITS (src/server/limits.ts derives its own).
 */
import { FormatError } from '../errors.js';

export interface ReadLimits {
  /** Decoded samples of a record, all leads together (each becomes a float32: 4 bytes). */
  maxSamples: number;
  /** Bytes of one input file (header, data file, annotation file, MAT-file, CSV text). */
  maxFileBytes: number;
  /** Bytes that compressed MAT variables of one file may inflate to, all together. */
  maxInflatedBytes: number;
  /** Lowest and highest sampling rate accepted, in Hz. */
  minFs: number;
  maxFs: number;
  /** Annotations decoded from one annotation file. */
  maxAnnotations: number;
  /** Leads of one record (each lead costs an array and a name whatever its length). */
  maxLeads: number;
}

/**
 * The library and CLI budget: 2^26 samples (256 MiB of float32; a 24 h, 3-lead Holter at 250 Hz is 64.8 M samples),
 * 512 MiB per file, 256 MiB inflated, 1 Hz to 20 kHz.
 */
export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxSamples: 2 ** 26,
  maxFileBytes: 512 * 2 ** 20,
  maxInflatedBytes: 256 * 2 ** 20,
  minFs: 1,
  maxFs: 20_000,
  maxAnnotations: 2 ** 24,
  maxLeads: 4096,
});

/** The server's budget: 2^23 samples (12 leads x 10 min at 1 kHz is 7.2 M), 64 MiB inflated, 32 MiB per file. */
export const SERVER_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxSamples: 2 ** 23,
  maxFileBytes: 32 * 2 ** 20,
  maxInflatedBytes: 64 * 2 ** 20,
  minFs: 1,
  maxFs: 20_000,
  maxAnnotations: 2 ** 20,
  maxLeads: 256,
});

/** Complete limits from a partial override (defaults for the rest). */
export function readLimits(given?: Partial<ReadLimits>): ReadLimits {
  return { ...DEFAULT_READ_LIMITS, ...given };
}

export type FsLimits = Pick<ReadLimits, 'minFs' | 'maxFs'>;

/** Why `fs` is refused (0, NaN, negative and absurd rates alike), or null for a rate within [minFs, maxFs]. */
export function fsProblem(fs: number, limits: FsLimits = DEFAULT_READ_LIMITS): string | null {
  if (fs >= limits.minFs && fs <= limits.maxFs) return null;
  return `invalid sampling frequency ${fs} Hz (accepted: ${limits.minFs} to ${limits.maxFs} Hz)`;
}

/** FormatError naming `source` unless `fs` is accepted by fsProblem. */
export function checkFs(fs: number, source: string, limits: FsLimits = DEFAULT_READ_LIMITS): number {
  const problem = fsProblem(fs, limits);
  if (problem !== null) throw new FormatError(source, problem);
  return fs;
}

/** FormatError when `nSamples` per lead x `nLeads` exceeds the sample budget, or `nLeads` the lead budget. */
export function checkSamples(source: string, nSamples: number, nLeads: number, limits: ReadLimits): void {
  if (nLeads > limits.maxLeads)
    throw new FormatError(source, `${nLeads} leads exceeds the limit of ${limits.maxLeads} leads`);
  const total = nSamples * nLeads;
  if (!(total <= limits.maxSamples))
    throw new FormatError(
      source,
      `${nSamples} samples x ${nLeads} leads exceeds the limit of ${limits.maxSamples} samples ` +
        `(${(limits.maxSamples * 4) / 2 ** 20} MiB of float32; raise maxSamples to read it)`,
    );
}

/** FormatError when an input of `bytes` bytes (`what`) exceeds the per-file budget. */
export function checkFileBytes(source: string, bytes: number, limits: ReadLimits, what = 'file'): void {
  if (bytes > limits.maxFileBytes)
    throw new FormatError(
      source,
      `${what} of ${bytes} bytes exceeds the limit of ${limits.maxFileBytes} bytes per file`,
    );
}

/**
 * Largest finite float32. Samples are stored as float32: a physical value beyond it (a WFDB gain of 1e-300, an EDF
 * physical minimum of -1e308, a CSV value of 1e39) would become ±Infinity, so readers refuse the field that makes it.
 */
export const FLOAT32_MAX = 3.4028234663852886e38;
