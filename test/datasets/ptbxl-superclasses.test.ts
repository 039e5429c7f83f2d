import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../src/datasets/csv.js';
import { openCpsc2018 } from '../../src/datasets/cpsc2018.js';
import {
  ptbxlSuperclassView,
  PTBXL_SUPERCLASSES,
  SCP_STATEMENT_OF,
  SCP_SUPERCLASS,
} from '../../src/datasets/ptbxl-superclasses.js';

const statements = fileURLToPath(new URL('../fixtures/datasets/ptbxl/scp_statements.csv', import.meta.url));

test("the statement table is PTB-XL's own: each statement's diagnostic_class in scp_statements.csv", () => {
  const [header, ...rows] = parseCsv(readFileSync(statements, 'utf8'), statements);
  const classColumn = header!.indexOf('diagnostic_class');
  const classOf = new Map(rows.map((row) => [row[0]!, row[classColumn]! || null]));
  for (const [statement, superclass] of Object.entries(SCP_SUPERCLASS)) {
    assert.ok(classOf.has(statement), `${statement} is a PTB-XL statement`);
    assert.equal(superclass, classOf.get(statement), statement);
  }
  for (const map of Object.values(SCP_STATEMENT_OF))
    for (const statement of Object.values(map)) assert.ok(statement in SCP_SUPERCLASS, statement);
});

test('CPSC 2018 seen by a PTB-XL model: Normal -> NORM, I-AVB/LBBB/RBBB -> CD, others unscored', async () => {
  const dataset = await openCpsc2018(
    fileURLToPath(new URL('../fixtures/datasets/cpsc2018/original', import.meta.url)),
  );
  const view = ptbxlSuperclassView(dataset, [...PTBXL_SUPERCLASSES])!;
  assert.deepEqual(view.classMap, { Normal: 'NORM', 'I-AVB': 'CD', LBBB: 'CD', RBBB: 'CD' });
  assert.deepEqual(view.dataset.classes, ['NORM', 'CD']);
  // A0001 is AF + RBBB (CD), A0002 Normal.
  assert.deepEqual(
    view.dataset.entries.map((entry) => [entry.id, entry.labels.map((i) => view.dataset.classes[i])]),
    [
      ['A0001', ['CD']],
      ['A0002', ['NORM']],
    ],
  );
  assert.equal(view.dataset.labelKind, 'multi-label');
  // A model without those classes, or a dataset without a map: no view.
  assert.equal(ptbxlSuperclassView(dataset, ['MI', 'HYP']), null);
  assert.equal(ptbxlSuperclassView({ ...dataset, name: 'custom' }, [...PTBXL_SUPERCLASSES]), null);
  assert.equal(ptbxlSuperclassView(dataset, ['N', 'A', 'O', '~']), null);
});
