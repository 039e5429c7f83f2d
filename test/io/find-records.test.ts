/**
 * predict inputs -> record files: folders (one file per record, index tables skipped), globs (streamed, in sorted
 * order), missing paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingFileError } from '../../src/errors.js';
import { expandInputs, globEntries, recordsUnder } from '../../src/io/find-records.js';

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

test('fuzz finding: a .hea of 40,000 blank lines is scanned at once (the multi-segment test crossed lines: ~4.6 s)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-blank-'));
  try {
    writeFileSync(join(dir, 'r.hea'), `${'\n'.repeat(40_000)}x`);
    assert.deepEqual(recordsUnder(dir), { files: [join(dir, 'r.hea')], skipped: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a multi-segment header is known by its record line after comments; one past the first 64 KiB is not', () => {
  const source = fileURLToPath(new URL('../fixtures/wfdb-multiseg/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'ecg-multiseg-'));
  try {
    for (const name of readdirSync(source).filter((n) => /\.(hea|dat)$/.test(n)))
      copyFileSync(join(source, name), join(dir, name));
    const master = readFileSync(join(source, 'ms.hea'), 'latin1');
    const names = () => recordsUnder(dir).files.map((f) => f.slice(dir.length + 1));
    writeFileSync(join(dir, 'ms.hea'), `# made by hand\n\n  \t\n#ms_0001/2 is no record line\n${master}`);
    assert.deepEqual(names(), ['ms.hea']);
    // The record line is looked for in the first 64 KiB only: past them, the segments count as records of their own.
    writeFileSync(join(dir, 'ms.hea'), `${'#\n'.repeat(40_000)}${master}`);
    assert.deepEqual(names(), ['ms.hea', 'ms_0001.hea', 'ms_0002.hea', 'ms_0003.hea', 'ms_layout.hea']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
