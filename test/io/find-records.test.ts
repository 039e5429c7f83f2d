/**
 * predict inputs -> record files: folders (one file per record, index tables skipped), globs (streamed, in sorted
 * order), missing paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingFileError } from '../../src/errors.js';
import { expandInputs, globEntries } from '../../src/io/find-records.js';

test('folders give one file per record; globs match under their fixed prefix; a missing path is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-files-'));
  try {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    for (const name of [
      'A1.hea',
      'A1.mat',
      'B2.mat',
      'REFERENCE.csv',
      'x.csv',
      'notes.txt',
      'a/b/100.hea',
      'a/b/100.dat',
      'a/b/100.atr',
      'a/ptbxl_database.csv',
    ]) {
      writeFileSync(join(dir, name), name.endsWith('.csv') ? '0.1,0.2\n' : '');
    }
    const names = (files: string[]) => files.map((f) => f.slice(dir.length + 1));
    assert.deepEqual(names(expandInputs([dir])), ['A1.hea', 'B2.mat', 'a/b/100.hea', 'x.csv']);
    assert.deepEqual(names(expandInputs([join(dir, '[AB]*.*')])), ['A1.hea', 'A1.mat', 'B2.mat']);
    assert.deepEqual(names(expandInputs([join(dir, '**/*.hea')])), ['A1.hea', 'a/b/100.hea']);
    assert.deepEqual(
      names(expandInputs([join(dir, 'A1.hea'), join(dir, 'A?.hea')])),
      ['A1.hea'],
      'no duplicates',
    );
    assert.throws(() => expandInputs([join(dir, 'missing.hea')]), MissingFileError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a glob streams its matches in sorted path order: the walk is lazy, not a list built first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-glob-'));
  try {
    // "b.hea" sorts before "b/..." and "b-x/" after: a folder's paths fall where "name/" sorts.
    for (const name of ['a/1.hea', 'b.hea', 'b/2.hea', 'b/c/3.hea', 'b-x/4.hea', 'd/5.hea', 'd/6.dat']) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), name.endsWith('.csv') ? '0.1,0.2\n' : '');
    }
    const pattern = join(dir, '**/*.hea');
    const names = (files: Iterable<string>) => [...files].map((f) => f.slice(dir.length + 1));
    const streamed = names(globEntries(pattern));
    assert.deepEqual(streamed, ['a/1.hea', 'b-x/4.hea', 'b.hea', 'b/2.hea', 'b/c/3.hea', 'd/5.hea']);
    assert.deepEqual(streamed, [...streamed].sort(), 'the order a sorted list would have');
    assert.deepEqual(names(expandInputs([pattern])), streamed);

    // Lazy: a record added to a folder the walk has not reached yet after the first match is still found, one
    // added to a folder already passed is not.
    const matches = globEntries(pattern);
    assert.equal(names([matches.next().value as string])[0], 'a/1.hea');
    writeFileSync(join(dir, 'a', '0.hea'), '');
    writeFileSync(join(dir, 'd', '7.hea'), '');
    assert.deepEqual(names({ [Symbol.iterator]: () => matches }), [
      'b-x/4.hea',
      'b.hea',
      'b/2.hea',
      'b/c/3.hea',
      'd/5.hea',
      'd/7.hea',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
