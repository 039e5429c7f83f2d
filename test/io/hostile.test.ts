/**
 * Every hostile input of issue 17 read through the library (readRecord from disk, readRecordFromFiles from bytes):
 * a typed error naming the problem, never a crash, an allocation the input does not pay for, or a read outside the
 * record's folder. Time and memory per case are measured by `npm run bench:fuzz` (no timed tests here).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EcgError, FormatError, MAX_MESSAGE_CHARS } from '../../src/errors.js';
import { readRecord, readRecordFromFiles } from '../../src/io/read.js';
import { builtCases, committedCases, HOSTILE_DIR } from '../helpers/hostile.js';

const rejectsTyped = (promise: Promise<unknown>, pattern: RegExp) =>
  assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof EcgError, `not a typed error: ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.length <= MAX_MESSAGE_CHARS);
    return true;
  });

describe('hostile records through the library', () => {
  for (const c of committedCases()) {
    it(`${c.name} (${c.why}): from disk`, () =>
      rejectsTyped(readRecord(join(HOSTILE_DIR, c.name, c.entry), c.options), c.error));
  }
  for (const c of [...committedCases(), ...builtCases()]) {
    // Dropped files carry no paths: names that leave the folder are simply not among them.
    const pattern = /leaves the record/.test(c.error.source) ? /not among the files/ : c.error;
    it(`${c.name}: as dropped files`, () => rejectsTyped(readRecordFromFiles(c.files, c.options), pattern));
  }
});

describe('file references from a header on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-hostile-'));
  const header = (name: string, dataFile: string) => {
    writeFileSync(join(dir, `${name}.hea`), `${name} 1 250 1000\n${dataFile} 16\n`);
    return join(dir, `${name}.hea`);
  };

  it('a FIFO is refused at once (opened without blocking, not a regular file)', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo.dat')]);
    await rejectsTyped(readRecord(header('fifo', 'fifo.dat')), /not a regular file/);
  });

  it('a symlink to a device is refused', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.dat'));
    await rejectsTyped(readRecord(header('zero', 'zero.dat')), /not a regular file/);
  });

  it('a directory is refused', async () => {
    await rejectsTyped(readRecord(header('dir', '.')), /not a regular file/);
  });

  it('"..": refused by default, followed when the caller opts in', async () => {
    const inner = join(dir, 'inner');
    execFileSync('mkdir', ['-p', inner]);
    writeFileSync(join(dir, 'up.dat'), new Uint8Array(2000));
    writeFileSync(join(inner, 'up.hea'), 'up 1 250 1000\n../up.dat 16\n');
    await rejectsTyped(readRecord(join(inner, 'up.hea')), /climbs out/);
    const record = await readRecord(join(inner, 'up.hea'), { allowOutsideFolder: true });
    assert.equal(record.signals[0]!.length, 1000);
  });

  it('a data file far larger than its header says is read only as far as the header accounts for', async () => {
    writeFileSync(join(dir, 'big.dat'), new Uint8Array(8 * 2 ** 20));
    writeFileSync(join(dir, 'big.hea'), 'big 1 250 10\nbig.dat 16\n');
    const record = await readRecord(join(dir, 'big.hea'));
    assert.equal(record.signals[0]!.length, 10);
  });

  it('a file above maxFileBytes is refused before it is read', async () => {
    writeFileSync(join(dir, 'wide.dat'), new Uint8Array(4096));
    await rejectsTyped(
      readRecord(header('wide', 'wide.dat'), { limits: { maxFileBytes: 1024 } }),
      /exceeds the limit of 1024 bytes/,
    );
  });

  it('the caller sets the budget: a record within the defaults is refused under a smaller one', async () => {
    writeFileSync(join(dir, 'ok.dat'), new Uint8Array(2000));
    await rejectsTyped(
      readRecord(header('ok', 'ok.dat'), { limits: { maxSamples: 999 } }),
      /exceeds the limit of 999 samples/,
    );
    await rejectsTyped(
      readRecord(header('ok', 'ok.dat'), { limits: { minFs: 300 } }),
      /accepted: 300 to 20000 Hz/,
    );
    assert.equal((await readRecord(header('ok', 'ok.dat'))).fs, 250);
  });
});

it('error messages are bounded: a 16 MiB cell is quoted as an excerpt', () =>
  assert.rejects(
    readRecordFromFiles(new Map([['r.csv', new TextEncoder().encode(`I\n1\n${'x'.repeat(2 ** 24)}\n`)]]), {
      fs: 250,
    }),
    (e: unknown) => e instanceof FormatError && e.message.length < 300,
  ));
