// Nested matrices cost heap whatever they hold: a small compressed file with a cell of millions of empty matrices
// (8 bytes each once inflated) must end in the decoded-budget FormatError, not exhaust the heap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zlibSync } from 'fflate';
import { FormatError } from '../../../src/errors.js';
import { parseMat } from '../../../src/io/mat/index.js';

function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, true));
  return out;
}

/** A compressed level 5 file holding `c`, a 1 x n cell (or struct with one field) of empty miMATRIX elements. */
function childrenFile(n: number, kind: 'cell' | 'struct'): Uint8Array {
  const parts: Uint8Array[] = [
    u32(6, 8, kind === 'cell' ? 1 : 2, 0), // array flags
    u32(5, 8, 1, n), // dims 1 x n
    new Uint8Array([1, 0, 1, 0, 0x63, 0, 0, 0]), // name 'c' (small element)
  ];
  // One field, 'f': names 8 bytes long (small miINT32 element), then one name padded to 8 bytes.
  if (kind === 'struct')
    parts.push(new Uint8Array([5, 0, 4, 0, 8, 0, 0, 0]), u32(1, 8), Uint8Array.of(0x66, 0, 0, 0, 0, 0, 0, 0));
  const children = new Uint8Array(8 * n);
  for (let i = 0; i < n; i++) children[8 * i] = 14; // empty miMATRIX: type 14, 0 bytes
  parts.push(children);
  const body = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  parts.reduce((at, p) => (body.set(p, at), at + p.length), 0);
  const matrix = new Uint8Array(8 + body.length);
  matrix.set(u32(14, body.length));
  matrix.set(body, 8);
  const compressed = zlibSync(matrix, { level: 9 });
  const header = new Uint8Array(128).fill(32);
  header.set(new TextEncoder().encode('MATLAB 5.0 MAT-file'));
  header.set([0, 1, 0x49, 0x4d], 124); // version 0x0100, "IM": little endian
  const file = new Uint8Array(128 + 8 + compressed.length);
  file.set(header);
  file.set(u32(15, compressed.length), 128);
  file.set(compressed, 136);
  return file;
}

test('a cell or struct of many empty matrices is charged per child and refused with the decoded-budget error', () => {
  const limits = { maxSamples: 2 ** 14 }; // 64 KiB decoded: 256 children at 256 bytes each
  for (const kind of ['cell', 'struct'] as const) {
    const small = parseMat(childrenFile(200, kind), `${kind}-small.mat`, { limits });
    assert.equal(small.variables.get('c')?.kind, kind);
    assert.throws(
      () => parseMat(childrenFile(5000, kind), `${kind}-bomb.mat`, { limits }),
      (e: unknown) =>
        e instanceof FormatError &&
        e.source === `${kind}-bomb.mat` &&
        /reading 5000 (cells|struct fields) needs 1280000 bytes; the file's budget has 65536 left/.test(
          e.message,
        ),
      kind,
    );
  }
});

test('the default budget refuses a 2 million cell bomb of 24 kB at once', () => {
  const bomb = childrenFile(2_000_000, 'cell');
  assert.ok(bomb.length < 64_000, `${bomb.length} bytes`);
  const started = Date.now();
  assert.throws(() => parseMat(bomb, 'bomb.mat'), /reading 2000000 cells needs 512000000 bytes/);
  assert.ok(Date.now() - started < 5000);
});
