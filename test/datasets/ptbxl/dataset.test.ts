import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openPtbxl } from '../../../src/datasets/ptbxl/index.js';
import { summarizeDataset } from '../../../src/datasets/summary.js';
import { FormatError, MissingFileError } from '../../../src/errors.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../fixtures/datasets/ptbxl/', import.meta.url));
const golden = JSON.parse(readFileSync(`${root}golden.json`, 'utf8')) as {
  records: Record<string, { labels: Record<string, string[]>; fold: number }>;
};

test('PTB-XL fixture: entries, dropped records, folds and superdiagnostic multi-hot labels as the golden', async () => {
  const dataset = await openPtbxl(root);
  assert.deepEqual(dataset.classes, ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  const expectedIds = Object.keys(golden.records).filter(
    (id) => golden.records[id]?.labels.superdiagnostic?.length,
  );
  const dropped = Object.keys(golden.records).filter(
    (id) => !golden.records[id]?.labels.superdiagnostic?.length,
  );
  // Only 00001 and 00002 have record files in the fixture; the others are skipped for that reason.
  assert.deepEqual(
    dataset.entries.map((e) => e.id),
    ['1', '2'],
  );
  const reasons = summarizeDataset(dataset).skipped;
  assert.deepEqual(reasons['no superdiagnostic label']?.sort(), dropped.sort());
  assert.equal(reasons['100 Hz record files missing']?.length, expectedIds.length - 2);
  for (const entry of dataset.entries) {
    const record = golden.records[entry.id];
    assert.deepEqual(entry.labels.map((i) => dataset.classes[i]).sort(), record?.labels.superdiagnostic);
    assert.equal(entry.fold, record?.fold);
    assert.equal(entry.split, 'train');
  }
});

test('PTB-XL load: the 100 Hz record with its entry; 500 Hz absent is a MissingFileError naming records500', async () => {
  const dataset = await openPtbxl(root, { labelSet: 'rhythm' });
  assert.equal(dataset.classes.length, 12);
  const { entry, record } = await dataset.load('2');
  assert.deepEqual(
    entry.labels.map((i) => dataset.classes[i]),
    ['SBRAD'],
  );
  assert.equal(record.fs, 100);
  assert.equal(record.signals.length, 12);
  assert.equal(record.signals[0]?.length, 1000);
  assert.deepEqual(entry.patient, { age: 19, sex: 'male', ageCapped: false });
  await assert.rejects(openPtbxl(root, { rate: 500 }), (error: unknown) => {
    assert.ok(error instanceof MissingFileError);
    assert.match(error.message, /records500: no 500 Hz record found \(filename_hr\)/);
    return true;
  });
  await assert.rejects(dataset.load('999'), MissingFileError);
  await assert.rejects(
    openPtbxl('/nonexistent/ptbxl'),
    /\/nonexistent\/ptbxl\/scp_statements\.csv: file not found/,
  );
});

/** A copy of the fixture with one of its files edited. */
function editedCopy(file: string, edit: (text: string) => string): string {
  const copy = mkdtempSync(join(tmpdir(), 'ptbxl-'));
  cpSync(root, copy, { recursive: true });
  writeFileSync(join(copy, file), edit(readFileSync(join(copy, file), 'utf8')));
  return copy;
}

test('openPtbxl: a statement whose diagnostic_class is no superclass is a FormatError naming it and the file, not label -1', async () => {
  const copy = editedCopy('scp_statements.csv', (text) =>
    text.replace(',1.0,,,NORM,NORM,', ',1.0,,,Norm,NORM,'),
  );
  try {
    for (const labelSet of ['superdiagnostic', 'subdiagnostic', 'rhythm'] as const)
      await assert.rejects(
        openPtbxl(copy, { labelSet }),
        (error: unknown) =>
          error instanceof FormatError &&
          error.message.startsWith(
            `${join(copy, 'scp_statements.csv')}: row 6: statement NORM has diagnostic_class "Norm"`,
          ),
      );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('openPtbxl: a duplicated ecg_id is a FormatError naming ptbxl_database.csv, not one record in train and test', async () => {
  const copy = editedCopy('ptbxl_database.csv', (text) => {
    const lines = text.split('\n');
    // Record 1 again, in fold 10 (test): the same record would have been in train and in test.
    return [
      ...lines.slice(0, 2),
      lines[1]!.replace(/,3,records100\//, ',10,records100/'),
      ...lines.slice(2),
    ].join('\n');
  });
  try {
    assert.notEqual(
      readFileSync(join(copy, 'ptbxl_database.csv'), 'utf8'),
      readFileSync(join(root, 'ptbxl_database.csv'), 'utf8'),
    );
    await assert.rejects(
      openPtbxl(copy),
      (error: unknown) =>
        error instanceof FormatError &&
        error.message === `${join(copy, 'ptbxl_database.csv')}: row 3: ecg_id 1 is already listed on row 2`,
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
