import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCinc2017 } from '../../src/datasets/cinc2017.js';
import { parseCinc2017Reference } from '../../src/datasets/references.js';
import { FormatError } from '../../src/errors.js';

const root = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));

/** scipy's reading of the .mat files: length, first samples in mV (val / 1000). */
function scipyReference(): Record<string, { length: number; first: number[] }> {
  const script = `
import json, scipy.io as sio
out = {}
for r in ['A05493', 'A07615', 'A08050']:
    v = sio.loadmat('${root}' + r + '.mat')['val'][0]
    out[r] = {'length': int(v.size), 'first': (v[:5] / 1000.0).tolist()}
print(json.dumps(out))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }));
}

test('CinC 2017: labels from REFERENCE.csv, records without files skipped, seeded split saved', async () => {
  const dataset = await openCinc2017(root, { split: { folds: 3, valFold: 1 } });
  assert.deepEqual(dataset.classes, ['N', 'A', 'O', '~']);
  assert.deepEqual(
    dataset.entries.map((e) => [e.id, dataset.classes[e.labels[0] as number]]),
    [
      ['A05493', 'N'],
      ['A07615', 'N'],
      ['A08050', 'O'],
    ],
  );
  assert.deepEqual(dataset.skipped, [{ id: 'A09999', reason: 'record files missing (.hea/.mat)' }]);
  assert.deepEqual(dataset.split.parameters, {
    folds: 3,
    seed: 2017,
    valFold: 1,
    groupBy: 'record',
    labels: 'REFERENCE.csv',
  });
  assert.equal(dataset.entries.filter((e) => e.split === 'val').length, 1);
});

/** The fixture's records in DIR/training2017 (as `download cinc2017` unpacks them), with the given label files. */
async function withLayout(files: Record<string, string>, body: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-cinc2017-'));
  try {
    cpSync(root, join(dir, 'training2017'), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ORIGINAL = 'A05493,N\nA07615,N\nA08050,O\n';
const V3 = 'A05493,N\nA07615,~\nA08050,A\n';
const labelsOf = (dataset: Awaited<ReturnType<typeof openCinc2017>>) =>
  dataset.entries.map((e) => dataset.classes[e.labels[0]!]);

test('CinC 2017: REFERENCE-v3.csv one level up (the download layout) wins over the 2017 REFERENCE.csv', async () => {
  await withLayout({ 'training2017/REFERENCE.csv': ORIGINAL, 'REFERENCE-v3.csv': V3 }, async (dir) => {
    const dataset = await openCinc2017(join(dir, 'training2017'));
    assert.deepEqual(labelsOf(dataset), ['N', '~', 'A']);
    assert.equal(dataset.split.parameters['labels'], '../REFERENCE-v3.csv');
    const original = await openCinc2017(join(dir, 'training2017'), { reference: 'REFERENCE.csv' });
    assert.deepEqual(labelsOf(original), ['N', 'N', 'O']);
    assert.equal(original.split.parameters['labels'], 'REFERENCE.csv');
  });
});

test('CinC 2017: REFERENCE-v3.csv beside the records is read; without it REFERENCE.csv (with a header)', async () => {
  await withLayout({ 'training2017/REFERENCE-v3.csv': V3 }, async (dir) => {
    const dataset = await openCinc2017(join(dir, 'training2017'));
    assert.deepEqual(labelsOf(dataset), ['N', '~', 'A']);
    assert.equal(dataset.split.parameters['labels'], 'REFERENCE-v3.csv');
  });
  // The project's data folder: the v3 labels as REFERENCE.csv under a "data_source,class" header.
  await withLayout({ 'training2017/REFERENCE.csv': `data_source,class\n${V3}` }, async (dir) => {
    const dataset = await openCinc2017(join(dir, 'training2017'));
    assert.deepEqual(labelsOf(dataset), ['N', '~', 'A']);
    assert.equal(dataset.split.parameters['labels'], 'REFERENCE.csv');
  });
});

test(
  'CinC 2017 load: one lead at 300 Hz equal to scipy',
  { skip: !hasScipy() && 'needs /usr/bin/python3 with scipy' },
  async () => {
    const dataset = await openCinc2017(root);
    const reference = scipyReference();
    for (const entry of dataset.entries) {
      const { record } = await dataset.load(entry.id);
      assert.equal(record.fs, 300);
      assert.equal(record.signals[0]?.length, reference[entry.id]?.length);
      const first = Array.from(record.signals[0]?.subarray(0, 5) ?? []);
      first.forEach((value, i) =>
        assert.ok(Math.abs(value - (reference[entry.id]?.first[i] as number)) < 1e-6),
      );
    }
  },
);

test('REFERENCE.csv problems are FormatErrors naming the file and line', () => {
  assert.deepEqual([...parseCinc2017Reference('data_source,class\nA00001,N\n', 'r.csv')], [['A00001', 0]]);
  assert.throws(
    () => parseCinc2017Reference('A00001,X\n', 'r.csv'),
    (error: unknown) => error instanceof FormatError && /^r\.csv: line 1: expected/.test(error.message),
  );
  assert.throws(
    () => parseCinc2017Reference('A00001,N\nA00001,A\n', 'r.csv'),
    /line 2: record A00001 listed twice/,
  );
});

function hasScipy(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import scipy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
