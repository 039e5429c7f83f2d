import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../../../src/errors.js';
import { readRecord } from '../../../src/io/index.js';
import { parseMat, readMatRecord, type MatValue, type MatNumeric } from '../../../src/io/mat/index.js';
import { seededRandom } from '../../../src/util/random.js';

const FIXTURES = new URL('../../fixtures/mat/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden.json is free-form, checked field by field
type Json = Record<string, any>;
type Golden = Record<string, Json>;
const golden: Golden = JSON.parse(readFileSync(new URL('golden.json', FIXTURES), 'utf8'));

/** scipy dtype name of each class (scipy loads logical as uint8). */
const DTYPE: Record<string, string> = {
  double: 'float64',
  single: 'float32',
  logical: 'uint8',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
};

function numeric(value: MatValue | undefined): MatNumeric {
  assert.equal(value?.kind, 'numeric');
  return value as MatNumeric;
}

function assertMatchesScipy(value: MatValue | undefined, expected: Record<string, unknown>, label: string) {
  const matrix = numeric(value);
  const dtype = expected.dtype as string;
  assert.deepEqual(matrix.dims, expected.shape, `${label} dims`);
  if (dtype.startsWith('complex')) {
    assert.deepEqual(Array.from(matrix.real, Number), expected.real, `${label} real`);
    assert.deepEqual(Array.from(matrix.imag!, Number), expected.imag, `${label} imag`);
    return;
  }
  assert.equal(DTYPE[matrix.class], dtype === 'bool' ? 'uint8' : dtype, `${label} class`);
  const values = Array.from(matrix.real as ArrayLike<number | bigint>, (v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  assert.deepEqual(values, expected.values, `${label} values`);
}

function charRows(value: MatValue | undefined): string[] {
  assert.equal(value?.kind, 'char');
  return value.kind === 'char' ? value.rows : [];
}

test('level 4: every type code in both byte orders, complex and text, as scipy reads them', () => {
  for (const name of ['v4_types_le.mat', 'v4_types_be.mat']) {
    const file = parseMat(fixture(name), name);
    assert.equal(file.level, 4);
    assert.equal(file.littleEndian, name.includes('_le'));
    const expected = golden[name]!;
    for (const variable of ['m_d', 'm_f', 'm_i', 'm_h', 'm_H', 'm_B', 'z']) {
      assertMatchesScipy(file.variables.get(variable), expected[variable], `${name} ${variable}`);
    }
    assert.deepEqual(charRows(file.variables.get('txt')), expected.txt.rows);
  }
});

test('level 5: numeric classes, logical, complex, N-D, char, struct, cell, empty (plain and compressed)', () => {
  for (const name of ['v5_variety.mat', 'v5_variety_z.mat']) {
    const file = parseMat(fixture(name), name);
    assert.equal(file.level, 5);
    assert.match(file.header, /^MATLAB 5\.0 MAT-file/);
    const expected = golden[name]!;
    for (const key of [
      'd',
      'f',
      'i8',
      'u8',
      'i16',
      'u16',
      'i32',
      'u32',
      'i64',
      'u64',
      'b',
      'c',
      'cube',
      'empty',
    ]) {
      assertMatchesScipy(file.variables.get(key), expected[key], `${name} ${key}`);
    }
    assert.equal(numeric(file.variables.get('b')).class, 'logical');
    assert.deepEqual(charRows(file.variables.get('s')), expected.s.rows);
    assert.deepEqual(charRows(file.variables.get('chars')), expected.chars.rows);

    const nested = file.variables.get('nested');
    assert.ok(nested?.kind === 'struct');
    assert.deepEqual(nested.dims, [1, 1]);
    const top = nested.elements[0]!;
    assertMatchesScipy(top.get('x'), expected.nested.x, 'nested.x');
    const inner = top.get('inner');
    assert.ok(inner?.kind === 'struct');
    assertMatchesScipy(inner.elements[0]!.get('leaf'), expected.nested.leaf, 'nested.inner.leaf');
    assert.deepEqual(charRows(inner.elements[0]!.get('name')), [expected.nested.name]);

    const cell = file.variables.get('cell');
    assert.ok(cell?.kind === 'cell');
    assert.deepEqual(cell.dims, expected.cell.shape);
    assertMatchesScipy(cell.cells[0], expected.cell.first, 'cell{1}');
    assert.deepEqual(charRows(cell.cells[1]), [expected.cell.second]);
    assertMatchesScipy(cell.cells[2], expected.cell.third, 'cell{3}');
  }
});

test('level 5 big endian, small data elements, doubles stored as smaller integers (read as double)', () => {
  const name = 'v5_big_endian.mat';
  const file = parseMat(fixture(name), name);
  const expected = golden[name]!;
  assert.equal(file.littleEndian, false);
  assertMatchesScipy(file.variables.get('d'), expected.d, 'd');
  assertMatchesScipy(file.variables.get('i16'), expected.i16, 'i16');
  assert.deepEqual(charRows(file.variables.get('s')), expected.s.rows);
  // scipy reports the storage type (uint8, int16); MATLAB, and this reader, give the class: double.
  const record = readMatRecord(fixture(name), name);
  assert.equal(record.sex, 'female');
  assert.equal(record.age, expected.ECG.age.values[0]);
  assert.equal(record.signals.length, 12);
  const data: number[] = expected.ECG.data.values;
  record.signals.forEach((lead, l) =>
    assert.deepEqual(
      Array.from(lead),
      [0, 1, 2].map((c) => data[l + 12 * c]),
    ),
  );
});

function assertSignalsMatch(signals: Float32Array[], expected: Json, scale = 1) {
  assert.equal(signals.length, expected.shape[0]);
  signals.forEach((lead, l) => {
    assert.equal(lead.length, expected.shape[1]);
    const close = (actual: number, wanted: number, what: string) =>
      // Float32 output of float64 values: relative error below 2^-24, plus a tiny absolute floor.
      assert.ok(
        Math.abs(actual - wanted / scale) <= 1e-7 * Math.abs(wanted / scale) + 1e-9,
        `${what}: ${actual}`,
      );
    expected.head[l].forEach((v: number, i: number) => close(lead[i]!, v, `lead ${l} sample ${i}`));
    expected.every97[l].forEach((v: number, i: number) =>
      close(lead[i * 97]!, v, `lead ${l} sample ${i * 97}`),
    );
    const sum = lead.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - expected.sum[l] / scale) <= 1e-6 * lead.length, `lead ${l} sum ${sum}`);
  });
}

test('readMatRecord: CPSC 2018 struct ECG (compressed v5) gives 12 leads at 500 Hz with age and sex', () => {
  for (const name of ['cpsc_A1980_crop.mat', 'cpsc_A1981_crop.mat']) {
    const record = readMatRecord(fixture(name), `some/dir/${name}`);
    const expected = golden[name]!;
    assert.equal(record.name, name.replace('.mat', ''));
    assert.equal(record.fs, 500);
    assert.deepEqual(record.leads, [
      'I',
      'II',
      'III',
      'aVR',
      'aVL',
      'aVF',
      'V1',
      'V2',
      'V3',
      'V4',
      'V5',
      'V6',
    ]);
    assert.deepEqual(record.units, Array(12).fill('mV'));
    assert.equal(record.age, expected.age);
    assert.equal(record.sex, expected.sex.toLowerCase());
    assertSignalsMatch(record.signals, expected.data);
  }
});

test('a caller fs does not re-time a CPSC 2018 struct (500 Hz) but still times a bare val matrix', async () => {
  const name = 'cpsc_A1980_crop.mat';
  const plain = readMatRecord(fixture(name), name);
  const given = readMatRecord(fixture(name), name, { fs: 250 });
  assert.equal(given.fs, 500);
  assert.deepEqual(given.signals, plain.signals);
  // The path readers (predict/inspect --fs, --records-fs, labels.csv fs) go through readRecord.
  const read = await readRecord(fileURLToPath(new URL(name, FIXTURES)), { fs: 250 });
  assert.deepEqual([read.fs, read.signals[0]!.length], [500, plain.signals[0]!.length]);
  const val = await readRecord(fileURLToPath(new URL('cinc2017_A00001.mat', FIXTURES)), { fs: 250 });
  assert.equal(val.fs, 250);
});

test('readMatRecord: CinC 2017 val matrix (v4 int16) needs fs and applies the gain', () => {
  for (const name of ['cinc2017_A00001.mat', 'cinc2017_A00003.mat']) {
    const bytes = fixture(name);
    assert.throws(
      () => readMatRecord(bytes, name),
      (e: unknown) => e instanceof FormatError && e.message.startsWith(name) && /fs/.test(e.message),
    );
    const record = readMatRecord(bytes, name, { fs: 300, gain: 1000 });
    assert.equal(record.fs, 300);
    assert.deepEqual(record.units, ['mV']);
    assert.deepEqual(record.leads, ['ch1']);
    assert.equal(record.age, null);
    assert.equal(record.sex, 'unknown');
    assertSignalsMatch(record.signals, golden[name]!.val, 1000);
    const raw = readMatRecord(bytes, name, { fs: 300, leads: ['ECG'] });
    assert.deepEqual(raw.units, ['adu']);
    assert.deepEqual(raw.leads, ['ECG']);
    assert.equal(raw.signals[0]![0], golden[name]!.val.head[0][0]);
  }
});

test('readMatRecord: a MAT-file without an ECG variable names the variables it found', () => {
  assert.throws(
    () => readMatRecord(fixture('v5_variety.mat'), 'v5_variety.mat'),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.startsWith('v5_variety.mat: no ECG variable') &&
      e.message.includes('d (double 2x3)') &&
      e.message.includes('nested (struct 1x1)'),
  );
});

function assertFormatError(bytes: Uint8Array, source: string, pattern: RegExp) {
  assert.throws(
    () => parseMat(bytes, source),
    (e: unknown) =>
      e instanceof FormatError && e.message.startsWith(`${source}: `) && pattern.test(e.message),
  );
}

test('bad input: not a MAT-file, truncations, v7.3, lying sizes', () => {
  assertFormatError(new Uint8Array(0), 'empty.mat', /empty file/);
  assertFormatError(new TextEncoder().encode('time,I,II\n0,1,2\n'.repeat(20)), 'x.csv', /not a MAT-file/);
  const v5 = fixture('v5_variety.mat');
  assertFormatError(v5.subarray(0, 500), 'cut.mat', /remain|truncated/);
  const v5z = fixture('v5_variety_z.mat');
  assertFormatError(v5z.subarray(0, v5z.length - 40), 'cutz.mat', /zlib|remain|inflates|truncated/);
  const v4 = fixture('cinc2017_A00001.mat');
  assertFormatError(v4.subarray(0, 4000), 'cut4.mat', /only \d+ bytes remain/);

  const hdf5 = v5.slice(0, 512);
  hdf5.set(new TextEncoder().encode('MATLAB 7.3 MAT-file'), 0);
  new DataView(hdf5.buffer).setUint16(124, 0x0200, true);
  assertFormatError(hdf5, 'new.mat', /v7\.3 \(HDF5\)/);

  // First variable's dims claim 2^30 x 2^30 doubles: must fail on size, not try to allocate.
  const huge = v5.slice();
  const view = new DataView(huge.buffer);
  view.setInt32(128 + 8 + 16 + 8, 2 ** 30, true);
  view.setInt32(128 + 8 + 16 + 12, 2 ** 30, true);
  assertFormatError(huge, 'huge.mat', /bytes of double for 1073741824x1073741824/);

  // A compressed variable whose inner tag declares 4 GB.
  const bomb = fixture('cpsc_A1980_crop.mat').slice();
  assert.equal(new DataView(bomb.buffer).getUint32(128, true), 15);
  assertFormatError(bomb.subarray(0, 128 + 8 + 64), 'bomb.mat', /zlib|declares|inflates/);
});

/** Minimal little-endian level 5 writer for hostile inputs that real writers never produce. */
function v5Bytes(...variables: Uint8Array[]): Uint8Array {
  const header = new Uint8Array(128).fill(32);
  header.set(new TextEncoder().encode('MATLAB 5.0 MAT-file, hostile test'));
  header.set([0, 1, 0x49, 0x4d], 124);
  return concat([header, ...variables]);
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
}
function element(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + Math.ceil(payload.length / 8) * 8);
  new DataView(out.buffer).setUint32(0, type, true);
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}
const int32s = (...values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
function matrix(mxClass: number, dims: number[], name: string, ...body: Uint8Array[]): Uint8Array {
  const flags = element(6, int32s(mxClass, 0));
  return element(
    14,
    concat([flags, element(5, int32s(...dims)), element(1, new TextEncoder().encode(name)), ...body]),
  );
}

test('hostile level 5 structures: field-less struct of 2^60 elements, deep nesting, cell count lies', () => {
  const fieldless = matrix(2, [2 ** 30, 2 ** 30], 'x', element(5, int32s(1)), element(1, new Uint8Array(0)));
  assertFormatError(v5Bytes(fieldless), 'fieldless.mat', /without fields/);
  let nested = matrix(6, [1, 1], '', element(9, new Uint8Array(8)));
  for (let i = 0; i < 80; i++) nested = matrix(1, [1, 1], i === 79 ? 'deep' : '', nested);
  assertFormatError(v5Bytes(nested), 'deep.mat', /nested deeper than 64/);
  const cells = matrix(1, [1000, 1000], 'c', matrix(6, [0, 0], '', element(9, new Uint8Array(0))));
  assertFormatError(v5Bytes(cells), 'cells.mat', /1000000 cells cannot fit/);
  // The same builder produces a valid file when it tells the truth.
  const ok = parseMat(
    v5Bytes(
      matrix(
        1,
        [1, 2],
        'c',
        matrix(6, [0, 0], '', element(9, new Uint8Array(0))),
        matrix(6, [0, 0], '', element(9, new Uint8Array(0))),
      ),
    ),
    'ok.mat',
  );
  assert.equal(ok.variables.get('c')?.kind, 'cell');
});

const prng = seededRandom;

function mutate(original: Uint8Array, random: () => number): Uint8Array {
  const bytes = original.slice();
  const at = () => Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 4)) {
    case 0: // flip a few bytes anywhere
      for (let i = 0; i < 1 + random() * 8; i++) bytes[at()] = Math.floor(random() * 256);
      return bytes;
    case 1: // plant an extreme 32-bit value (sizes, types, dims)
      new DataView(bytes.buffer).setUint32(
        Math.min(at(), bytes.length - 4) & ~3,
        [0, 1, 0x7fffffff, 0xffffffff][Math.floor(random() * 4)]!,
        random() < 0.5,
      );
      return bytes;
    case 2: // truncate
      return bytes.subarray(0, at());
    default: // drop a slice from the middle
      return new Uint8Array([...bytes.subarray(0, at()), ...bytes.subarray(at())]);
  }
}

