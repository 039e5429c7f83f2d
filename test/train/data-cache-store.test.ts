/**
 * Training data from the on-disk cache: the store is the cache's own shared buffer (a dataset-sized second copy
 * doubled peak memory), with NaN samples set to 0 in place; records whose leads must be reordered are copied as
 * before. Either way the store holds what the in-memory path holds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cachePaths, preprocessorFromConfig } from '../../src/datasets/cache/index.js';
import type { Dataset } from '../../src/datasets/types.js';
import { loadTrainingData, type TrainingData } from '../../src/train/data.js';
import { syntheticDataset } from './synthetic.js';

const preprocess = { resampleTo: null, bandpass: null, standardize: false };

/** The synthetic dataset with a NaN gap in record `gapId` and, when `swapId` is set, that record's leads swapped. */
function dataset(gapId: string, swapId: string | null): Dataset {
  const source = syntheticDataset({ records: 6, leads: 2 });
  const load = source.load.bind(source);
  source.load = async (id) => {
    const example = await load(id);
    const record = { ...example.record, signals: example.record.signals.map((s) => s.slice()) };
    if (id === gapId) record.signals[1]!.fill(NaN, 10, 30);
    if (id !== swapId) return { ...example, record };
    return {
      ...example,
      record: { ...record, leads: ['L2', 'L1'], signals: [record.signals[1]!, record.signals[0]!] },
    };
  };
  return source;
}

/** Each record's stored samples, in entries order. */
const slots = (data: TrainingData) =>
  data.store.slots.map(({ offset, length }) =>
    Array.from(data.store.samples.subarray(offset, offset + data.store.leads * length)),
  );

async function withCacheDir(body: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-data-cache-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the store is the cache buffer itself, NaN set to 0, holding what the in-memory store holds', async () => {
  await withCacheDir(async (cacheDir) => {
    const source = dataset('S002', null);
    const inMemory = await loadTrainingData(source, { preprocess, cacheDir: null, rhythm: true });
    const cached = await loadTrainingData(source, { preprocess, cacheDir, rhythm: true });
    const { dataPath } = cachePaths(source, {
      dir: cacheDir,
      preprocess: preprocessorFromConfig(preprocess),
    });
    assert.ok(cached.store.samples.buffer instanceof SharedArrayBuffer);
    assert.equal(cached.store.samples.byteLength, statSync(dataPath).size, 'no second copy of the dataset');
    assert.deepEqual(slots(cached), slots(inMemory));
    assert.ok(slots(cached).flat().every(Number.isFinite));
    // Rhythm features are computed before the gaps become zeros, as in memory.
    assert.deepEqual(cached.rhythm, inMemory.rhythm);
  });
});

test('records whose leads must be reordered are copied into a store of their own, in the first record order', async () => {
  await withCacheDir(async (cacheDir) => {
    const source = dataset('S002', 'S003');
    const inMemory = await loadTrainingData(source, { preprocess, cacheDir: null });
    const cached = await loadTrainingData(source, { preprocess, cacheDir });
    const total = cached.store.slots.reduce((sum, slot) => sum + cached.store.leads * slot.length, 0);
    assert.equal(cached.store.samples.length, total);
    assert.deepEqual(slots(cached), slots(inMemory));
    assert.deepEqual(cached.leadNames, ['L1', 'L2']);
  });
});
