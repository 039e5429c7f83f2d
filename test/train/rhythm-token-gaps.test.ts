/**
 * The fusion `rhythm` token of a record with a NaN gap: training computes it from the preprocessed record (gap still
 * NaN, src/train/data.ts), the Predictor from prepareRecord's output. Inference once read the gap as 0 (a flat
 * stretch with a step at each end) and gave another token than training for the same record.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../src/datasets/types.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/index.js';
import type { EcgRecord } from '../../src/io/record.js';
import { loadTrainingData, preprocessOf } from '../../src/train/data.js';
import { train } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig } from './helpers.js';

const LUDB = fileURLToPath(new URL('../fixtures/wfdb/1.hea', import.meta.url));

/**
 * LUDB record 1 (test/fixtures/wfdb, 10 s at 500 Hz), lead II alone, NaN from 4 to 6 s. Measured before the fix:
 * training's token had RR mean 1846 ms, the Predictor's 1538 ms.
 */
async function gappedRecord(): Promise<EcgRecord> {
  const ludb = await readRecord(LUDB);
  const signal = ludb.signals[ludb.leads.findIndex((lead) => lead.toUpperCase() === 'II')]!.slice();
  signal.fill(NaN, 4 * ludb.fs, 6 * ludb.fs);
  return {
    name: 'ludb-1-gap',
    fs: ludb.fs,
    leads: ['II'],
    units: ['mV'],
    signals: [signal],
    age: null,
    sex: 'unknown',
    metadata: {},
  };
}

/** A one-record dataset, loaded as training loads it. */
function oneRecord(record: EcgRecord): Dataset {
  const entry = {
    id: record.name,
    patientId: null,
    fold: null,
    split: 'train' as const,
    labels: [0],
    patient: { age: null, sex: 'unknown' as const, ageCapped: false },
  };
  return {
    name: 'gap',
    root: '<memory>',
    classes: ['slow', 'mid', 'fast'],
    labelKind: 'single-label',
    entries: [entry],
    skipped: [],
    split: { method: 'test', parameters: {} },
    sourceFiles: () => [],
    load: async () => ({ entry, record }),
  };
}

test('rhythm token of a record with a NaN gap: the Predictor computes the token training computed', async () => {
  const { dir, dispose } = tempDir();
  try {
    const config = tinyConfig(join(dir, 'rhythm-gap'), {
      epochs: 1,
      fusion: true,
      fusionTokens: ['age', 'sex', 'rhythm'],
      preprocess: { fs: 100, bandpass: [0.5, 40], standardize: true },
    });
    const result = await train(config, syntheticDataset({ records: 24, fs: 100 }));
    const checkpoint = readCheckpoint(result.lastPath);
    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'rhythm gap', 'rhythm-gap'));
    try {
      const record = await gappedRecord();
      const trained = await loadTrainingData(oneRecord(record), {
        preprocess: preprocessOf(config),
        cacheDir: null,
        rhythm: true,
      });
      const token = trained.rhythm![0]!;
      assert.ok(token !== null && token.rrMeanMs !== null, 'training found the rhythm');
      // The same inputs but for the rhythm token, given as training computed it: identical outputs iff the
      // Predictor computed the same token itself.
      const own = await predictor.predict(record);
      const given = await predictor.predict(record, {
        patient: { age: record.age, sex: record.sex, rhythm: token },
      });
      assert.deepEqual(own.probabilities, given.probabilities);
      assert.deepEqual(
        own.windows.map((w) => w.probabilities),
        given.windows.map((w) => w.probabilities),
      );
    } finally {
      await predictor.release();
    }
  } finally {
    dispose();
  }
});
