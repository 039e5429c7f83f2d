/**
 * The "your own data" adapter on test/fixtures/custom (made by make_fixture.py: 9 CSV + 3 WFDB one-lead records,
 * labels.csv with patient/age/sex, classes.txt in a non-sorted order), variants of it in temporary copies for the
 * split rules, multi-label and every error, and one tiny train -> export -> evaluate run whose metrics are checked
 * against scikit-learn on the Predictor's own probabilities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCustom, parseLabelRows } from '../../src/datasets/custom.js';
import { FormatError, MissingFileError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import { train } from '../../src/train/trainer.js';
import { runCli } from '../infer/cli-harness.js';
import { tinyConfig } from '../train/helpers.js';

const fixture = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
const FIXTURE_LABELS = readFileSync(join(fixture, 'labels.csv'), 'utf8');

/** A temporary copy of the fixture, with labels.csv / classes.txt / extra files replaced (null: deleted). */
async function withFolder(
  files: Record<string, string | Uint8Array | null>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-custom-'));
  try {
    cpSync(fixture, dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      if (text === null) unlinkSync(join(dir, name));
      else writeFileSync(join(dir, name), text);
    }
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fixture's labels.csv with `edit` applied to its lines (header first). */
const editLabels = (edit: (lines: string[]) => string[]) =>
  `${edit(FIXTURE_LABELS.trim().split('\n')).join('\n')}\n`;

async function rejects(
  files: Record<string, string | null>,
  type: new (...args: never[]) => Error,
  pattern: RegExp,
) {
  await withFolder(files, async (dir) => {
    await assert.rejects(openCustom(dir), (error: Error) => {
      assert.ok(error instanceof type, `${error.name}: ${error.message}`);
      assert.match(error.message, pattern);
      return true;
    });
  });
}

const hasSklearn = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('custom: classes in classes.txt order, ids without extension, patient features, patient-wise split', async () => {
  const dataset = await openCustom(fixture);
  assert.equal(dataset.name, 'custom');
  assert.deepEqual(dataset.classes, ['normal', 'other', 'AF']);
  assert.equal(dataset.labelKind, 'single-label');
  assert.deepEqual(dataset.skipped, []);
  assert.equal(dataset.entries.length, 12);
  const byId = new Map(dataset.entries.map((entry) => [entry.id, entry]));
  assert.deepEqual(byId.get('records/r02')?.labels, [1]); // "records/r02.csv,other"
  assert.deepEqual(byId.get('records/r03')?.labels, [2]); // AF is last in classes.txt
  assert.deepEqual(byId.get('records/r01')?.patient, { age: 40, sex: 'male', ageCapped: false });
  assert.deepEqual(byId.get('records/r06')?.patient, { age: null, sex: 'unknown', ageCapped: false });
  assert.equal(byId.get('records/wfdb/r11')?.patientId, 'p6');
  assert.equal(dataset.split.method, 'seeded iterative stratification');
  assert.deepEqual(dataset.split.parameters, { folds: 5, seed: 2017, valFold: 5, groupBy: 'patient' });
  const splitOf = new Map<string, Set<string>>();
  for (const entry of dataset.entries)
    splitOf.set(entry.patientId!, (splitOf.get(entry.patientId!) ?? new Set()).add(entry.split));
  assert.ok(
    [...splitOf.values()].every((splits) => splits.size === 1),
    'a patient straddles two splits',
  );
  assert.ok(dataset.entries.some((entry) => entry.split === 'val'));
  const again = await openCustom(fixture);
  assert.deepEqual(
    again.entries.map((entry) => entry.split),
    dataset.entries.map((entry) => entry.split),
  );
  assert.deepEqual(dataset.sourceFiles('records/wfdb/r10'), [
    join(fixture, 'records/wfdb/r10.hea'),
    join(fixture, 'records/wfdb/r10.dat'),
    join(fixture, 'labels.csv'),
  ]);
});

test('custom load: CSV and WFDB records at 100 Hz, samples as written by make_fixture.py', async () => {
  const dataset = await openCustom(fixture);
  const csv = await dataset.load('records/r01');
  assert.deepEqual([csv.record.fs, csv.record.signals.length, csv.record.signals[0]!.length], [100, 1, 300]);
  const csvLines = readFileSync(join(fixture, 'records/r01.csv'), 'utf8').split('\n');
  const firstCsvValue = Number(csvLines[1]!.split(',')[1]);
  assert.ok(Math.abs(csv.record.signals[0]![0]! - firstCsvValue) < 1e-6);
  assert.equal(csv.entry.patient.age, 40);
  const wfdb = await dataset.load('records/wfdb/r10');
  assert.deepEqual([wfdb.record.fs, wfdb.record.signals[0]!.length], [100, 300]);
  // Format 16 with gain 1000/mV: the .dat's little-endian int16 / 1000.
  const bytes = readFileSync(join(fixture, 'records/wfdb/r10.dat'));
  for (let i = 0; i < 5; i++)
    assert.ok(Math.abs(wfdb.record.signals[0]![i]! - bytes.readInt16LE(2 * i) / 1000) < 1e-6);
  await assert.rejects(dataset.load('records/nope'), MissingFileError);
});

test('custom: without classes.txt the classes are the sorted names', async () => {
  await withFolder({ 'classes.txt': null }, async (dir) => {
    assert.deepEqual((await openCustom(dir)).classes, ['AF', 'normal', 'other']);
  });
});

test('custom split rules: a val row means the user split; only test rows keep test and the rest is seeded', async () => {
  const userSplit = editLabels(([header, ...rows]) => [
    `${header},split`,
    ...rows.map((row, i) => `${row},${i < 6 ? 'train' : i < 8 ? 'val' : 'test'}`),
  ]);
  await withFolder({ 'labels.csv': userSplit }, async (dir) => {
    const dataset = await openCustom(dir);
    assert.equal(dataset.split.method, 'labels.csv split column');
    assert.deepEqual(
      dataset.entries.map((entry) => entry.split),
      [...Array(6).fill('train'), ...Array(2).fill('val'), ...Array(4).fill('test')],
    );
  });
  const testOnly = editLabels(([header, ...rows]) => [
    `${header},split`,
    ...rows.map((row, i) => `${row},${i >= 8 ? 'test' : i % 2 ? 'train' : ''}`),
  ]);
  await withFolder({ 'labels.csv': testOnly }, async (dir) => {
    const dataset = await openCustom(dir);
    assert.equal(dataset.split.method, 'seeded iterative stratification');
    assert.deepEqual(
      dataset.entries.slice(8).map((entry) => entry.split),
      ['test', 'test', 'test', 'test'],
    );
    assert.ok(dataset.entries.slice(0, 8).every((entry) => entry.split !== 'test'));
  });
  const noPatient = editLabels((lines) => lines.map((line) => line.split(',').slice(0, 2).join(',')));
  await withFolder({ 'labels.csv': noPatient }, async (dir) => {
    assert.equal((await openCustom(dir)).split.parameters.groupBy, 'record');
  });
  const blank = editLabels(([header, ...rows]) => [
    `${header},split`,
    ...rows.map((row, i) => `${row},${i === 4 ? '' : i < 9 ? 'train' : 'val'}`),
  ]);
  await rejects({ 'labels.csv': blank }, FormatError, /labels\.csv: line 6: empty split/);
});

test('custom: a patient with rows in test and in another split is a FormatError naming labels.csv and the patient', async () => {
  // Rows 9 and 10 (lines 10, 11) are patient p5's.
  const split = (other: string) =>
    editLabels(([header, ...rows]) => [
      `${header},split`,
      ...rows.map((row, i) => `${row},${i === 8 ? other : i < 6 ? 'train' : i < 9 ? 'val' : 'test'}`),
    ]);
  await rejects(
    { 'labels.csv': split('val') },
    FormatError,
    /labels\.csv: patient "p5" has rows in test \(line 11\) and in val \(line 10\)/,
  );
  await rejects(
    { 'labels.csv': split('train') },
    FormatError,
    /labels\.csv: patient "p5" has rows in test \(line 11\) and in train \(line 10\)/,
  );
  // No val row: the blank and train rows get the seeded split, which would put p5's line 10 in train or val.
  const seeded = editLabels(([header, ...rows]) => [
    `${header},split`,
    ...rows.map((row, i) => `${row},${i >= 9 ? 'test' : ''}`),
  ]);
  await rejects(
    { 'labels.csv': seeded },
    FormatError,
    /labels\.csv: patient "p5" has rows in test \(line 11\) and in the seeded train\/val split \(line 10\)/,
  );
  // Rows without a patient are not grouped: a test row beside them is fine.
  const anonymous = editLabels(([, ...rows]) => [
    'record,label,age,sex,split',
    ...rows.map((row, i) => {
      const [record, label, , age, sex] = row.split(',');
      return `${record},${label},${age},${sex},${i >= 9 ? 'test' : ''}`;
    }),
  ]);
  await withFolder({ 'labels.csv': anonymous }, async (dir) => {
    assert.equal((await openCustom(dir)).entries.filter((entry) => entry.split === 'test').length, 3);
  });
});

test('custom multi-label: several labels per row, or the classes.txt directive', async () => {
  const multi = editLabels((lines) =>
    lines.map((line, i) => (i === 3 ? line.replace(',AF,', ',AF;other,') : line)),
  );
  await withFolder({ 'labels.csv': multi }, async (dir) => {
    const dataset = await openCustom(dir);
    assert.equal(dataset.labelKind, 'multi-label');
    assert.deepEqual(dataset.entries[2]!.labels, [1, 2]);
  });
  const directive = '# label-kind: multi-label\nnormal\nother\nAF\n';
  const emptyLabel = editLabels((lines) =>
    lines.map((line, i) => (i === 1 ? line.replace(',normal,', ',,') : line)),
  );
  await withFolder({ 'classes.txt': directive, 'labels.csv': emptyLabel }, async (dir) => {
    const dataset = await openCustom(dir);
    assert.equal(dataset.labelKind, 'multi-label');
    assert.deepEqual(dataset.entries[0]!.labels, []);
  });
  await rejects(
    { 'labels.csv': emptyLabel },
    FormatError,
    /line 2: record records\/r01 has 0 labels but the task is single-label/,
  );
  await rejects(
    { 'classes.txt': '# label-kind: several\nAF\n' },
    FormatError,
    /classes\.txt: line 1: label-kind "several"/,
  );
});

test('custom errors: files, columns, labels and classes name the file, the line and the problem', async () => {
  await rejects({ 'labels.csv': null }, MissingFileError, /labels\.csv: labels file not found/);
  await rejects(
    {
      'labels.csv': editLabels(([header, ...rows]) => [
        `${header},diagnosis`,
        ...rows.map((row) => `${row},x`),
      ]),
    },
    FormatError,
    /labels\.csv: line 1: unknown column "diagnosis"/,
  );
  await rejects(
    { 'labels.csv': 'record,age\nrecords/r01,40\n' },
    FormatError,
    /line 1: missing column\(s\) label/,
  );
  await rejects(
    {
      'labels.csv': editLabels((lines) =>
        lines.map((line, i) => (i === 7 ? line.replace(',normal,', ',Normal,') : line)),
      ),
    },
    FormatError,
    /labels\.csv: line 8: label "Normal" is not in .*classes\.txt \(normal, other, AF\)/,
  );
  await rejects(
    { 'classes.txt': 'normal\nother\nAF\nPVC\n' },
    FormatError,
    /labels\.csv: class\(es\) PVC have no readable record/,
  );
  await rejects(
    { 'classes.txt': 'normal\nother\nnormal\nAF\n' },
    FormatError,
    /classes\.txt: line 3: class "normal" is listed twice/,
  );
  await rejects(
    { 'labels.csv': editLabels((lines) => [...lines, 'records/r01.csv,normal,p1,40,M']) },
    FormatError,
    /labels\.csv: line 14: record records\/r01\.csv is already listed on line 2/,
  );
  await rejects(
    {
      'labels.csv': editLabels((lines) =>
        lines.map((line, i) => (i === 2 ? line.replace(',F', ',X') : line)),
      ),
    },
    FormatError,
    /line 3: sex "X" is not M, F or blank/,
  );
  await rejects(
    {
      'labels.csv': editLabels((lines) =>
        lines.map((line, i) => (i === 2 ? line.replace(',43,', ',forty,') : line)),
      ),
    },
    FormatError,
    /line 3: age "forty" is not a valid number/,
  );
  await rejects({ 'labels.csv': 'record,label\n' }, FormatError, /no record rows/);
});

test('custom: a record column may name an exam of an HDF5 file (FILE#ID); the file (+ labels.csv) is its fingerprint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-custom-hdf5-'));
  try {
    const code15 = fileURLToPath(new URL('../fixtures/datasets/code15/exams_part0.hdf5', import.meta.url));
    cpSync(code15, join(dir, 'part.hdf5'));
    writeFileSync(
      join(dir, 'labels.csv'),
      'record,label\npart.hdf5#1000001,normal\npart.hdf5#1000002,rbbb\npart.hdf5#42,normal\n',
    );
    const dataset = await openCustom(dir);
    assert.deepEqual(
      dataset.entries.map((entry) => entry.id),
      ['part.hdf5#1000001', 'part.hdf5#1000002'],
    );
    assert.match(dataset.skipped[0]!.reason, /no exam "42"/);
    assert.deepEqual(dataset.sourceFiles('part.hdf5#1000002'), [
      join(dir, 'part.hdf5'),
      join(dir, 'labels.csv'),
    ]);
    const { record } = await dataset.load('part.hdf5#1000002');
    assert.equal(record.fs, 400);
    assert.equal(record.signals[0]!.length, 2920);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('custom records: missing or unreadable files are skipped with the reason; another lead count is an error', async () => {
  const extra = editLabels((lines) => [
    ...lines,
    'records/gone,AF,p9,,',
    'records/broken.csv,AF,p9,,',
    'records/wfdb/nodata.hea,AF,p9,,',
    'records/wfdb/cut.hea,AF,p9,,',
  ]);
  const files = {
    'labels.csv': extra,
    'records/broken.csv': 'time,II\n0.00,1\n0.00,2\n',
    'records/wfdb/nodata.hea': 'nodata 1 100 300\nnodata.dat 16 1000/mV 16 0 0 0 0 II\n',
    // 300 samples of format 16 need 600 bytes: a cut copy is found from its size, before training reads it.
    'records/wfdb/cut.hea': 'cut 1 100 300\ncut.dat 16 1000/mV 16 0 0 0 0 II\n',
    'records/wfdb/cut.dat': new Uint8Array(100),
  };
  await withFolder(files, async (dir) => {
    const dataset = await openCustom(`${dir}/`); // a trailing slash changes nothing
    assert.equal(dataset.entries.length, 12);
    assert.deepEqual(dataset.skipped[0], {
      id: 'records/gone',
      reason: 'record file missing (records/gone.hea, records/gone.mat, records/gone.csv)',
    });
    assert.equal(dataset.skipped[1]!.id, 'records/broken');
    assert.match(dataset.skipped[1]!.reason, /^unreadable: .*broken\.csv/);
    assert.deepEqual(dataset.skipped[2], {
      id: 'records/wfdb/nodata',
      reason: 'record file missing (records/wfdb/nodata.dat)',
    });
    assert.deepEqual(dataset.skipped[3], {
      id: 'records/wfdb/cut',
      reason:
        'unreadable: records/wfdb/cut.dat: truncated: the header declares 600 bytes of data, the file holds 100',
    });
  });
  // An absolute path (it was joined to DIR and reported missing there): a FormatError saying what the column takes.
  for (const path of ['/data/ecg/x.hea', 'C:/data/x.hea', 'C:\\data\\x.hea', 'C:x.hea', 'file:///data/x.hea'])
    await rejects(
      { 'labels.csv': editLabels((lines) => [...lines, `${path},AF,p9,,`]) },
      FormatError,
      /labels\.csv: line 14: record ".*" is an absolute path or a URL: give it relative to the folder of labels\.csv/,
    );
  const twoLeads = `time,I,II\n${Array.from({ length: 300 }, (_, i) => `${(i / 100).toFixed(2)},0.1,0.2`).join('\n')}\n`;
  await rejects(
    {
      'labels.csv': editLabels((lines) => [...lines, 'records/two.csv,AF,p9,,']),
      'records/two.csv': twoLeads,
    },
    FormatError,
    /different lead counts: 12 record\(s\) have 1 lead\(s\), but 2 lead\(s\): records\/two\.csv \(line 14\)/,
  );
});

test(
  'custom end to end: 1-epoch tiny model -> ONNX -> evaluate --dataset custom, metrics equal scikit-learn',
  { skip: !hasSklearn && 'needs /usr/bin/python3 with scikit-learn' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-custom-run-'));
    try {
      const config = tinyConfig(join(dir, 'run'), {
        dataset: 'custom',
        data: fixture,
        epochs: 1,
        batchSize: 4,
        preprocess: { fs: null, bandpass: null, standardize: true },
      });
      const result = await train(config, await openCustom(fixture), { onNotice: () => {} });
      const onnx = join(dir, 'model.onnx');
      writeFileSync(onnx, exportCheckpoint(readCheckpoint(result.lastPath), result.lastPath, 'tiny'));
      const json = join(dir, 'eval.json');
      const run = await runCli(
        ['evaluate', '--model', onnx, '--dataset', 'custom', '--data', fixture, '--split', 'all'].concat([
          '--json',
          json,
          '--resamples',
          '0',
          '--threads',
          '1',
        ]),
      );
      assert.equal(run.error, null, run.error?.message);
      assert.match(run.stdout, /12 records, 3 classes \(single-label\)/);
      // A report is for sharing: its title names the data folder, not the path to it.
      assert.equal(run.stdout.includes(fixture), false, 'the data path is in the output');
      assert.match(run.stdout, new RegExp(`${basename(fixture.replace(/\/$/, ''))} — 12 records`));
      const saved = JSON.parse(readFileSync(json, 'utf8')) as {
        records: number;
        result: {
          classes: string[];
          macro_auroc: number;
          macro_auprc: number;
          f1_per_class: Record<string, number | null>;
          confusion: { counts: number[][] };
        };
      };
      assert.equal(saved.records, 12);
      assert.deepEqual(saved.result.classes, ['normal', 'other', 'AF']);
      // The reference: the Predictor's probabilities scored by scikit-learn.
      const dataset = await openCustom(fixture);
      const predictor = await Predictor.load(onnx, { name: 'tiny', threads: 1 });
      const scores: number[][] = [];
      try {
        for (const entry of dataset.entries) {
          const { probabilities } = await predictor.predict((await dataset.load(entry.id)).record);
          scores.push(dataset.classes.map((name) => probabilities[name]!));
        }
      } finally {
        await predictor.release();
      }
      const labels = dataset.entries.map((entry) => entry.labels[0]!);
      const script = `
import json, sys, numpy as np
from sklearn.metrics import roc_auc_score, average_precision_score, f1_score, confusion_matrix
d = json.load(sys.stdin); y = np.array(d['labels']); p = np.array(d['scores']); onehot = np.eye(3)[y]
print(json.dumps({'auroc': roc_auc_score(onehot, p, average='macro'),
  'auprc': average_precision_score(onehot, p, average='macro'),
  'f1': f1_score(y, p.argmax(1), labels=[0, 1, 2], average=None, zero_division=0).tolist(),
  'confusion': confusion_matrix(y, p.argmax(1), labels=[0, 1, 2]).tolist()}))`;
      const reference = JSON.parse(
        execFileSync('/usr/bin/python3', ['-c', script], {
          input: JSON.stringify({ labels, scores }),
          encoding: 'utf8',
        }),
      ) as { auroc: number; auprc: number; f1: number[]; confusion: number[][] };
      assert.ok(Math.abs(saved.result.macro_auroc - reference.auroc) < 1e-6);
      assert.ok(Math.abs(saved.result.macro_auprc - reference.auprc) < 1e-6);
      assert.deepEqual(saved.result.confusion.counts, reference.confusion);
      dataset.classes.forEach((name, c) => {
        const f1 = saved.result.f1_per_class[name] ?? 0; // null when a class is neither true nor predicted
        assert.ok(Math.abs(f1 - reference.f1[c]!) < 1e-9, name);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('a sex named like an Object.prototype member is a FormatError, not the prototype (fuzz labels-sex-constructor)', () => {
  for (const sex of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    assert.throws(
      () => parseLabelRows(`record,label,sex\nA001,AF,${sex}\n`, 'labels.csv'),
      (error: unknown) =>
        error instanceof FormatError &&
        error.message === `labels.csv: line 2: sex "${sex}" is not M, F or blank`,
      sex,
    );
  }
  assert.deepEqual(
    parseLabelRows('record,label,sex\nA001,AF,m\nA002,N,Female\nA003,N,\n', 'labels.csv').map((r) => r.sex),
    ['male', 'female', 'unknown'],
  );
});
