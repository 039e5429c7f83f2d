/**
 * Training data in memory: every record's preprocessed samples in one SharedArrayBuffer (lead-major per record, NaN
 * replaced by 0), so that loader workers read them without copies, plus the entries in the same order. Records come
 * from the on-disk cache (src/datasets/cache) when a cache folder is given: its buffer is used as it is when the
 * leads need no reordering, else the records are copied into a new one.
 */
import {
  openCachedDataset,
  preprocessRecord,
  preprocessorFromConfig,
  type PreprocessConfig,
  type Preprocessor,
} from '../datasets/cache/index.js';
import type { Dataset, DatasetEntry, LabelKind } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import { selectLeads } from '../infer/prepare.js';
import type { EcgRecord } from '../io/record.js';
import type { TrainConfig } from './config.js';
import { recordRhythm, type RecordRhythm } from '../signal/rhythm-record.js';
import { customFolderDigest } from '../datasets/folder-digest.js';

export type { RecordRhythm };

/** Where one record sits in the shared samples: `leads` runs of `length` floats from `offset`. */
export interface RecordSlot {
  offset: number;
  length: number;
}

/** What a loader worker needs to cut windows (structured-cloneable; `samples` shares its memory). */
export interface SampleStore {
  samples: Float32Array;
  leads: number;
  slots: RecordSlot[];
}

export interface TrainingData {
  name: string;
  classes: readonly string[];
  labelKind: LabelKind;
  split: Dataset['split'];
  fs: number;
  leadNames: string[];
  /** entries[i] is stored in store.slots[i]. */
  entries: DatasetEntry[];
  store: SampleStore;
  /** Rhythm features of each preprocessed record (entries order), when loaded with `rhythm: true`. */
  rhythm: Array<RecordRhythm | null> | null;
  /**
   * `beats` token values of each record (entries order). Set by the trainer once the beat PCA is fitted on the
   * training split (src/train/beat-token.ts); null until then or without a beats token.
   */
  beats: Array<number[] | null> | null;
  /** A custom dataset's folder digest (src/datasets/folder-digest.ts: which folder "custom" is); absent otherwise. */
  folder?: string;
}

/** The preprocessing a run's config asks for, as the cache and the checkpoint metadata name it. */
export function preprocessOf(config: Pick<TrainConfig, 'preprocess'>): PreprocessConfig {
  return {
    resampleTo: config.preprocess.fs,
    bandpass: config.preprocess.bandpass,
    standardize: config.preprocess.standardize,
  };
}

export interface LoadOptions {
  preprocess: PreprocessConfig;
  /** On-disk cache folder; null preprocesses every record in memory. */
  cacheDir: string | null;
  onProgress?: (done: number, total: number) => void;
  /** Also compute each record's rhythm features (for rhythm tokens). */
  rhythm?: boolean;
  /**
   * Keep each record's stored lead order instead of the first record's by name (default false): for readers of any
   * one lead (pre-training), where MIT-BIH's records store [MLII, V1] or [V5, MLII] alike.
   */
  storedLeadOrder?: boolean;
}

