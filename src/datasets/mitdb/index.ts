/**
 * MIT-BIH Arrhythmia adapter (Node): records as entries (DS1 train/val, DS2 test, paced records skipped), beats
 * from the `.atr` reference annotations in AAMI classes, and a beat-window view for beat classifiers.
 */
import { join } from 'node:path';
import { MissingFileError } from '../../errors.js';
import { readAnnotations, readRecord, readWfdbHeader } from '../../io/index.js';
import { listFolder } from '../files.js';
import { withRecord } from '../load.js';
import { stratifiedGroupFolds, type FoldOptions } from '../split.js';
import type { Dataset, DatasetEntry, SkippedRecord } from '../types.js';
import { entryById } from '../types.js';
import {
  AAMI_CLASSES,
  beatsFromAnnotations,
  beatWindows,
  DEFAULT_BEAT_OPTIONS,
  MITDB_DS1,
  MITDB_DS2,
  MITDB_PACED,
  mitdbPatient,
  type Beat,
  type BeatOptions,
  type BeatWindow,
} from './aami.js';

export * from './aami.js';

export interface MitdbOptions {
  /** Patient-wise seeded split of DS1 into train/val (DS2 is the test set). */
  split?: Partial<FoldOptions & { valFold: number }>;
  beats?: BeatOptions;
}

export interface MitdbDataset extends Dataset {
  /** AAMI-classified beats of every entry, read from the `.atr` files when the dataset was opened. */
  beats: Map<string, Beat[]>;
  /** Windows of `before` + `after` samples around each beat's R peak (all leads), with the beats' RR features. */
  beatWindows(id: string, before: number, after: number): Promise<BeatWindow[]>;
}

const DEFAULT_MITDB_SPLIT = { folds: 5, seed: 2004, valFold: 5 };

export async function openMitdb(root: string, options: MitdbOptions = {}): Promise<MitdbDataset> {
  const files = await listFolder(root);
  const entries: DatasetEntry[] = [];
  const skipped: SkippedRecord[] = MITDB_PACED.map((id) => ({
    id,
    reason: 'paced record (excluded by de Chazal 2004)',
  }));
  const beats = new Map<string, Beat[]>();
  for (const [ids, split] of [
    [MITDB_DS1, 'train'],
    [MITDB_DS2, 'test'],
  ] as const) {
    for (const id of ids) {
      if (!['hea', 'atr'].every((ext) => files.has(`${id}.${ext}`))) {
        // The .dat is only needed by load(), which names it when it is missing.
        skipped.push({ id, reason: 'record files missing (.hea/.atr)' });
        continue;
      }
      const header = await readWfdbHeader(join(root, `${id}.hea`));
      const recordBeats = beatsFromAnnotations(
        await readAnnotations(join(root, `${id}.atr`)),
        header.fs,
        options.beats ?? DEFAULT_BEAT_OPTIONS,
      );
      beats.set(id, recordBeats);
      const present = AAMI_CLASSES.flatMap((name, index) =>
        recordBeats.some((beat) => beat.aami === name) ? [index] : [],
      );
      entries.push({
        id,
        patientId: id,
        fold: null,
        split,
        labels: present,
        patient: { ...mitdbPatient(header.comments[0]), ageCapped: false },
      });
    }
  }
  const splitOptions = { ...DEFAULT_MITDB_SPLIT, ...options.split };
  // Stratify on beats (each beat an item of its record's group): val gets a share of every beat class.
  const pool = entries.filter((entry) => entry.split !== 'test');
  const folds = stratifiedGroupFolds(
    pool.flatMap((entry) =>
      (beats.get(entry.id) ?? []).map((beat) => ({
        group: entry.id,
        labels: [AAMI_CLASSES.indexOf(beat.aami)],
      })),
    ),
    splitOptions,
  );
  for (const entry of pool) {
    entry.fold = folds.get(entry.id) ?? null;
    entry.split = entry.fold === splitOptions.valFold ? 'val' : 'train';
  }
  const byId = entryById(entries);
  const entryOf = (id: string) => {
    const entry = byId.get(id);
    if (entry === undefined) throw new MissingFileError(join(root, id), 'no such entry in this dataset');
    return entry;
  };
  const load = async (id: string) => withRecord(entryOf(id), await readRecord(join(root, `${id}.hea`)));
  return {
    name: 'mitdb',
    root,
    classes: [...AAMI_CLASSES],
    labelKind: 'multi-label',
    entries,
    skipped,
    split: {
      method: 'de Chazal 2004: DS1 train (patient-wise seeded val split stratified on AAMI beats), DS2 test',
      parameters: { ...splitOptions, groupBy: 'patient', stratifiedOn: 'beats' },
    },
    beats,
    sourceFiles: (id) => ['hea', 'dat', 'atr'].map((ext) => join(root, `${entryOf(id).id}.${ext}`)),
    load,
    beatWindows: async (id, before, after) =>
      beatWindows((await load(id)).record.signals, beats.get(id) ?? [], before, after),
  };
}
