/**
 * Opening a file to read it whole or in part, as record files and checkpoints are read: without blocking (a FIFO must
 * not hang the open), and refused before a byte is read unless it is a regular file within a size limit. Callers
 * pass Node's fs (the io layer loads it lazily, so pages never import it) and their own error types.
 */
import type { Stats } from 'node:fs';

type NodeFs = Pick<
  typeof import('node:fs'),
  'openSync' | 'fstatSync' | 'closeSync' | 'readSync' | 'constants'
>;

export interface RegularFileErrors {
  /** The open or stat failed (ENOENT, EACCES, ...). */
  failure: (error: unknown) => Error;
  /** Not a regular file: `kind` says what it is ('a directory', 'a FIFO', ...). */
  notRegular: (kind: string) => Error;
  tooLarge: (size: number) => Error;
}

/** What a non-regular file is, for messages. */
export function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The open descriptor and size of the regular file `path` (closed again if refused). */
export function openRegularFile(
  fs: NodeFs,
  path: string,
  maxBytes: number,
  errors: RegularFileErrors,
): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw errors.failure(error);
  }
  let refusal: Error | null = null;
  let size = 0;
  try {
    const stat = fs.fstatSync(fd);
    size = stat.size;
    if (!stat.isFile()) refusal = errors.notRegular(fileKind(stat));
    else if (stat.size > maxBytes) refusal = errors.tooLarge(stat.size);
  } catch (error) {
    refusal = errors.failure(error);
  }
  if (refusal === null) return { fd, size };
  fs.closeSync(fd);
  throw refusal;
}

/** Bytes [start, end) of an open file (fewer if it ends first: a file that shrank while read). */
export function readSpan(fs: NodeFs, fd: number, start: number, end: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, end - start));
  let filled = 0;
  while (filled < out.length) {
    const n = fs.readSync(fd, out, filled, out.length - filled, start + filled);
    if (n === 0) break;
    filled += n;
  }
  return out.subarray(0, filled);
}
