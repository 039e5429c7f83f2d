/**
 * Preprocessed dataset cache (Node): one binary file of float32 samples per dataset + preprocessing config,
 * and a JSON index (record ids, offsets, lengths, labels, patient features, the config and a fingerprint of the
 * sources), so that an epoch reads from memory instead of thousands of files. Rebuilt when the sources
 * (sizes, mtimes, labels, reader options such as a record's fs) or the config change; both files are written to
 * temporary names and renamed. The whole cache is held in memory: it must fit (data-file.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FormatError, SignalError } from '../../errors.js';
import type { EcgRecord } from '../../io/record.js';
import { fileExists } from '../files.js';
import type { Dataset, DatasetEntry, LoadedExample } from '../types.js';
import { entryById } from '../types.js';
import {
  checkCacheSize,
  defaultCacheLimit,
  readCacheData,
  removeStaleCacheTemporaries,
  temporaryPath,
} from './data-file.js';
import type { Preprocessor } from './preprocess.js';

export * from './preprocess.js';
export { CacheReadError } from './data-file.js';

const CACHE_VERSION = 1;
const MAGIC = 'EECGCACH';
/** magic (8) + version u32 + reserved u32 + build id (16): keeps the samples 4-byte aligned. */
const HEADER_BYTES = 32;

export interface CacheEntry extends DatasetEntry {
  /** Byte offset of the first sample in the data file. */
  offset: number;
  length: number;
  fs: number;
  leads: string[];
  units: string[];
}

export interface CacheIndex {
  version: number;
  dataset: string;
  classes: readonly string[];
  labelKind: Dataset['labelKind'];
  split: Dataset['split'];
  preprocess: unknown;
  configHash: string;
  fingerprint: string;
  buildId: string;
  dataBytes: number;
  skipped: Dataset['skipped'];
  entries: CacheEntry[];
}

export interface CacheOptions {
  /** Folder holding the cache files. */
  dir: string;
  preprocess: Preprocessor;
  /** Records read at once while building. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Most bytes the cache may hold (default: the machine's memory, at most 16 GiB); a larger one is a ConfigError. */
  maxBytes?: number;
}

