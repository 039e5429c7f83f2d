/**
 * One resumable, verified file download with Node's fetch: bytes go to "<file>.part" (resumed with an HTTP
 * Range request when it exists), the SHA-256 is checked when known, and only then is the file renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChecksumError, NetworkError } from '../../errors.js';

export interface FileProgress {
  url: string;
  /** Bytes received in this call (resumed bytes not included). */
  receivedBytes: number;
  /** Bytes of the whole file when the server said, else null. */
  totalBytes: number | null;
}

export interface FetchFileOptions {
  /** Expected lowercase hex SHA-256, or null when the source publishes none. */
  sha256: string | null;
  onProgress?: (delta: number, progress: FileProgress) => void;
  signal?: AbortSignal;
}

export type FetchOutcome = 'downloaded' | 'resumed' | 'already-present';

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function hashFile(path: string, hash = createHash('sha256')): Promise<Hash> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Total size from Content-Range ("bytes 100-199/200") or Content-Length. */
function totalSize(response: Response, offset: number): number | null {
  const range = response.headers.get('content-range');
  const fromRange = range === null ? NaN : Number(range.split('/')[1]);
  if (Number.isFinite(fromRange)) return fromRange;
  const length = Number(response.headers.get('content-length') ?? NaN);
  return Number.isFinite(length) ? length + offset : null;
}

async function request(url: string, offset: number, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  try {
    return await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (error) {
    throw new NetworkError(
      url,
      `request failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
    );
  }
}

/**
 * Downloads `url` to `path`. An existing complete file is kept when its checksum matches (or, without a
 * checksum, when it exists). A checksum mismatch deletes the partial file and throws ChecksumError.
 */
export async function fetchFile(url: string, path: string, options: FetchFileOptions): Promise<FetchOutcome> {
  const { sha256 } = options;
  if ((await sizeOf(path)) !== null) {
    if (sha256 === null || (await hashFile(path)).digest('hex') === sha256) return 'already-present';
    await rm(path, { force: true });
  }
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.part`;
  let offset = (await sizeOf(partial)) ?? 0;
  let response = await request(url, offset, options.signal);
  if (offset > 0 && response.status !== 206) {
    // The server ignored or refused the range (200 / 416): start over.
    await response.body?.cancel();
    offset = 0;
    await rm(partial, { force: true });
    response = await request(url, 0, options.signal);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new NetworkError(url, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  const hash = offset > 0 ? await hashFile(partial) : createHash('sha256');
  await appendBody(response, partial, offset, hash, url, options);
  const digest = hash.digest('hex');
  if (sha256 !== null && digest !== sha256) {
    await rm(partial, { force: true });
    throw new ChecksumError(
      url,
      `SHA-256 mismatch: expected ${sha256}, got ${digest}; the file was not kept`,
    );
  }
  await rename(partial, path);
  return offset > 0 ? 'resumed' : 'downloaded';
}

async function appendBody(
  response: Response,
  partial: string,
  offset: number,
  hash: Hash,
  url: string,
  options: FetchFileOptions,
): Promise<void> {
  const total = totalSize(response, offset);
  const file = await open(partial, offset > 0 ? 'a' : 'w');
  const progress: FileProgress = { url, receivedBytes: 0, totalBytes: total };
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      hash.update(chunk);
      progress.receivedBytes += chunk.length;
      options.onProgress?.(chunk.length, progress);
    }
  } catch (error) {
    // Keep the partial file: the next run resumes from it.
    throw new NetworkError(
      url,
      `transfer interrupted after ${offset + progress.receivedBytes} bytes (${(error as Error).message}); run again to resume`,
    );
  } finally {
    await file.close();
  }
  if (total !== null && offset + progress.receivedBytes !== total) {
    throw new NetworkError(
      url,
      `transfer ended after ${offset + progress.receivedBytes} of ${total} bytes; run again to resume`,
    );
  }
}
