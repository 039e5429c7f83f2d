import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../src/datasets/csv.js';
import { CINC2021_SCORED } from '../../src/datasets/cinc2021-classes.js';
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

test('CinC 2020/21 seen by a PTB-XL model: its conduction classes -> CD; prolonged QT left out', () => {
  const classes = CINC2021_SCORED.map((diagnosis) => diagnosis.codes.join('|'));
  const index = (abbreviation: string) =>
    CINC2021_SCORED.findIndex((diagnosis) => diagnosis.abbreviation === abbreviation);
  const entry = (id: string, labels: string[]) => ({
    id,
    patientId: null,
    fold: null,
    split: 'train' as const,
    labels: labels.map(index).sort((a, b) => a - b),
    patient: { age: null, sex: 'unknown' as const, ageCapped: false },
  });
  const dataset = {
    name: 'cinc2021',
    root: 'x',
    classes,
    labelKind: 'multi-label' as const,
    entries: [entry('a', ['LAnFB', 'SB']), entry('b', ['LQT']), entry('c', ['NSIVCB']), entry('d', ['NSR'])],
    skipped: [],
    split: { method: 'none', parameters: {} },
    sourceFiles: () => [],
    load: () => Promise.reject(new Error('not used')),
  };
  const view = ptbxlSuperclassView(dataset, [...PTBXL_SUPERCLASSES])!;
  assert.deepEqual(view.dataset.classes, ['CD']);
  assert.deepEqual(
    view.dataset.entries.map((e) => e.labels),
    [[0], [], [0], []],
  );
  assert.deepEqual(Object.values(view.classMap), ['CD', 'CD', 'CD', 'CD', 'CD', 'CD']);
});
