/**
 * The cache key covers what a record's samples depend on besides its files: the rate labels.csv's `fs` column gives
 * records that carry none, a folder source's `fs`, and labels.csv itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCachedDataset, preprocessorFromConfig } from '../../../src/datasets/cache/index.js';
import { openCustom } from '../../../src/datasets/custom.js';
import { openRecordFolder } from '../../../src/datasets/folder.js';

/** 500 samples of one lead, no time column: the rate comes from outside the file. */
const TABLE = `II\n${Array.from({ length: 500 }, (_, i) => (Math.sin(i / 7) / 2).toFixed(4)).join('\n')}\n`;
const to100Hz = preprocessorFromConfig({ resampleTo: 100, bandpass: null, standardize: false });
/** A whole second: utimes restores it exactly, so only the file's content can tell two versions apart. */
const FIXED_TIME = new Date('2025-01-01T00:00:00Z');

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-cache-fs-'));
  const root = join(dir, 'data');
  mkdirSync(join(root, 'records'), { recursive: true });
  for (const name of ['a', 'b']) writeFileSync(join(root, 'records', `${name}.csv`), TABLE);
  return { root, cacheDir: join(dir, 'cache'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function writeLabels(root: string, fs: number) {
  const path = join(root, 'labels.csv');
  writeFileSync(path, `record,label,fs\nrecords/a.csv,x,${fs}\nrecords/b.csv,y,${fs}\n`);
  utimesSync(path, FIXED_TIME, FIXED_TIME);
}

test('custom: labels.csv fs 250 -> 500 rebuilds the cache even when its size and mtime stay the same', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    writeLabels(root, 250);
    const at250 = await openCachedDataset(await openCustom(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal((await at250.load('records/a')).record.signals[0]!.length, 200); // 2 s at 100 Hz
    writeLabels(root, 500);
    const at500 = await openCachedDataset(await openCustom(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(at500.cache.rebuilt, true);
    assert.equal(at500.cache.dataPath, at250.cache.dataPath);
    assert.equal((await at500.load('records/a')).record.signals[0]!.length, 100); // 1 s at 100 Hz
    const again = await openCachedDataset(await openCustom(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(again.cache.rebuilt, false);
  } finally {
    dispose();
  }
});

test('custom: an edited labels.csv rebuilds the cache, entries unchanged', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    writeLabels(root, 250);
    await openCachedDataset(await openCustom(root), { dir: cacheDir, preprocess: to100Hz });
    const later = new Date(FIXED_TIME.getTime() + 60_000);
    utimesSync(join(root, 'labels.csv'), later, later);
    const reopened = await openCachedDataset(await openCustom(root), { dir: cacheDir, preprocess: to100Hz });
    assert.equal(reopened.cache.rebuilt, true);
  } finally {
    dispose();
  }
});

test('folder source: another fs for records that carry none rebuilds the cache', async () => {
  const { root, cacheDir, dispose } = workspace();
  try {
    const open = async (fs: number) => {
      const folder = await openRecordFolder(join(root, 'records'), { fs });
      return openCachedDataset(folder.groups[0]!.dataset, { dir: cacheDir, preprocess: to100Hz });
    };
    assert.equal((await (await open(250)).load('a.csv')).record.signals[0]!.length, 200);
    const at500 = await open(500);
    assert.equal(at500.cache.rebuilt, true);
    assert.equal((await at500.load('a.csv')).record.signals[0]!.length, 100);
    assert.equal((await open(500)).cache.rebuilt, false);
  } finally {
    dispose();
  }
});