export interface CachedDataset extends Dataset {
  cache: { dataPath: string; indexPath: string; rebuilt: boolean; bytes: number };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Stable JSON (sorted keys) so that equal configs hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Hash of what the cache content depends on in the sources: entries (ids, labels, splits), file sizes + mtimes and
 * the reader options of each record (a rate from labels.csv changes the samples, not the files).
 */
export async function sourceFingerprint(dataset: Dataset): Promise<string> {
  const hash = createHash('sha256');
  hash.update(
    canonical({
      name: dataset.name,
      classes: dataset.classes,
      split: dataset.split,
      entries: dataset.entries,
    }),
  );
  for (const entry of dataset.entries) {
    // Hashed only when there are some: the caches of adapters that pass none keep their fingerprint.
    const read = dataset.readOptions?.(entry.id) ?? {};
    if (Object.keys(read).length > 0) hash.update(`\n${entry.id}\t${canonical(read)}`);
    for (const path of dataset.sourceFiles(entry.id)) {
      const info = await stat(path).catch(() => null);
      hash.update(`\n${path}\t${info?.size ?? -1}\t${info?.mtimeMs ?? -1}`);
    }
  }
  return hash.digest('hex');
}

export function cachePaths(dataset: Dataset, options: Pick<CacheOptions, 'dir' | 'preprocess'>) {
  const configHash = sha256(canonical(options.preprocess.config));
  // The folder is part of the name: two folders of one adapter (two `custom` datasets, two pre-training folders)
  // would otherwise overwrite each other's cache on every run.
  const folder = sha256(resolve(dataset.root)).slice(0, 8);
  const stem = join(options.dir, `${dataset.name}-${folder}-${configHash.slice(0, 12)}`);
  return { configHash, dataPath: `${stem}.bin`, indexPath: `${stem}.json` };
}

/** Opens the cache of `dataset` + preprocessing, building it first when it is absent or stale. */
export async function openCachedDataset(dataset: Dataset, options: CacheOptions): Promise<CachedDataset> {
  const { configHash, dataPath, indexPath } = cachePaths(dataset, options);
  const fingerprint = await sourceFingerprint(dataset);
  const target = { configHash, fingerprint, dataPath, indexPath };
  let rebuilt = false;
  for (let attempt = 0; ; attempt++) {
    let index = attempt === RACE_RETRIES ? null : await readIndexIfFresh(indexPath, configHash, fingerprint);
    if (index === null) {
      index = await buildCache(dataset, options, target);
      rebuilt = true;
    }
    checkCacheSize(dataset.name, index.dataBytes, options.maxBytes ?? defaultCacheLimit(), 'holds');
    try {
      const data = await readData(dataPath, index);
      return cachedDataset(dataset.root, index, data, {
        dataPath,
        indexPath,
        rebuilt,
        bytes: data.byteLength,
      });
    } catch (error) {
      // Processes building the same cache at once (data-parallel ranks, parallel CV folds) each rename their data
      // file, then their index: a pair on disk can be torn for a moment, or for good when the renames interleave.
      // A process that built here reads the pair again, and builds once more as a last resort. A torn pair that no
      // build here explains (e.g. a truncated file) stays an error; so does a file that cannot be read at all.
      if (!(error instanceof FormatError) || !rebuilt || attempt === RACE_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
    }
  }
}

/** Re-reads of a torn index/data pair after a build here, before building once more. */
const RACE_RETRIES = 3;

async function readIndexIfFresh(
  indexPath: string,
  configHash: string,
  fingerprint: string,
): Promise<CacheIndex | null> {
  if (!(await fileExists(indexPath))) return null;
  let index: CacheIndex;
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8')) as CacheIndex;
  } catch {
    return null; // An unreadable index is rebuilt, not trusted.
  }
  const fresh =
    index.version === CACHE_VERSION && index.configHash === configHash && index.fingerprint === fingerprint;
  return fresh ? index : null;
}

async function buildCache(
  dataset: Dataset,
  options: CacheOptions,
  target: { configHash: string; fingerprint: string; dataPath: string; indexPath: string },
): Promise<CacheIndex> {
  await mkdir(options.dir, { recursive: true });
  await removeStaleCacheTemporaries(options.dir);
  const limit = options.maxBytes ?? defaultCacheLimit();
  const buildId = randomBytes(16);
  const temporary = temporaryPath(target.dataPath);
  const file = await open(temporary, 'w');
  const entries: CacheEntry[] = [];
  try {
    await file.write(headerBytes(buildId));
    let offset = HEADER_BYTES;
    await forEachLoaded(dataset, options, async ({ entry, record }) => {
      const processed = await preprocessRecord(dataset, entry.id, record, options.preprocess);
      const bytes = recordBytes(processed);
      // Stops at the limit, not after hours of building a cache that cannot be loaded.
      checkCacheSize(dataset.name, offset + bytes.length, limit, 'needs more than');
      await file.write(bytes, 0, bytes.length, offset);
      const length = processed.signals[0]?.length ?? 0;
      entries.push({
        ...entry,
        offset,
        length,
        fs: processed.fs,
        leads: processed.leads,
        units: processed.units,
      });
      offset += bytes.length;
    });
    await file.close();
    const order = new Map(dataset.entries.map((entry, i) => [entry.id, i]));
    entries.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    const index: CacheIndex = {
      version: CACHE_VERSION,
      dataset: dataset.name,
      classes: dataset.classes,
      labelKind: dataset.labelKind,
      split: dataset.split,
      preprocess: options.preprocess.config,
      configHash: target.configHash,
      fingerprint: target.fingerprint,
      buildId: buildId.toString('hex'),
      dataBytes: offset,
      skipped: dataset.skipped,
      entries,
    };
    await rename(temporary, target.dataPath);
    const indexTemporary = temporaryPath(target.indexPath);
    await writeFile(indexTemporary, JSON.stringify(index));
    await rename(indexTemporary, target.indexPath);
    return index;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The preprocessor's output; a record it cannot process (e.g. shorter than the filter) is an error naming its file. */
export async function preprocessRecord(
  dataset: Pick<Dataset, 'name' | 'sourceFiles'>,
  id: string,
  record: EcgRecord,
  preprocess: Preprocessor,
): Promise<EcgRecord> {
  try {
    return await preprocess.apply(record);
  } catch (error) {
    if (!(error instanceof SignalError)) throw error;
    const file = dataset.sourceFiles(id)[0] ?? `${dataset.name} record ${id}`;
    throw new SignalError(`${file}: ${error.message}`, { cause: error });
  }
}

/** Loads records with a few reads in flight (file reads overlap with preprocessing), calling `use` in completion order. */
async function forEachLoaded(
  dataset: Dataset,
  options: CacheOptions,
  use: (example: LoadedExample) => Promise<void>,
): Promise<void> {
  const total = dataset.entries.length;
  let next = 0;
  let done = 0;
  let writing = Promise.resolve();
  const worker = async () => {
    while (next < total) {
      const example = await dataset.load((dataset.entries[next++] as DatasetEntry).id);
      writing = writing.then(() => use(example));
      await writing;
      options.onProgress?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, total)) }, worker));
}

