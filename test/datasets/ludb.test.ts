import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ludbHeaderInfo, openLudb } from '../../src/datasets/ludb/index.js';
import { MissingFileError } from '../../src/errors.js';

const root = fileURLToPath(new URL('../fixtures/datasets/ludb/', import.meta.url));
const golden = JSON.parse(readFileSync(`${root}golden.json`, 'utf8')) as Record<string, unknown>;

test('LUDB: rhythm class, patient (">89" flag from ludb.csv) and diagnoses from the header', async () => {
  const dataset = await openLudb(root);
  assert.deepEqual(
    dataset.entries.map((e) => [e.id, dataset.classes[e.labels[0] as number], e.patient]),
    [
      ['1', 'Sinus bradycardia', { age: 51, sex: 'female', ageCapped: false }],
      ['34', 'Sinus rhythm', { age: 90, sex: 'female', ageCapped: true }],
    ],
  );
  assert.deepEqual(dataset.diagnoses.get('34'), [
    'Rhythm: Sinus rhythm',
    'III degree AV-block',
    'UNIpolar ventricular pacing',
  ]);
});

test('LUDB delineation per lead equals the independent decoding', async () => {
  const dataset = await openLudb(root);
  const leads = await dataset.delineation('1');
  assert.equal(Object.keys(leads).length, 12);
  assert.deepEqual({ i: leads.i, v6: leads.v6 }, golden);
  await assert.rejects(
    dataset.load('1'),
    (error: unknown) => error instanceof MissingFileError && /1\.dat/.test(error.message),
  );
});

test('ludbHeaderInfo without a diagnoses block', () => {
  assert.deepEqual(ludbHeaderInfo(['<age>: 40']), { rhythm: null, diagnoses: [] });
});
