import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, truncateSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openCachedDataset,
  preprocessorFromConfig,
  NO_PREPROCESSING,
  type Preprocessor,
} from '../../../src/datasets/cache/index.js';
import { openCinc2017 } from '../../../src/datasets/cinc2017.js';
import { FormatError } from '../../../src/errors.js';
import { resample, standardize } from '../../../src/signal/index.js';

const fixture = fileURLToPath(new URL('../../fixtures/datasets/cinc2017/', import.meta.url));

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-cache-'));
  cpSync(fixture, join(dir, 'cinc2017'), { recursive: true });
  return {
    root: join(dir, 'cinc2017'),
    cacheDir: join(dir, 'cache'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const to100Hz = preprocessorFromConfig({ resampleTo: 100, bandpass: null, standardize: true });

test('the cache holds exactly the preprocessed records, with entries, labels and splits of the source', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const source = await openCinc2017(root);
    const cached = await openCachedDataset(source, { dir: cacheDir, preprocess: to100Hz });
    assert.equal(cached.cache.rebuilt, true);
    assert.deepEqual(cached.entries, source.entries);
    assert.deepEqual(cached.classes, source.classes);
    assert.deepEqual(cached.split, source.split);
    for (const entry of source.entries) {
      const { record: raw } = await source.load(entry.id);
      const { record, entry: cachedEntry } = await cached.load(entry.id);
      assert.deepEqual(cachedEntry, entry);
      assert.equal(record.fs, 100);
      assert.deepEqual(record.units, ['z']);
      // Independent of the cache: the signal functions applied directly.
      const expected = standardize(resample(raw.signals[0] as Float32Array, 300, 100, { nan: 'bridge' }));
      assert.deepEqual(record.signals[0], expected);
    }
    assert.deepEqual(
      readdirSync(cacheDir).filter((name) => name.endsWith('.tmp')),
      [],
    );
  } finally {
    dispose();
  }
});

test('reopening reuses the cache; a new config or a touched source file rebuilds it', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const source = await openCinc2017(root);
    const first = await openCachedDataset(source, { dir: cacheDir, preprocess: to100Hz });
    const again = await openCachedDataset(await openCinc2017(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(again.cache.rebuilt, false);
    assert.equal(again.cache.dataPath, first.cache.dataPath);
    const raw = await openCachedDataset(source, {
      dir: cacheDir,
      preprocess: preprocessorFromConfig(NO_PREPROCESSING),
    });
    assert.equal(raw.cache.rebuilt, true);
    assert.notEqual(raw.cache.dataPath, first.cache.dataPath);
    assert.equal((await raw.load('A07615')).record.fs, 300);
    utimesSync(join(root, 'A07615.mat'), new Date(), new Date(Date.now() + 5000));
    const touched = await openCachedDataset(await openCinc2017(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(touched.cache.rebuilt, true);
  } finally {
    dispose();
  }
});

test('two copies of one dataset in two folders keep two caches: neither rebuilds the other', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const copy = `${root}-copy`;
    cpSync(root, copy, { recursive: true });
    const first = await openCachedDataset(await openCinc2017(root), { dir: cacheDir, preprocess: to100Hz });
    const second = await openCachedDataset(await openCinc2017(copy), { dir: cacheDir, preprocess: to100Hz });
    assert.notEqual(second.cache.dataPath, first.cache.dataPath);
    const again = await openCachedDataset(await openCinc2017(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(again.cache.rebuilt, false);
  } finally {
    dispose();
  }
});

test('a custom preprocessor is keyed by its config; a truncated data file is a FormatError naming it', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const source = await openCinc2017(root);
    const firstSecond: Preprocessor = {
      config: { kind: 'first-second' },
      apply: (record) => ({ ...record, signals: record.signals.map((s) => s.slice(0, record.fs)) }),
    };
    const cached = await openCachedDataset(source, { dir: cacheDir, preprocess: firstSecond });
    assert.equal((await cached.load('A08050')).record.signals[0]?.length, 300);
    truncateSync(cached.cache.dataPath, 100);
    await assert.rejects(
      openCachedDataset(source, { dir: cacheDir, preprocess: firstSecond }),
      (error: unknown) => {
        assert.ok(error instanceof FormatError);
        assert.ok(error.message.startsWith(cached.cache.dataPath));
        return true;
      },
    );
    await assert.rejects(cached.load('nope'), /no entry "nope"/);
  } finally {
    dispose();
  }
});
