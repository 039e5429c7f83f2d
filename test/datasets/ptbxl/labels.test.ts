import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  aggregatePtbxlLabels,
  parsePtbxlDatabase,
  parseScpStatements,
  ptbxlClasses,
  ptbxlSplit,
  PTBXL_LABEL_SETS,
} from '../../../src/datasets/ptbxl/labels.js';
import { FormatError } from '../../../src/errors.js';

const fixture = new URL('../../fixtures/datasets/ptbxl/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixture), 'utf8');
/** Labels computed by golden.py (Python csv + ast.literal_eval, the benchmark's aggregation). */
const golden = JSON.parse(read('golden.json')) as {
  records: Record<
    string,
    {
      labels: Record<string, string[]>;
      fold: number;
      patient_id: string;
      age: number;
      age_capped: boolean;
      sex: string;
    }
  >;
  thresholded_superdiagnostic_50: Record<string, string[]>;
};
const statements = parseScpStatements(read('scp_statements.csv'), 'scp_statements.csv');
const rows = parsePtbxlDatabase(read('ptbxl_database.csv'), 'ptbxl_database.csv');

test('scp_statements.csv: 71 statements with their categories', () => {
  assert.equal(statements.size, 71);
  assert.deepEqual(statements.get('IMI'), {
    code: 'IMI',
    diagnostic: true,
    form: false,
    rhythm: false,
    diagnosticClass: 'MI',
    diagnosticSubclass: 'IMI',
  });
  assert.equal(statements.get('SR')?.rhythm, true);
  assert.equal(statements.get('NDT')?.form, true);
});

test('every fixture record aggregates to the golden labels of every label set', () => {
  assert.equal(rows.length, Object.keys(golden.records).length);
  for (const row of rows) {
    const expected = golden.records[String(row.ecgId)];
    assert.ok(expected, `ecg_id ${row.ecgId} in golden`);
    for (const set of PTBXL_LABEL_SETS) {
      assert.deepEqual(
        aggregatePtbxlLabels(row.scpCodes, statements, set),
        expected.labels[set],
        `${row.ecgId} ${set}`,
      );
    }
    assert.deepEqual(
      aggregatePtbxlLabels(row.scpCodes, statements, 'superdiagnostic', 50),
      golden.thresholded_superdiagnostic_50[String(row.ecgId)],
    );
    assert.equal(row.stratFold, expected.fold);
    assert.equal(row.patientId, expected.patient_id);
    assert.deepEqual(row.patient, { age: expected.age, sex: expected.sex, ageCapped: expected.age_capped });
  }
});

test('age 300 means older than 89: mapped to 90 with a flag', () => {
  const row = rows.find((r) => r.ecgId === 108);
  assert.deepEqual(row?.patient, { age: 90, sex: row?.patient.sex, ageCapped: true });
});

test('class lists come from scp_statements, in a fixed saved order', () => {
  assert.deepEqual(ptbxlClasses(statements, 'superdiagnostic'), ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  assert.equal(ptbxlClasses(statements, 'all').length, 71);
  assert.equal(ptbxlClasses(statements, 'diagnostic').length, 44);
  assert.equal(ptbxlClasses(statements, 'subdiagnostic').length, 23);
  assert.equal(ptbxlClasses(statements, 'form').length, 19);
  assert.equal(ptbxlClasses(statements, 'rhythm').length, 12);
});

test('official split: folds 1-8 train, 9 val, 10 test', () => {
  assert.deepEqual([1, 8, 9, 10].map(ptbxlSplit), ['train', 'train', 'val', 'test']);
});

test('bad rows are FormatErrors naming the file and the record', () => {
  const header = 'ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr\n';
  assert.throws(
    () => parsePtbxlDatabase(`${header}5,1.0,40,2,{},3,a,b\n`, 'db.csv'),
    /db\.csv: ecg_id 5: sex must be 0/,
  );
  assert.throws(
    () => parsePtbxlDatabase(`${header}5,1.0,40,0,{},11,a,b\n`, 'db.csv'),
    /db\.csv: ecg_id 5: strat_fold must be 1-10/,
  );
  assert.throws(() => parsePtbxlDatabase(`${header}5,1.0,forty,0,{},3,a,b\n`, 'db.csv'), FormatError);
  assert.throws(
    () => parsePtbxlDatabase('ecg_id,age\n1,2\n', 'db.csv'),
    /db\.csv: missing column\(s\) patient_id/,
  );
});

test('scp_statements.csv: a diagnostic_class outside the five superclasses is a FormatError naming the statement (fuzz ptbxl-bad-class)', () => {
  const text = read('scp_statements.csv');
  const edited = (from: string, to: string) => {
    assert.ok(text.includes(from), from);
    return text.replace(from, to);
  };
  // Before, NORM's class "Norm" became label index -1 on every normal record.
  assert.throws(
    () => parseScpStatements(edited(',1.0,,,NORM,NORM,', ',1.0,,,Norm,NORM,'), 'scp_statements.csv'),
    (error: unknown) =>
      error instanceof FormatError &&
      error.message ===
        'scp_statements.csv: row 6: statement NORM has diagnostic_class "Norm", not one of NORM, MI, STTC, CD, HYP',
  );
  assert.throws(
    () => parseScpStatements(edited(',1.0,,,NORM,NORM,', ',1.0,,,,NORM,'), 'scp_statements.csv'),
    /scp_statements\.csv: row 6: diagnostic statement NORM has no diagnostic_class/,
  );
  assert.throws(
    () => parseScpStatements(`${text.trimEnd()}\n${text.split('\n')[5]}\n`, 'scp_statements.csv'),
    /scp_statements\.csv: row 73: statement NORM is already listed on row 6/,
  );
  // Non-diagnostic statements (empty diagnostic_class) keep working: the fixture has 27 of them.
  const nonDiagnostic = [...statements.values()].filter((s) => !s.diagnostic);
  assert.equal(nonDiagnostic.length, 27);
  assert.ok(nonDiagnostic.every((s) => s.diagnosticClass === null));
});

test('ptbxl_database.csv: an ecg_id listed twice is a FormatError, not one record in two splits (fuzz ptbxl-dup)', () => {
  const header = 'ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr\n';
  assert.throws(
    () =>
      parsePtbxlDatabase(
        `${header}1,1.0,40,0,{},3,a,b\n2,2.0,41,1,{},3,c,d\n1,1.0,40,0,{},10,a,b\n`,
        'ptbxl_database.csv',
      ),
    (error: unknown) =>
      error instanceof FormatError &&
      error.message === 'ptbxl_database.csv: row 4: ecg_id 1 is already listed on row 2',
  );
  // "1" and "1.0" are the same ecg_id.
  assert.throws(
    () => parsePtbxlDatabase(`${header}1,1.0,40,0,{},3,a,b\n1.0,1.0,40,0,{},10,a,b\n`, 'db.csv'),
    /db\.csv: row 3: ecg_id 1 is already listed on row 2/,
  );
});