export async function loadTrainingData(dataset: Dataset, options: LoadOptions): Promise<TrainingData> {
  const preprocessor = preprocessorFromConfig(options.preprocess);
  const source =
    options.cacheDir === null
      ? inMemory(dataset, preprocessor)
      : await openCachedDataset(dataset, {
          dir: options.cacheDir,
          preprocess: preprocessor,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
  const records: EcgRecord[] = [];
  for (const entry of source.entries) records.push((await source.load(entry.id)).record);
  const first = records[0];
  if (first === undefined) throw new ConfigError(`dataset ${dataset.name} (${dataset.root}) has no entries`);
  records.forEach((record, i) => {
    checkConsistent(record, first, source.entries[i]!.id);
    if (!options.storedLeadOrder) records[i] = inLeadOrderOf(record, first, source.entries[i]!.id);
  });
  // Before the store, which may set the cache's NaN samples to 0 in place: rhythm features see the gaps (as
  // inference computes them, from prepareRecord's `withGaps`).
  const rhythm = options.rhythm ? records.map(recordRhythm) : null;
  return {
    name: dataset.name,
    classes: source.classes,
    labelKind: source.labelKind,
    split: source.split,
    fs: first.fs,
    leadNames: [...first.leads],
    entries: source.entries,
    store: storeInPlace(records) ?? copiedStore(records),
    rhythm,
    beats: null,
    ...(dataset.name === 'custom' ? { folder: customFolderDigest(dataset) } : {}),
  };
}

/** The dataset preprocessed on load (no disk cache): for tests and in-memory datasets. */
function inMemory(
  dataset: Dataset,
  preprocessor: Preprocessor,
): Pick<Dataset, 'entries' | 'classes' | 'labelKind' | 'split' | 'load'> {
  return {
    entries: dataset.entries,
    classes: dataset.classes,
    labelKind: dataset.labelKind,
    split: dataset.split,
    load: async (id) => {
      const example = await dataset.load(id);
      return { ...example, record: await preprocessRecord(dataset, id, example.record, preprocessor) };
    },
  };
}

function checkConsistent(record: EcgRecord, first: EcgRecord, id: string): void {
  if (record.signals.length !== first.signals.length) {
    throw new ConfigError(
      `record ${id} has ${record.signals.length} leads but record ${first.name} has ${first.signals.length}: a model needs one lead count`,
    );
  }
  if (record.fs !== first.fs) {
    throw new ConfigError(
      `record ${id} is at ${record.fs} Hz but record ${first.name} at ${first.fs} Hz: set preprocess.fs to resample`,
    );
  }
}

/**
 * `record` with its leads in `first`'s order, matched by name as inference matches them (src/infer/prepare.ts): a
 * record that stores [II, I] where the first stores [I, II] would otherwise train slot 0 on two different leads.
 * Records whose names match none of the first's keep their order (generic names); a partial match is an error.
 */
function inLeadOrderOf(record: EcgRecord, first: EcgRecord, id: string): EcgRecord {
  let indices: number[];
  try {
    indices = selectLeads(record.leads, first.leads).indices;
  } catch (error) {
    throw new ConfigError(
      `record ${id}: its leads do not match record ${first.name}'s (${(error as Error).message})`,
    );
  }
  if (indices.every((index, i) => index === i)) return record;
  return {
    ...record,
    leads: indices.map((i) => record.leads[i]!),
    units: indices.map((i) => record.units[i]!),
    signals: indices.map((i) => record.signals[i]!),
  };
}

/**
 * A store over the records' own SharedArrayBuffer when they all sit in one, each lead-major (the cache's buffer, the
 * records in stored lead order): no second copy of the dataset. Null otherwise.
 */
function storeInPlace(records: readonly EcgRecord[]): SampleStore | null {
  const buffer = records[0]!.signals[0]?.buffer;
  if (!(buffer instanceof SharedArrayBuffer)) return null;
  const slots: RecordSlot[] = [];
  for (const record of records) {
    const slot = slotIn(record, buffer);
    if (slot === null) return null;
    slots.push(slot);
  }
  const samples = new Float32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
  const leads = records[0]!.signals.length;
  for (const { offset, length } of slots) zeroInvalid(samples.subarray(offset, offset + leads * length));
  return { samples, leads, slots };
}

/** Where `record` sits in `buffer` when its leads are consecutive runs there, in order; null otherwise. */
function slotIn(record: EcgRecord, buffer: SharedArrayBuffer): RecordSlot | null {
  const length = record.signals[0]?.length ?? 0;
  const offset = (record.signals[0]?.byteOffset ?? 0) / 4;
  const consecutive = record.signals.every(
    (signal, lead) =>
      signal.buffer === buffer &&
      signal.length === length &&
      signal.byteOffset === (offset + lead * length) * 4,
  );
  return consecutive ? { offset, length } : null;
}

/** Invalid samples (NaN gaps kept by the preprocessing) become 0, the standardised baseline. */
function zeroInvalid(samples: Float32Array): void {
  for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i]!)) samples[i] = 0;
}

function copiedStore(records: readonly EcgRecord[]): SampleStore {
  const leads = records[0]!.signals.length;
  const slots: RecordSlot[] = [];
  let total = 0;
  for (const record of records) {
    const length = record.signals[0]?.length ?? 0;
    slots.push({ offset: total, length });
    total += leads * length;
  }
  const samples = new Float32Array(new SharedArrayBuffer(total * 4));
  records.forEach((record, r) => {
    const { offset, length } = slots[r]!;
    record.signals.forEach((signal, lead) => {
      const start = offset + lead * length;
      for (let i = 0; i < length; i++) {
        const value = signal[i]!;
        // Invalid samples (NaN gaps kept by the preprocessing) become 0, the standardised baseline.
        samples[start + i] = Number.isFinite(value) ? value : 0;
      }
    });
  });
  return { samples, leads, slots };
}

/** Indices of the entries of one split, in dataset order. */
export function splitIndices(data: TrainingData, split: DatasetEntry['split']): number[] {
  const out: number[] = [];
  data.entries.forEach((entry, i) => {
    if (entry.split === split) out.push(i);
  });
  return out;
}
