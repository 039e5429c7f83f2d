/**
 * The cache's data file: read in chunks into shared memory (readFile refuses 2 GiB and more, which CODE-15% and CinC
 * 2021 caches exceed), read errors reported as such rather than as a missing file to rebuild, a size limit checked
 * before the cache is loaded or while it is built, and temporary files named per build and cleared when stale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openCachedDataset,
  preprocessorFromConfig,
  type CacheOptions,
} from '../../../src/datasets/cache/index.js';
import {
  CacheReadError,
  readCacheData,
  removeStaleCacheTemporaries,
  STALE_TEMPORARY_MS,
  temporaryPath,
} from '../../../src/datasets/cache/data-file.js';
import { openCinc2017 } from '../../../src/datasets/cinc2017.js';
import { ConfigError, FormatError } from '../../../src/errors.js';

const fixture = fileURLToPath(new URL('../../fixtures/datasets/cinc2017/', import.meta.url));
const to100Hz = preprocessorFromConfig({ resampleTo: 100, bandpass: [0.5, 40], standardize: true });

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-cache-data-'));
  cpSync(fixture, join(dir, 'cinc2017'), { recursive: true });
  return {
    root: join(dir, 'cinc2017'),
    cacheDir: join(dir, 'cache'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Opens the fixture's cache, counting the records built. */
async function open(root: string, options: Partial<CacheOptions> & { dir: string }) {
  let built = 0;
  const cached = await openCachedDataset(await openCinc2017(root), {
    preprocess: to100Hz,
    ...options,
    onProgress: () => built++,
  });
  return { cached, built };
}

test('the data file is read in chunks into a SharedArrayBuffer, byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-cache-chunks-'));
  try {
    const path = join(dir, 'data.bin');
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 251);
    writeFileSync(path, bytes);
    const data = await readCacheData(path, bytes.length, 7);
    assert.ok(data.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Buffer.from(data), Buffer.from(bytes));
    await assert.rejects(readCacheData(path, 1004, 7), FormatError);
    await assert.rejects(readCacheData(join(dir, 'gone.bin'), 1000), /cache data file missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a data file that cannot be read is a CacheReadError naming it, not a missing file rebuilt again', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const { cached, built } = await open(root, { dir: cacheDir });
    assert.equal(built, 3);
    rmSync(cached.cache.dataPath);
    mkdirSync(cached.cache.dataPath); // e.g. what a broken sync tool leaves: not a file that a rebuild replaces
    let rebuilt = 0;
    await assert.rejects(
      openCachedDataset(await openCinc2017(root), {
        dir: cacheDir,
        preprocess: to100Hz,
        onProgress: () => rebuilt++,
      }),
      (error: unknown) => {
        assert.ok(error instanceof CacheReadError, String(error));
        assert.ok(error.message.startsWith(cached.cache.dataPath));
        assert.match(error.message, /not a regular file/);
        return true;
      },
    );
    assert.equal(rebuilt, 0);
  } finally {
    dispose();
  }
});

test('a cache over the memory limit is a ConfigError naming the dataset and size, built or found', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const isLimitError = (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(
        error.message,
        /^dataset cinc2017: the preprocessed cache (needs more than|holds) 0\.0 GB/,
      );
      return true;
    };
    await assert.rejects(open(root, { dir: cacheDir, maxBytes: 1000 }), isLimitError);
    assert.deepEqual(readdirSync(cacheDir), [], 'the build stopped and removed its temporary file');
    const { cached } = await open(root, { dir: cacheDir });
    await assert.rejects(open(root, { dir: cacheDir, maxBytes: cached.cache.bytes - 4 }), isLimitError);
    assert.equal((await open(root, { dir: cacheDir, maxBytes: cached.cache.bytes })).built, 0);
  } finally {
    dispose();
  }
});

test('temporary names are unique per build; stale temporaries go when a build starts, fresh ones stay', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const names = new Set(Array.from({ length: 20 }, () => temporaryPath('/c/x.bin')));
    assert.equal(names.size, 20);
    mkdirSync(cacheDir);
    const old = new Date(Date.now() - STALE_TEMPORARY_MS - 60_000);
    const stale = ['a-1-2.bin.123.tmp', 'a-1-2.json.123.0123abcd0123abcd.tmp'];
    const fresh = 'a-1-2.bin.456.89abcdef89abcdef.tmp';
    const other = 'notes.tmp';
    for (const name of [...stale, fresh, other]) writeFileSync(join(cacheDir, name), 'x');
    for (const name of [...stale, other]) utimesSync(join(cacheDir, name), old, old);
    await open(root, { dir: cacheDir });
    const left = readdirSync(cacheDir);
    for (const name of stale) assert.ok(!left.includes(name), name);
    assert.ok(left.includes(fresh) && left.includes(other));
    assert.deepEqual(await removeStaleCacheTemporaries(cacheDir), []);
  } finally {
    dispose();
  }
});

// Allocates and reads 2 GiB (about 8 s): run with EECG_LARGE_TESTS=1.
test(
  'a data file over 2 GiB opens (readFile refuses it)',
  { skip: process.env.EECG_LARGE_TESTS !== '1' && 'set EECG_LARGE_TESTS=1 (allocates 2 GiB)' },
  async () => {
    const { root, cacheDir, dispose } = workspace();
    try {
      const { cached } = await open(root, { dir: cacheDir });
      const before = await cached.load('A05493');
      const big = 2 ** 31 + 4096;
      truncateSync(cached.cache.dataPath, big); // sparse: the records stay where the index says
      const index = JSON.parse(readFileSync(cached.cache.indexPath, 'utf8'));
      writeFileSync(cached.cache.indexPath, JSON.stringify({ ...index, dataBytes: big }));
      const { cached: reopened, built } = await open(root, { dir: cacheDir });
      assert.equal(built, 0);
      assert.equal(reopened.cache.bytes, big);
      assert.deepEqual((await reopened.load('A05493')).record.signals, before.record.signals);
    } finally {
      dispose();
    }
  },
);