test('fuzz: 600 seeded mutations of real and synthetic MAT-files parse or throw FormatError, nothing else', () => {
  const random = prng(20240611);
  const originals = [
    'v4_types_le.mat',
    'v4_types_be.mat',
    'v5_variety.mat',
    'v5_variety_z.mat',
    'v5_big_endian.mat',
    'cinc2017_A00001.mat',
  ]
    .map(fixture)
    .concat(fixture('cpsc_A1980_crop.mat').subarray(0, 4096)); // a compressed head: exercises zlib errors
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 600; i++) {
    const bytes = mutate(originals[i % originals.length]!, random);
    try {
      parseMat(bytes, `<fuzz ${i}>`);
      parsed++;
    } catch (error) {
      if (!(error instanceof FormatError))
        throw new Error(`mutation ${i} threw a non-FormatError`, { cause: error });
      assert.ok(error.message.startsWith(`<fuzz ${i}>: `));
      rejected++;
    }
  }
  // Both outcomes must occur, or the mutations are not exercising anything.
  assert.ok(parsed > 30 && rejected > 30, `parsed ${parsed}, rejected ${rejected}`);
});

/** Little-endian 32-bit words as bytes. */
const words = (...values: number[]) => new Uint8Array(Int32Array.from(values).buffer);

test('fuzz finding: a char array of 2^31 - 1 rows and no columns has no rows (it built 2^31 strings and crashed)', async () => {
  const rows = 2 ** 31 - 1;
  // Level 4: type 51 (uint8 text), rows x 0, real, name "x".
  const v4 = new Uint8Array([...words(51, rows, 0, 0, 2), 0x78, 0]);
  // Level 5: a miMATRIX of class char, dimensions rows x 0, name "x", 0 bytes of UTF-8 characters.
  const header = new Uint8Array(128).fill(0x20);
  header.set(new TextEncoder().encode('MATLAB 5.0 MAT-file'));
  header.set([0x00, 0x01, 0x49, 0x4d], 124);
  const v5 = new Uint8Array([
    ...header,
    ...words(14, 48, 6, 8, 4, 0, 5, 8, rows, 0),
    ...[1, 0, 1, 0, 0x78, 0, 0, 0],
    ...words(16, 0),
  ]);
  for (const [name, bytes] of [
    ['rows-v4.mat', v4],
    ['rows-v5.mat', v5],
  ] as const) {
    assert.deepEqual(parseMat(bytes, name).variables.get('x'), { kind: 'char', dims: [rows, 0], rows: [] });
    assert.throws(
      () => readMatRecord(bytes, name, { fs: 300 }),
      (e: unknown) => e instanceof FormatError && /no ECG variable.*x \(char 2147483647x0\)/.test(e.message),
    );
  }
});

