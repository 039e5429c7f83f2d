/**
 * How many bytes of each data file a single-segment header accounts for, so that a reader can stop there: a
 * header declaring 10 samples never makes the reader pull a multi-gigabyte file into memory.
 */
import { formatSpec, NULL_FORMAT } from './formats.js';
import type { WfdbHeader } from './header.js';

/**
 * Bytes `fileName` must hold for the header's signals to be read (byte offset + frames x samples per frame, without
 * skew: what the reader refuses a file for), or null when the header does not say.
 */
export function requiredFileBytes(header: WfdbHeader, fileName: string): number | null {
  return fileBytes(header, fileName, false);
}

/**
 * Bytes of `fileName` that the header's signals cover (byte offset + frames x samples per frame, skewed samples
 * included), or null when the header does not say (no length given, or a multi-segment header).
 */
export function declaredFileBytes(header: WfdbHeader, fileName: string): number | null {
  return fileBytes(header, fileName, true);
}

function fileBytes(header: WfdbHeader, fileName: string, withSkew: boolean): number | null {
  if (header.nSegments !== null || header.nSamples === null) return null;
  const specs = header.signals.filter((s) => s.fileName === fileName && s.format !== NULL_FORMAT);
  const first = specs[0];
  if (first === undefined) return null;
  const frameSize = specs.reduce((n, s) => n + s.samplesPerFrame, 0);
  const skew = withSkew ? specs.reduce((m, s) => Math.max(m, s.skew), 0) : 0;
  return first.byteOffset + formatSpec(first.format).bytesFor((header.nSamples + skew) * frameSize);
}