function headerBytes(buildId: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(header.buffer).setUint32(8, CACHE_VERSION, true);
  header.set(buildId, 16);
  return header;
}

/** Lead-major float32, little-endian (typed arrays are little-endian on every platform Node runs on). */
function recordBytes(record: EcgRecord): Uint8Array {
  const length = record.signals[0]?.length ?? 0;
  const samples = new Float32Array(record.signals.length * length);
  record.signals.forEach((signal, lead) => samples.set(signal, lead * length));
  return new Uint8Array(samples.buffer);
}

async function readData(dataPath: string, index: CacheIndex): Promise<Uint8Array> {
  const data = await readCacheData(dataPath, index.dataBytes);
  const magic = new TextDecoder().decode(data.subarray(0, 8));
  const buildId = Buffer.from(data.subarray(16, HEADER_BYTES)).toString('hex');
  if (magic !== MAGIC || data.length !== index.dataBytes || buildId !== index.buildId) {
    throw new FormatError(
      dataPath,
      `not the data file of its index (magic ${JSON.stringify(magic)}, ${data.length} of ${index.dataBytes} bytes, build ${buildId.slice(0, 8)} vs ${index.buildId.slice(0, 8)})`,
    );
  }
  return data;
}

function cachedDataset(
  root: string,
  index: CacheIndex,
  data: Uint8Array,
  cache: CachedDataset['cache'],
): CachedDataset {
  const byId = entryById(index.entries) as Map<string, CacheEntry>;
  // The data starts a buffer of its own (readCacheData): 4-byte aligned.
  const samples = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  return {
    name: index.dataset,
    root,
    classes: index.classes,
    labelKind: index.labelKind,
    entries: index.entries.map(({ id, patientId, fold, split, labels, patient }) => ({
      id,
      patientId,
      fold,
      split,
      labels,
      patient,
    })),
    skipped: index.skipped,
    split: index.split,
    cache,
    sourceFiles: () => [cache.dataPath],
    load: async (id) => {
      const entry = byId.get(id);
      if (entry === undefined) throw new FormatError(cache.indexPath, `no entry ${JSON.stringify(id)}`);
      const start = entry.offset / 4;
      // Views into the cache (no copy): treat them as read-only.
      const signals = entry.leads.map((_, lead) =>
        samples.subarray(start + lead * entry.length, start + (lead + 1) * entry.length),
      );
      const { offset: _offset, length: _length, fs, leads, units, ...datasetEntry } = entry;
      const record: EcgRecord = {
        name: id,
        fs,
        leads,
        units,
        signals,
        age: entry.patient.age,
        sex: entry.patient.sex,
        metadata: { cache: cache.dataPath },
      };
      return { entry: datasetEntry, record };
    },
  };
}
