import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpsc2018LabelsOfDx, openCpsc2018 } from '../../src/datasets/cpsc2018.js';
import { openCinc2021 } from '../../src/datasets/cinc2021.js';
import {
  CINC2021_CLASSES,
  CINC2021_SCORED,
  CPSC2018_CLASS_OF_SNOMED,
  scoredClassesOfDx,
} from '../../src/datasets/cinc2021-classes.js';
import { parseCpsc2018Reference } from '../../src/datasets/references.js';
import { FormatError, MissingFileError } from '../../src/errors.js';
import { cpsc2018Confusion } from '../../src/eval/challenges.js';

const fixture = fileURLToPath(new URL('../fixtures/datasets/cpsc2018/', import.meta.url));
/** scipy's view of the fixture records (make_fixtures.py). */
const golden = JSON.parse(readFileSync(`${fixture}golden.json`, 'utf8')) as Record<
  string,
  { age: number; sex: string; first: number[]; last: number[]; val_first_mV: number[]; length: number }
>;

test('CPSC 2018 original layout: REFERENCE.csv labels 1-9, missing .mat skipped, age/sex from the .mat on load', async () => {
  const dataset = await openCpsc2018(`${fixture}original`);
  assert.deepEqual(dataset.classes, ['Normal', 'AF', 'I-AVB', 'LBBB', 'RBBB', 'PAC', 'PVC', 'STD', 'STE']);
  assert.deepEqual(
    dataset.entries.map((e) => [e.id, e.labels.map((i) => dataset.classes[i])]),
    [
      ['A0001', ['AF', 'RBBB']],
      ['A0002', ['Normal']],
    ],
  );
  assert.deepEqual(dataset.skipped, [{ id: 'A0003', reason: 'record file missing (.mat)' }]);
  const { entry, record } = await dataset.load('A0001');
  assert.deepEqual(entry.patient, { age: golden.A0001?.age, sex: golden.A0001?.sex, ageCapped: false });
  assert.equal(record.fs, 500);
  assert.equal(record.signals.length, 12);
  assert.equal(record.signals[0]?.length, golden.A0001?.length);
  record.signals.forEach((signal, lead) => {
    assert.ok(Math.abs((signal[0] as number) - (golden.A0001?.first[lead] as number)) < 1e-6);
    assert.ok(Math.abs((signal.at(-1) as number) - (golden.A0001?.last[lead] as number)) < 1e-6);
  });
});

test('CPSC 2018 in the CinC 2020 WFDB layout maps #Dx SNOMED codes back to the nine classes', async () => {
  const dataset = await openCpsc2018(`${fixture}wfdb`);
  assert.deepEqual(
    dataset.entries.map((e) => [e.id, e.labels.map((i) => dataset.classes[i]), e.patient.age, e.patient.sex]),
    [
      ['A0001', ['AF', 'RBBB'], 52, 'male'],
      ['A0002', ['Normal'], golden.A0002?.age, golden.A0002?.sex],
    ],
  );
  const { record } = await dataset.load('A0002');
  record.signals.forEach((signal, lead) =>
    assert.ok(Math.abs((signal[0] as number) - (golden.A0002?.val_first_mV[lead] as number)) < 1e-6),
  );
});

test('CinC 2021 adapter: scored classes with equivalent codes merged', async () => {
  assert.equal(CINC2021_SCORED.length, 26);
  assert.equal(new Set(CINC2021_SCORED.flatMap((d) => d.codes)).size, 30);
  assert.equal(CINC2021_CLASSES[4], '733534002|164909002');
  const rbbb = CINC2021_CLASSES.indexOf('713427006|59118001');
  assert.deepEqual(scoredClassesOfDx('59118001, 713427006,999'), [rbbb]);
  const dataset = await openCinc2021(`${fixture}wfdb`);
  assert.deepEqual(
    dataset.entries.map((e) => e.labels.map((i) => CINC2021_SCORED[i]?.abbreviation)),
    [['AF', 'CRBBB|RBBB'], ['NSR']],
  );
});

test("CPSC 2018 labels keep REFERENCE.csv's and #Dx's order: the score counts a miss in the FIRST label's row", () => {
  // A0001: First_label 9 (STE), Second_label 2 (AF). Sorted, AF would take a miss on STE's row.
  const parsed = parseCpsc2018Reference(
    'Recording,First_label,Second_label,Third_label\nA0001,9,2,\nA0002,3,1,3\n',
    'REFERENCE.csv',
  );
  assert.deepEqual(parsed.get('A0001'), [8, 1]);
  assert.deepEqual(parsed.get('A0002'), [2, 0], 'duplicates dropped, order kept');
  const ste = Object.entries(CPSC2018_CLASS_OF_SNOMED).find(([, index]) => index === 8)![0];
  const af = Object.entries(CPSC2018_CLASS_OF_SNOMED).find(([, index]) => index === 1)![0];
  assert.deepEqual(cpsc2018LabelsOfDx(`${ste},${af}`), [8, 1]);
  assert.deepEqual(cpsc2018LabelsOfDx(`${af},${ste}`), [1, 8]);
  // Predicted Normal on A0001 (a miss): counted in STE's row, as the official score script does.
  const matrix = cpsc2018Confusion([parsed.get('A0001')!], [0]);
  assert.equal(matrix.counts[8]![0], 1);
  assert.equal(matrix.counts[1]![0], 0);
});

test('CPSC 2018 errors name the file', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'eecg-cpsc-'));
  try {
    await assert.rejects(
      openCpsc2018(empty),
      (error: unknown) =>
        error instanceof MissingFileError && error.message.startsWith(join(empty, 'REFERENCE.csv')),
    );
  } finally {
    rmSync(empty, { recursive: true });
  }
  assert.throws(
    () => parseCpsc2018Reference('Recording,First_label\nA0001,10\n', 'REFERENCE.csv'),
    (error: unknown) => {
      assert.ok(error instanceof FormatError);
      assert.match(error.message, /^REFERENCE\.csv: line 2: expected a record and 1-3 labels in 1-9/);
      return true;
    },
  );
  assert.throws(
    () => parseCpsc2018Reference('record,label\n', 'REFERENCE.csv'),
    /REFERENCE\.csv: expected the header/,
  );
});

test('#Dx codes named like Object.prototype members are unknown codes, not class indices (fuzz cpsc-dx-constructor)', () => {
  assert.deepEqual(cpsc2018LabelsOfDx('constructor,426783006'), [0]);
  assert.deepEqual(cpsc2018LabelsOfDx('__proto__, toString ,hasOwnProperty,valueOf'), []);
  assert.deepEqual(cpsc2018LabelsOfDx(' 164889003 ,x'), [1]);
});
