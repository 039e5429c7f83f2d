/**
 * `downloadDataset`: fetches a dataset from its official source (or a mirror with the same layout) into a
 * folder, verifying SHA-256 where the source publishes sums, resuming partial files, then unpacking archives.
 */
import { writeFile, rename, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, NetworkError } from '../../errors.js';
import { extractZip } from './extract.js';
import { fetchFile, type FetchOutcome } from './fetch-file.js';
import {
  isSafeRelativePath,
  parseSha256Sums,
  SOURCES,
  type DownloadableDataset,
  type SourceSpec,
} from './sources.js';
import { fileExists } from '../files.js';

export interface DownloadProgress {
  /** Files finished (downloaded, resumed or already present) and planned. */
  filesDone: number;
  filesTotal: number;
  /** Bytes received so far in this run. */
  bytes: number;
  currentFile: string;
}

export interface DownloadOptions {
  dest: string;
  /** Replaces the official base URL; must serve the same layout. */
  mirror?: string;
  /** Files fetched at once (PhysioNet projects have thousands of small files). */
  concurrency?: number;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

export interface DownloadSummary {
  dataset: DownloadableDataset;
  base: string;
  files: Record<FetchOutcome, number>;
  bytes: number;
  extracted: Record<string, number>;
  verified: boolean;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function fetchSums(
  spec: SourceSpec,
  base: string,
  signal?: AbortSignal,
): Promise<{ text: string; sums: Map<string, string> } | null> {
  if (spec.sums === null) return null;
  const url = new URL(spec.sums, base).href;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    throw new NetworkError(
      url,
      `request failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
    );
  }
  if (!response.ok) throw new NetworkError(url, `HTTP ${response.status} ${response.statusText}`.trim());
  const text = await response.text();
  return { text, sums: parseSha256Sums(text, url) };
}

/** The files to fetch with their expected checksums. */
function plan(
  spec: SourceSpec,
  sums: Map<string, string> | null,
  sumsUrl: string,
): Array<{ path: string; sha256: string | null }> {
  const paths = spec.files ?? [...(sums?.keys() ?? [])];
  return paths.map((path) => {
    if (!isSafeRelativePath(path)) throw new FormatError(sumsUrl, `unsafe path ${JSON.stringify(path)}`);
    const sha256 = sums?.get(path) ?? null;
    if (sums !== null && sha256 === null) throw new FormatError(sumsUrl, `does not list ${path}`);
    return { path, sha256 };
  });
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export async function downloadDataset(
  dataset: DownloadableDataset,
  options: DownloadOptions,
): Promise<DownloadSummary> {
  const spec = SOURCES[dataset];
  const base = withSlash(options.mirror ?? spec.base);
  const listing = await fetchSums(spec, base, options.signal);
  const files = plan(spec, listing?.sums ?? null, new URL(spec.sums ?? '', base).href);
  await mkdir(options.dest, { recursive: true });
  const summary: DownloadSummary = {
    dataset,
    base,
    files: { downloaded: 0, resumed: 0, 'already-present': 0 },
    bytes: 0,
    extracted: {},
    verified: listing !== null,
  };
  const progress: DownloadProgress = { filesDone: 0, filesTotal: files.length, bytes: 0, currentFile: '' };
  await runPool(files, options.concurrency ?? 8, async ({ path, sha256 }) => {
    progress.currentFile = path;
    const outcome = await fetchFile(new URL(path, base).href, join(options.dest, path), {
      sha256,
      signal: options.signal,
      onProgress: (delta) => {
        progress.bytes += delta;
        options.onProgress?.(progress);
      },
    });
    summary.files[outcome]++;
    progress.filesDone++;
    options.onProgress?.(progress);
  });
  summary.bytes = progress.bytes;
  if (listing !== null && spec.sums !== null)
    await writeAtomically(join(options.dest, spec.sums), listing.text);
  for (const archive of spec.extract)
    summary.extracted[archive] = await extractOnce(join(options.dest, archive), options.dest);
  return summary;
}

/** Unpacks an archive unless a marker says this exact archive was unpacked already. */
async function extractOnce(zipPath: string, dest: string): Promise<number> {
  const marker = `${zipPath}.extracted`;
  if (await fileExists(marker)) return Number((await readFile(marker, 'utf8')).trim()) || 0;
  const count = await extractZip(zipPath, dest);
  await writeAtomically(marker, `${count}\n`);
  return count;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}
