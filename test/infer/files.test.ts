/** predict inputs -> record files: folders (one file per record, index tables skipped), globs, missing paths. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingFileError } from '../../src/errors.js';
import { expandInputs } from '../../src/infer/files.js';

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
      writeFileSync(join(dir, name), '');
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
