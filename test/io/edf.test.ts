// EDF / EDF+ reading against MNE's reading of the same files (fixtures/edf/golden.json, edf_reference.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FormatError } from '../../src/errors.js';
import { looksLikeEdf, readEdfRecord, samplingRate } from '../../src/io/edf.js';
import { readRecord, readRecordFromFiles } from '../../src/io/read.js';

const DIR = new URL('../fixtures/edf/', import.meta.url).pathname;

interface EdfGolden {
  fs: number;
  leads: string[];
  n_samples: number;
  head: number[][];
  sums: number[];
  sum_squares: number[];
  annotations: Array<{ onset: number; duration: number; text: string }>;
}
const golden = JSON.parse(readFileSync(`${DIR}golden.json`, 'utf8')) as Record<string, EdfGolden>;

for (const name of ['mit208-plus.edf', 'mit208.edf']) {
  test(`${name}: signals, rate, leads and annotations as MNE reads them`, async () => {
    const expected = golden[name]!;
    const record = await readRecord(`${DIR}${name}`);
    assert.equal(record.fs, expected.fs);
    assert.deepEqual(record.leads, expected.leads);
    assert.deepEqual(record.units, ['mV', 'mV']);
    record.signals.forEach((signal, lead) => {
      assert.equal(signal.length, expected.n_samples);
      expected.head[lead]!.forEach((value, i) =>
        assert.ok(Math.abs(signal[i]! - value) < 1e-6, `${lead}/${i}`),
      );
      const sum = signal.reduce((a, b) => a + b, 0);
      const squares = signal.reduce((a, b) => a + b * b, 0);
      assert.ok(Math.abs(sum - expected.sums[lead]!) < 1e-3, `sum ${sum} vs ${expected.sums[lead]}`);
      assert.ok(Math.abs(squares - expected.sum_squares[lead]!) < 1e-3);
    });
    assert.deepEqual(record.metadata.annotations, expected.annotations);
  });
}

test('EDF+ patient field gives age and sex; bytes are sniffed as EDF', async () => {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208-plus.edf`));
  const record = await readRecord(bytes);
  assert.equal(record.sex, 'male');
  assert.equal(record.age, 75); // born 02-MAY-1951, recorded 04.12.26
  assert.equal(record.metadata.source, 'edf+');
  const plain = await readRecord(`${DIR}mit208.edf`);
  assert.equal(plain.age, null);
  assert.equal(plain.sex, 'unknown');
});

test('windows of EDF records are cut after reading', async () => {
  const whole = await readRecord(`${DIR}mit208.edf`);
  const window = await readRecord(`${DIR}mit208.edf`, { from: 100, to: 460, channels: ['V1'] });
  assert.deepEqual(Array.from(window.signals[0]!), Array.from(whole.signals[1]!.slice(100, 460)));
});

test('truncated and malformed EDF files are FormatErrors naming the file', () => {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208.edf`));
  assert.throws(() => readEdfRecord(bytes.subarray(0, 5000), 'cut.edf'), /cut\.edf: truncated/);
  const wrongCount = bytes.slice();
  wrongCount.set(new TextEncoder().encode('9   '), 252);
  assert.throws(() => readEdfRecord(wrongCount, 'bad.edf'), FormatError);
  assert.throws(() => readEdfRecord(bytes, 'small.edf', { maxSamples: 1000 }), /exceeds the limit/);
});

test('an .edf among dropped or uploaded files is read (the page and the server)', async () => {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208-plus.edf`));
  const dropped = await readRecordFromFiles(new Map([['mit208-plus.edf', bytes]]));
  const read = await readRecord(`${DIR}mit208-plus.edf`);
  assert.equal(dropped.name, read.name);
  assert.deepEqual(dropped.signals, read.signals);
  assert.deepEqual(dropped.metadata.annotations, read.metadata.annotations);
});

test('sniffed bytes: an EDF whose patient field starts with a digit is EDF, not a WFDB record line', async () => {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208.edf`));
  bytes.set(new TextEncoder().encode('12345 M 02-MAY-1951 X'.padEnd(80)), 8);
  const record = await readRecord(bytes);
  assert.equal(record.metadata.source, 'edf');
  assert.equal(record.signals[0]!.length, golden['mit208.edf']!.n_samples);
  // The header-bytes field must match the signal count: a version field alone is not enough.
  const wrongSize = bytes.slice();
  wrongSize.set(new TextEncoder().encode('1024    '), 184);
  assert.equal(looksLikeEdf(wrongSize), false);
  assert.equal(looksLikeEdf(new TextEncoder().encode('0       1 250 1000\n'.padEnd(300))), false);
});

