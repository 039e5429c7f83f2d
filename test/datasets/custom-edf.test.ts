/**
 * labels.csv may name EDF records (docs/own-data.md: any format efficientecg reads): `rec/a.edf` was looked up as
 * rec/a.edf.hea/.mat/.csv and skipped. A class left without records says why its first record was skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCustom } from '../../src/datasets/custom.js';
import { FormatError } from '../../src/errors.js';
import { readRecord } from '../../src/io/index.js';

const edf = fileURLToPath(new URL('../fixtures/edf/mit208.edf', import.meta.url));

async function withFolder(labels: string, body: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-custom-edf-'));
  try {
    mkdirSync(join(dir, 'rec'));
    for (const name of ['a', 'b']) copyFileSync(edf, join(dir, 'rec', `${name}.edf`));
    writeFileSync(join(dir, 'labels.csv'), labels);
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('custom: records named with .edf are read as EDF', async () => {
  await withFolder('record,label\nrec/a.edf,X\nrec/b.edf,Y\n', async (dir) => {
    const dataset = await openCustom(dir);
    assert.deepEqual(dataset.skipped, []);
    assert.deepEqual(
      dataset.entries.map((entry) => entry.id),
      ['rec/a', 'rec/b'],
    );
    assert.deepEqual(dataset.sourceFiles('rec/a'), [join(dir, 'rec/a.edf'), join(dir, 'labels.csv')]);
    const { record } = await dataset.load('rec/b');
    assert.deepEqual(record.leads, ['MLII', 'V1']);
    assert.deepEqual(record.signals, (await readRecord(edf)).signals);
  });
});

test('custom: a class with no readable record names the first skipped record of it and why', async () => {
  await withFolder('record,label\nrec/a.edf,X\nrec/b.edf,Y\nrec/c.edf,Z\nrec/d,Z\n', async (dir) => {
    await assert.rejects(openCustom(dir), (error: unknown) => {
      assert.ok(error instanceof FormatError, String(error));
      assert.equal(
        error.problem,
        'class(es) Z have no readable record (a model cannot learn an empty class); ' +
          'rec/c.edf (line 4) was skipped: record file missing (rec/c.edf)',
      );
      return true;
    });
  });
});
