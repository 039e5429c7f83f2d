import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE15_CLASSES, openCode15, parseExamsCsv } from '../../src/datasets/code15.js';
import { DATASETS } from '../../src/datasets/index.js';
import { FormatError } from '../../src/errors.js';

const fixture = fileURLToPath(new URL('../fixtures/datasets/code15/', import.meta.url));

test('CODE-15 layout: exams.csv + exams_part0.hdf5, six abnormalities, age/sex, missing parts and exams skipped', async () => {
  const dataset = await DATASETS.code15.open(fixture);
  assert.equal(dataset.name, 'code15');
  assert.deepEqual(dataset.classes, ['1dAVb', 'RBBB', 'LBBB', 'SB', 'AF', 'ST']);
  assert.equal(dataset.labelKind, 'multi-label');
  assert.deepEqual(
    dataset.entries.map((e) => [e.id, e.patientId, e.labels.map((i) => dataset.classes[i]), e.patient]),
    [
      ['1000001', '501', [], { age: 52, sex: 'male', ageCapped: false }],
      ['1000002', '502', ['RBBB'], { age: 48, sex: 'female', ageCapped: false }],
    ],
  );
  assert.deepEqual(dataset.skipped, [
    { id: '1000003', reason: 'trace file exams_part1.hdf5 missing' },
    { id: '1000004', reason: 'not in exams_part0.hdf5' },
  ]);
  assert.equal(dataset.split.parameters['groupBy'], 'patient');
  const { entry, record } = await dataset.load('1000002');
  assert.equal(entry.id, '1000002');
  assert.equal(record.fs, 400);
  assert.equal(record.signals.length, 12);
  assert.deepEqual(dataset.sourceFiles('1000002'), [
    join(fixture, 'exams_part0.hdf5'),
    join(fixture, 'exams.csv'),
  ]);
});

test('CODE-15 folds keep a patient together', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'code15-'));
  try {
    symlinkSync(join(fixture, 'exams_part0.hdf5'), join(dir, 'exams_part0.hdf5'));
    // Both exams of the fixture's part given to one patient, plus labels on every class.
    writeFileSync(
      join(dir, 'exams.csv'),
      'exam_id,age,is_male,1dAVb,RBBB,LBBB,SB,ST,AF,patient_id,trace_file\n' +
        '1000001,52,True,True,False,False,False,False,False,7,exams_part0.hdf5\n' +
        '1000002,48,True,False,False,True,False,False,True,7,exams_part0.hdf5\n',
    );
    const dataset = await openCode15(dir, { split: { folds: 2, valFold: 1 } });
    const [a, b] = dataset.entries;
    assert.equal(a!.fold, b!.fold);
    assert.deepEqual(
      b!.labels.map((i) => CODE15_CLASSES[i]),
      ['LBBB', 'AF'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated part (a partial download) and a repeated exam_id are skipped with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'code15-'));
  try {
    symlinkSync(join(fixture, 'exams_part0.hdf5'), join(dir, 'exams_part0.hdf5'));
    writeFileSync(
      join(dir, 'exams_part1.hdf5'),
      readFileSync(join(fixture, 'exams_part0.hdf5')).subarray(0, 5000),
    );
    writeFileSync(
      join(dir, 'exams.csv'),
      'exam_id,age,is_male,1dAVb,RBBB,LBBB,SB,ST,AF,patient_id,trace_file\n' +
        '1000001,52,True,True,False,False,False,False,False,7,exams_part0.hdf5\n' +
        '1000001,52,True,True,False,False,False,False,False,7,exams_part0.hdf5\n' +
        '1000002,48,True,False,False,True,False,False,True,8,exams_part0.hdf5\n' +
        '5,40,False,False,False,False,False,False,False,9,exams_part1.hdf5\n',
    );
    const dataset = await openCode15(dir);
    assert.deepEqual(
      dataset.entries.map((e) => e.id),
      ['1000001', '1000002'],
    );
    assert.equal(dataset.skipped[0]!.reason, 'exam_id listed twice in exams.csv');
    assert.match(
      dataset.skipped[1]!.reason,
      /^trace file exams_part1\.hdf5 unreadable \(.*exams_part1\.hdf5: cannot open as HDF5/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exams.csv problems are FormatErrors naming file, line and column', () => {
  const header = 'exam_id,age,is_male,1dAVb,RBBB,LBBB,SB,ST,AF,patient_id,trace_file\n';
  const cases: [string, RegExp][] = [
    ['exam_id,age\n1,2\n', /exams\.csv: missing column\(s\) is_male, patient_id, trace_file, 1dAVb/],
    [`${header}12,50,yes,False,False,False,False,False,False,1,p.hdf5\n`, /line 2, column is_male: "yes"/],
    [`${header}x12,50,True,False,False,False,False,False,False,1,p.hdf5\n`, /line 2: exam_id "x12"/],
    [`${header}12,-4,True,False,False,False,False,False,False,1,p.hdf5\n`, /line 2: age "-4"/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseExamsCsv(text, 'dir/exams.csv'),
      (error: unknown) => error instanceof FormatError && message.test(error.message),
    );
});
