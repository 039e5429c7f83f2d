/**
 * Atomic file writes (Node): write a sibling temporary file, fsync it, rename it over the target, fsync the folder.
 * A process killed at any instant leaves either the old file or the complete new one at the target (and at worst
 * a stale `*.tmp` beside it, which removeStaleTemporaries clears on the next start).
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DiskFullError, WriteError } from '../errors.js';

/** The steps of one atomic write, in order (a fault hook can stop the process before any of them). */
export type AtomicStep = 'open' | 'write' | 'fsync' | 'rename' | 'fsync-dir';

export interface AtomicOptions {
  /** Called before each step (tests kill the process there to prove that any instant is safe). */
  beforeStep?: (step: AtomicStep, path: string) => void;
  /** What the disk-full message suggests freeing (default: generic advice). */
  whatToFree?: string;
}

const TEMPORARY = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/** Either the old file or the complete new one is ever visible at `path`; never a half-written one. */
export function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicOptions = {}): void {
  const step = options.beforeStep ?? (() => {});
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  try {
    step('open', path);
    const fd = openSync(temporary, 'w');
    try {
      step('write', path);
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      step('fsync', path);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    step('rename', path);
    renameSync(temporary, path);
    step('fsync-dir', path);
    syncFolder(dirname(path));
  } catch (error) {
    removeTemporary(temporary);
    throw writeFailure(error, path, options.whatToFree);
  }
}

/** Clean-up after a failed write must not replace its error (rmSync throws ENOTDIR even with force). */
function removeTemporary(temporary: string): void {
  try {
    rmSync(temporary, { force: true });
  } catch {
    // nothing was created there
  }
}

/** The rename is durable only once the folder's entry is on disk (a power cut, not a kill, needs this). */
function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch {
    return; // platforms that cannot open a folder (Windows) make renames durable on their own
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a folder; the data itself is already synced
  } finally {
    closeSync(fd);
  }
}

/** Why a write failed, for the errors a user can act on (the system's own message names the temporary file). */
const WRITE_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: 'no permission to write it',
  EPERM: 'no permission to write it',
  EROFS: 'its disk is read-only',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a parent of it is a file, not a folder',
  EISDIR: 'a folder is in its place',
};

/** A DiskFullError or WriteError naming `path` for the system errors above; any other error as it is. */
export function writeFailure(error: unknown, path: string, whatToFree?: string): unknown {
  const full = diskFull(error, path, whatToFree);
  if (full !== null) return full;
  const code = (error as { code?: string } | null)?.code;
  const problem = code === undefined ? undefined : WRITE_PROBLEMS[code];
  return problem === undefined
    ? error
    : new WriteError(path, `cannot write it: ${problem} (${code}); the previous file, if any, is intact`);
}

/** A DiskFullError for ENOSPC / EDQUOT (naming the file and what to free), null for any other error. */
export function diskFull(error: unknown, path: string, whatToFree?: string): DiskFullError | null {
  const code = (error as { code?: string } | null)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  const why = code === 'ENOSPC' ? 'the disk is full' : 'the disk quota is used up';
  return new DiskFullError(
    path,
    `${why} (${code}) while writing it; free space on the disk holding ${dirname(path)}` +
      `${whatToFree ? `: ${whatToFree}` : ''}, then run again (the previous file, if any, is intact)`,
  );
}

/** Removes the temporary files that killed atomic writes left in `folder` (only names writeFileAtomic makes). */
export function removeStaleTemporaries(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const stale = names.filter((name) => TEMPORARY.test(name));
  for (const name of stale) rmSync(join(folder, name), { force: true });
  return stale.map((name) => basename(name));
}
