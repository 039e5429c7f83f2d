/**
 * The CinC 2020/2021 WFDB folder walk and cache fingerprint (shared with CPSC 2018's WFDB layout): linked folders are
 * followed as predict and inspect follow them (once, whatever the cycles), and a record's fingerprint covers the data
 * files its header names, so that a changed `.dat` rebuilds the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NO_PREPROCESSING,
  openCachedDataset,
  preprocessorFromConfig,
} from '../../src/datasets/cache/index.js';
import { findHeaders, openCinc2021 } from '../../src/datasets/cinc2021.js';
import { openCpsc2018 } from '../../src/datasets/cpsc2018.js';
import { readRecord } from '../../src/io/index.js';

const fixture = fileURLToPath(new URL('../fixtures/cinc2021/', import.meta.url));
const cpscWfdb = fileURLToPath(new URL('../fixtures/datasets/cpsc2018/wfdb/', import.meta.url));

/** A folder with CODE-15% record 1000 (`.dat`, given a scored #Dx: AF) and Georgia's E00001 (`.mat`). */
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-cinc2021-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const header = readFileSync(join(fixture, '1000.hea'), 'utf8').replace(
    '# Chagas label: False',
    '# Dx: 164889003',
  );
  writeFileSync(join(data, '1000.hea'), header);
  for (const name of ['1000.dat', 'E00001.hea', 'E00001.mat'])
    copyFileSync(join(fixture, name), join(data, name));
  return { dir, data, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

test('linked folders are walked, each folder once (two links to one, a link to a parent)', async () => {
  const { dir, data, dispose } = workspace();
  try {
    const root = join(dir, 'root');
    mkdirSync(root);
    symlinkSync(data, join(root, 'georgia'), 'dir');
    symlinkSync(data, join(root, 'again'), 'dir');
    symlinkSync(root, join(data, 'loop'), 'dir');
    symlinkSync(join(dir, 'nowhere'), join(root, 'dangling'), 'dir');
    assert.deepEqual(await findHeaders(root), ['again/1000', 'again/E00001']);
    const dataset = await openCinc2021(root);
    assert.deepEqual(
      dataset.entries.map((entry) => entry.id),
      ['1000', 'E00001'],
    );
  } finally {
    dispose();
  }
});

test('the cache fingerprints the data files a header names: a changed .dat rebuilds it with the new samples', async () => {
  const { dir, data, dispose } = workspace();
  try {
    const dataset = await openCinc2021(data);
    assert.deepEqual(dataset.sourceFiles('1000'), [join(data, '1000.hea'), join(data, '1000.dat')]);
    assert.deepEqual(dataset.sourceFiles('E00001'), [join(data, 'E00001.hea'), join(data, 'E00001.mat')]);
    const options = { dir: join(dir, 'cache'), preprocess: preprocessorFromConfig(NO_PREPROCESSING) };
    const before = await openCachedDataset(dataset, options);
    const negated = readFileSync(join(data, '1000.dat'));
    const samples = new Int16Array(negated.buffer, negated.byteOffset, negated.length / 2);
    samples.forEach((value, i) => (samples[i] = -value));
    writeFileSync(join(data, '1000.dat'), negated);
    const after = await openCachedDataset(await openCinc2021(data), options);
    assert.equal(after.cache.rebuilt, true);
    const fresh = await readRecord(join(data, '1000.hea'));
    assert.deepEqual((await after.load('1000')).record.signals, fresh.signals);
    assert.notDeepEqual((await before.load('1000')).record.signals, fresh.signals);
  } finally {
    dispose();
  }
});

test("CPSC 2018's WFDB layout fingerprints its records the same way", async () => {
  const dataset = await openCpsc2018(cpscWfdb);
  assert.deepEqual(dataset.sourceFiles('A0001'), [join(cpscWfdb, 'A0001.hea'), join(cpscWfdb, 'A0001.mat')]);
});
