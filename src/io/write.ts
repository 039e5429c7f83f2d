/**
 * Writing WFDB files from Node (wfdb-python's wrsamp / wrann): the pure encoders of wfdb/write.ts, then atomic
 * writes (src/util/atomic.ts), so a reader never sees half a record. In a browser, use the encoders and save the
 * bytes they return.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { EcgRecord } from './record.js';
import type { WfdbAnnotation } from './wfdb/annotations.js';
import {
  encodeAnnotations,
  encodeWfdbRecord,
  type EncodedWfdbRecord,
  type WfdbWriteOptions,
} from './wfdb/write.js';

/**
 * Writes `<dir>/<name>.hea` and `<dir>/<name>.dat` (format 16 unless options say 212), creating `dir` if needed;
 * returns what was written.
 */
export function writeRecord(
  record: EcgRecord,
  dir: string,
  options: WfdbWriteOptions = {},
): EncodedWfdbRecord & {
  paths: { header: string; data: string };
} {
  const encoded = encodeWfdbRecord(record, options);
  const paths = { header: join(dir, encoded.headerName), data: join(dir, encoded.dataName) };
  mkdirSync(dir, { recursive: true });
  // Data first: a header never names a data file that is not there yet.
  writeFileAtomic(paths.data, encoded.data);
  writeFileAtomic(paths.header, encoded.header);
  return { ...encoded, paths };
}

/** Writes an MIT-format annotation file (e.g. `100.atr`), creating its folder if needed. */
export function writeAnnotations(path: string, annotations: readonly WfdbAnnotation[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, encodeAnnotations(annotations));
}
