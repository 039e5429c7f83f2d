/**
 * writeFileAtomic's failures a user can act on are typed and name the target (the system's own message names the
 * temporary file beside it); nothing is left behind, and the previous file stays whole.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskFullError, WriteError } from '../../src/errors.js';
import { writeFailure, writeFileAtomic } from '../../src/util/atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'ecg-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(path: string, pattern: RegExp): void {
  assert.throws(
    () => writeFileAtomic(path, 'new'),
    (error: unknown) =>
      error instanceof WriteError &&
      !(error instanceof DiskFullError) &&
      error.path === path &&
      pattern.test(error.message) &&
      !error.message.includes('.tmp'),
  );
}

test('a missing folder, a file as a parent, a folder as the target: WriteError naming the target', () => {
  refused(
    join(dir, 'missing', 'out.json'),
    /out\.json: cannot write it: its folder does not exist \(ENOENT\)/,
  );
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'old');
  refused(join(file, 'out.json'), /a parent of it is a file, not a folder \(ENOTDIR\)/);
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  refused(folder, /a folder is in its place \(EISDIR\)/);
  assert.deepEqual(readdirSync(dir).sort(), ['folder', 'plain.txt'], 'no temporary file left behind');
  assert.equal(readFileSync(file, 'utf8'), 'old');
});

test('writeFailure: disk full stays a DiskFullError (a WriteError too); other errors pass through unchanged', () => {
  const full = writeFailure(Object.assign(new Error('x'), { code: 'ENOSPC' }), '/a/b.json', 'old runs');
  assert.ok(full instanceof DiskFullError && full instanceof WriteError);
  assert.match(full.message, /^\/a\/b\.json: the disk is full \(ENOSPC\).*: old runs/);
  const denied = writeFailure(Object.assign(new Error('x'), { code: 'EACCES' }), '/a/b.json');
  assert.ok(denied instanceof WriteError);
  assert.match(denied.message, /no permission to write it \(EACCES\)/);
  const other = new Error('a fault hook');
  assert.equal(writeFailure(other, '/a/b.json'), other);
  assert.equal(writeFailure(null, '/a/b.json'), null);
});