test('fuzz finding: doubles beyond float32 (after the gain) are refused, naming lead and sample; NaN stays missing', () => {
  const doubles = (...values: number[]) => new Uint8Array(Float64Array.from(values).buffer);
  const val = (...values: number[]) =>
    v5Bytes(matrix(6, [1, values.length], 'val', element(9, doubles(...values))));
  assert.throws(
    () => readMatRecord(val(1, 2, 1e300, 3), 'big.mat', { fs: 100 }),
    (error: unknown) =>
      error instanceof FormatError &&
      /^big\.mat: lead 1, sample 3: 1e\+300 .*beyond float32/.test(error.message),
  );
  assert.throws(
    () => readMatRecord(val(1, Number.POSITIVE_INFINITY), 'inf.mat', { fs: 100 }),
    /sample 2: Infinity/,
  );
  // Finite doubles that the gain divides past float32.
  assert.throws(() => readMatRecord(val(1, 1e30), 'gain.mat', { fs: 100, gain: 1e-10 }), /sample 2: 1e\+40/);
  const kept = readMatRecord(val(1, Number.NaN, 3e38), 'ok.mat', { fs: 100 });
  assert.deepEqual(
    [...kept.signals[0]!].map((v) => (Number.isNaN(v) ? 'NaN' : Math.round(v / 1e38))),
    [0, 'NaN', 3],
  );
});
