/**
 * The cache's data file on disk (Node): read in chunks into shared memory (readFile refuses files of 2 GiB or more,
 * and CODE-15% at 100 Hz is 12-17 GB), the memory limit a cache must fit, and temporary names for the build.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { ConfigError, EcgError, FormatError } from '../../errors.js';

/** The cache data file exists but cannot be read (permissions, I/O error, not a file): not a race between builds. */
export class CacheReadError extends EcgError {
  override name = 'CacheReadError';
  constructor(
    readonly path: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${problem}`, options);
  }
}

/** Bytes per read call: one read moves at most 2 GiB - 1, and smaller calls let other I/O in between. */
export const READ_CHUNK_BYTES = 64 * 2 ** 20;

/** V8 caps a typed array at 2^32 elements: a Float32Array view of the whole cache holds at most 16 GiB. */
export const MAX_TYPED_ARRAY_BYTES = 2 ** 32 * 4;

/**
 * The most bytes a cache may hold by default: all of it sits in memory, in one Float32Array. A container's memory
 * limit counts (totalmem reports the host's); Node reports no limit as 0 or as 2^64.
 */
export function defaultCacheLimit(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return Math.min(totalmem(), constrained > 0 ? constrained : Infinity, MAX_TYPED_ARRAY_BYTES);
}

const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/** A ConfigError naming the dataset and the size when `bytes` is over `limit`. */
export function checkCacheSize(dataset: string, bytes: number, limit: number, what: string): void {
  if (bytes <= limit) return;
  throw new ConfigError(
    `dataset ${dataset}: the preprocessed cache ${what} ${gigabytes(bytes)}, over its limit of ${gigabytes(limit)} ` +
      `(training holds it all in memory: the machine's or container's memory, at most 16 GiB in one array); ` +
      `lower preprocess.fs or train on a part of the dataset`,
  );
}

/**
 * The whole data file in a SharedArrayBuffer (loader workers share it without copies), read in chunks. A missing or
 * wrongly sized file is a FormatError (a pair torn by a concurrent build, or a truncated file); any other failure a
 * CacheReadError naming the file and the cause.
 */
export async function readCacheData(
  path: string,
  expectedBytes: number,
  chunkBytes = READ_CHUNK_BYTES,
): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FormatError(path, 'cache data file missing; delete the index to rebuild');
    throw readError(path, error);
  }
  try {
    const info = await handle.stat().catch((error: unknown) => {
      throw readError(path, error);
    });
    if (!info.isFile()) throw new CacheReadError(path, 'cannot read the cache data file: not a regular file');
    if (info.size !== expectedBytes)
      throw new FormatError(path, `not the data file of its index (${info.size} of ${expectedBytes} bytes)`);
    const data = allocate(path, info.size);
    await readInto(handle, data, path, chunkBytes);
    return data;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function allocate(path: string, bytes: number): Uint8Array {
  try {
    return new Uint8Array(new SharedArrayBuffer(bytes));
  } catch (error) {
    throw new ConfigError(
      `${path}: cannot allocate ${gigabytes(bytes)} for the cache (${(error as Error).message}): free memory or lower preprocess.fs`,
    );
  }
}

async function readInto(
  handle: FileHandle,
  data: Uint8Array,
  path: string,
  chunkBytes: number,
): Promise<void> {
  for (let position = 0; position < data.length;) {
    const length = Math.min(chunkBytes, data.length - position);
    const { bytesRead } = await handle.read(data, position, length, position).catch((error: unknown) => {
      throw readError(path, error);
    });
    if (bytesRead === 0) throw new FormatError(path, `ends at byte ${position} of ${data.length}`);
    position += bytesRead;
  }
}

function readError(path: string, error: unknown): CacheReadError {
  const { code, message } = error as NodeJS.ErrnoException;
  return new CacheReadError(path, `cannot read the cache data file (${code ?? 'error'}: ${message})`, {
    cause: error,
  });
}

/** Unique across processes and containers sharing the folder (a pid alone repeats across containers). */
export function temporaryPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
}

/** Temporary cache files (current and older names) that a build killed mid-way left behind. */
const CACHE_TEMPORARY = /\.(bin|json)\.\d+(\.[0-9a-f]+)?\.tmp$/;
/** Older than any build still running: a younger temporary may belong to a concurrent build. */
export const STALE_TEMPORARY_MS = 24 * 3600 * 1000;

/** Removes stale cache temporaries from `dir` (a killed build can leave one as large as the dataset). */
export async function removeStaleCacheTemporaries(dir: string, now = Date.now()): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => CACHE_TEMPORARY.test(name));
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info === null || !info.isFile() || now - info.mtimeMs < STALE_TEMPORARY_MS) continue;
    await rm(path, { force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
