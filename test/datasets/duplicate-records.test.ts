/**
 * A record listed twice is refused with the line, as CinC 2017's REFERENCE.csv parser refuses it: CPSC 2018's
 * REFERENCE.csv silently kept the second row's labels, and a repeated line in CinC 2017's RECORDS made two entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCinc2017 } from '../../src/datasets/cinc2017.js';
import { parseCpsc2018Reference } from '../../src/datasets/references.js';
import { FormatError } from '../../src/errors.js';

const cinc2017 = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));

test('CPSC 2018 REFERENCE.csv: a record listed twice is a FormatError naming the line', () => {
  const text = 'Recording,First_label,Second_label,Third_label\nA0001,1,,\nA0002,2,,\nA0001,3,,\n';
  assert.throws(
    () => parseCpsc2018Reference(text, 'REFERENCE.csv'),
    (error: unknown) =>
      error instanceof FormatError && error.message === 'REFERENCE.csv: line 4: record A0001 listed twice',
  );
});

test('CinC 2017 RECORDS: a record listed twice is a FormatError naming both lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-cinc2017-records-'));
  try {
    cpSync(cinc2017, dir, { recursive: true });
    const records = readFileSync(join(dir, 'RECORDS'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'RECORDS'), `${[...records, '', records[1]].join('\n')}\n`);
    await assert.rejects(openCinc2017(dir), (error: unknown) => {
      assert.ok(error instanceof FormatError, String(error));
      assert.equal(
        error.message,
        `${join(dir, 'RECORDS')}: line ${records.length + 2}: record ${records[1]} is already listed on line 2`,
      );
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
