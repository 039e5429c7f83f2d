/** Atomic file writes (Node): write a sibling temporary file, fsync it, then rename over the target. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Either the old file or the complete new one is ever visible at `path`; never a half-written one. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  try {
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