test('the rate of a data record with a decimal duration is the intended one, not its floating-point quotient', () => {
  assert.equal(21 / 0.7, 30.000000000000004);
  assert.equal(samplingRate(21, 0.7), 30);
  assert.equal(samplingRate(720, 2), 360);
  assert.equal(samplingRate(1, 3), 0.333333333333);
});

test('fuzz finding: a physical range that puts samples beyond float32 is refused, naming the signal', () => {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208.edf`));
  const count = Number(new TextDecoder().decode(bytes.subarray(252, 256)));
  /** Writes `text` into signal `index`'s field of `width` bytes, `before` bytes per signal into the signal header. */
  const setField = (target: Uint8Array, before: number, width: number, index: number, text: string) =>
    target.set(new TextEncoder().encode(text.padEnd(width)), 256 + count * before + width * index);
  const PHYSICAL_MIN = 16 + 80 + 8;
  const DIGITAL_MAX = PHYSICAL_MIN + 8 + 8 + 8;
  const huge = bytes.slice();
  setField(huge, PHYSICAL_MIN, 8, 1, '-1e308');
  assert.throws(
    () => readEdfRecord(huge, 'huge.edf'),
    (e: unknown) =>
      e instanceof FormatError &&
      /^huge\.edf: signal 2 \(.*\): physical range -1e\+308 to .* beyond float32/.test(e.message),
  );
  // A finite range that the int16 samples outside a narrow digital range stretch beyond float32.
  const narrow = bytes.slice();
  setField(narrow, PHYSICAL_MIN, 8, 0, '-1e37');
  setField(narrow, PHYSICAL_MIN + 8, 8, 0, '1e37');
  setField(narrow, DIGITAL_MAX - 8, 8, 0, '-1');
  setField(narrow, DIGITAL_MAX, 8, 0, '1');
  assert.throws(() => readEdfRecord(narrow, 'narrow.edf'), /narrow\.edf: signal 1 .* beyond float32/);
  // Equal physical minimum and maximum: the spec forbids it, and every sample would read that value.
  const flat = bytes.slice();
  setField(flat, PHYSICAL_MIN, 8, 1, '5');
  setField(flat, PHYSICAL_MIN + 8, 8, 1, '5');
  assert.throws(
    () => readEdfRecord(flat, 'flat.edf'),
    (e: unknown) =>
      e instanceof FormatError &&
      /^flat\.edf: signal 2 \(.*\): physical minimum and maximum are equal \(5\)/.test(e.message),
  );
});

/**
 * mit208-plus.edf (1 s data records, two 360-sample signals, then 120 annotation bytes) with its TALs rewritten:
 * data record r starts `start(r)` s after the header's start time; each annotation keeps its place in the samples.
 */
function withRecordStarts(start: (record: number) => number, discontinuous: boolean): Uint8Array {
  const bytes = new Uint8Array(readFileSync(`${DIR}mit208-plus.edf`));
  const { annotations } = golden['mit208-plus.edf']!;
  const records = golden['mit208-plus.edf']!.n_samples / 360;
  const signed = (x: number) => (x < 0 ? `${x}` : `+${x}`);
  for (let r = 0; r < records; r++) {
    const lists = [`${signed(start(r))}\x14\x14\0`];
    for (const a of annotations.filter((a) => Math.floor(a.onset) === r)) {
      const duration = a.duration > 0 ? `\x15${a.duration}` : '';
      lists.push(`${signed(a.onset - r + start(r))}${duration}\x14${a.text}\x14\0`);
    }
    const tals = new TextEncoder().encode(lists.join('').padEnd(120, '\0'));
    bytes.set(tals, 1024 + r * 1560 + 1440);
  }
  if (discontinuous) bytes.set(new TextEncoder().encode('EDF+D'), 192);
  return bytes;
}

test('EDF+ annotation onsets count from the first sample: the first data record may start after the header time', () => {
  const { annotations } = golden['mit208-plus.edf']!;
  const late = readEdfRecord(
    withRecordStarts((r) => r + 2.5, false),
    'late.edf',
  );
  assert.deepEqual(late.metadata.annotations, annotations);
  // EDF+D: a 7 s gap before data record 4; the records are read contiguously and so are the onsets.
  const gap = readEdfRecord(
    withRecordStarts((r) => (r < 3 ? r : r + 7), true),
    'gap.edf',
  );
  assert.deepEqual(gap.metadata.annotations, annotations);
  assert.deepEqual(gap.metadata.notes, ['EDF+D (discontinuous): data records read as contiguous']);
});
