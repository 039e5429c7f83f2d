// Windowed reads (from / to / channels): the same samples as a whole read cut afterwards, and for WFDB only the
// bytes of the window are read (counted through a ByteSource that tallies what it hands out).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { readRecord, readRecordFromFiles, readWfdb } from '../../src/io/read.js';
import { bytesSource, type ByteSource } from '../../src/io/source.js';
import { WFDB_FORMATS, type WfdbFormat } from '../../src/io/wfdb/formats.js';
import { fixture, golden as goldenValues } from './wfdb/helpers.js';

/** A bytesSource over named files that counts every byte it returns. */
function countingSource(
  name: string,
  files: Map<string, Uint8Array>,
): { source: ByteSource; bytes: () => number } {
  let total = 0;
  const wrap = (inner: ByteSource): ByteSource => ({
    name: inner.name,
    async read() {
      const out = await inner.read();
      total += out.length;
      return out;
    },
    async readRange(start, end) {
      const out = await inner.readRange!(start, end);
      total += out.length;
      return out;
    },
    sibling: (file) => wrap(inner.sibling(file)),
  });
  return { source: wrap(bytesSource(files.get(name)!, name, files)), bytes: () => total };
}

function recordFiles(record: string, dataFile: string): Map<string, Uint8Array> {
  return new Map([
    [`${record}.hea`, fixture(`${record}.hea`)],
    [dataFile, fixture(dataFile)],
  ]);
}

function assertSameSamples(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('last 10 s of MIT-BIH 208x (format 212, 2 leads): whole-read samples, only the window bytes read', async () => {
  const files = recordFiles('208x', '208x.dat');
  const whole = await readRecord(bytesSource(files.get('208x.hea')!, '208x.hea', files));
  const n = whole.signals[0]!.length;
  const from = n - 3600;
  const counted = countingSource('208x.hea', files);
  const window = await readRecord(counted.source, { from, to: n });
  whole.signals.forEach((signal, lead) =>
    assertSameSamples(window.signals[lead]!, signal.slice(from), `lead ${lead}`),
  );
  // 3600 frames x 2 signals x 1.5 bytes, from a frame aligned to a 212 block (from is a multiple of 6 here).
  assert.equal(from % 6, 0);
  assert.equal(counted.bytes(), files.get('208x.hea')!.length + 3600 * 3);
  assert.deepEqual(window.metadata.window, { from, to: n, channels: [0, 1] });
  assert.ok(counted.bytes() < 0.2 * files.get('208x.dat')!.length);
});

test('a window starting mid-block of format 212 decodes the same samples', async () => {
  const files = recordFiles('208x', '208x.dat');
  const whole = await readRecord(bytesSource(files.get('208x.hea')!, '208x.hea', files));
  for (const [from, to] of [
    [1, 2],
    [7, 20],
    [5, 11],
    [21599, 21600],
  ] as const) {
    const window = await readRecord(bytesSource(files.get('208x.hea')!, '208x.hea', files), { from, to });
    whole.signals.forEach((signal, lead) =>
      assertSameSamples(window.signals[lead]!, signal.slice(from, to), `${from}-${to} lead ${lead}`),
    );
  }
});

test('channels by name and index, in the order given (PTB-XL, format 16, 12 leads)', async () => {
  const files = recordFiles('00001_lr', '00001_lr.dat');
  const source = () => bytesSource(files.get('00001_lr.hea')!, '00001_lr.hea', files);
  const whole = await readRecord(source());
  const window = await readRecord(source(), { from: 13, to: 500, channels: ['V1', 0] });
  assert.deepEqual(window.leads, ['V1', 'I']);
  assertSameSamples(window.signals[0]!, whole.signals[6]!.slice(13, 500), 'V1');
  assertSameSamples(window.signals[1]!, whole.signals[0]!.slice(13, 500), 'I');
  assert.equal(window.units.length, 2);
  const golden6 = goldenValues.records['00001_lr']!.signals[6]!.head;
  golden6.slice(13, 300).forEach((value, i) => assert.ok(Math.abs(window.signals[0]![i]! - value!) < 1e-6));
});

test('every window of a one-signal record in formats 16, 24, 32, 80, 160, 212, 310, 311 (numpy-encoded bytes)', async () => {
  const formats = goldenValues.formats;
  for (const format of [16, 24, 32, 80, 160, 212, 310, 311] as WfdbFormat[]) {
    const { values, hex } = formats[String(format)]!;
    const data = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const header = `r 1 100 ${values.length}\nr.dat ${format} 1(0) 16 0 0 0 0 x\n`;
    const files = new Map([
      ['r.hea', new TextEncoder().encode(header)],
      ['r.dat', data],
    ]);
    const invalid = WFDB_FORMATS[format].invalid;
    const expected = values.map((v) => (v === invalid ? NaN : Math.fround(v)));
    for (let from = 0; from < values.length; from++)
      for (let to = from + 1; to <= values.length; to++) {
        const counted = countingSource('r.hea', files);
        const read = await readRecord(counted.source, { from, to });
        assert.deepEqual(
          Array.from(read.signals[0]!),
          expected.slice(from, to),
          `format ${format} ${from}-${to}`,
        );
        assert.ok(counted.bytes() - files.get('r.hea')!.length <= WFDB_FORMATS[format].bytesFor(to));
      }
  }
});

test('files of unselected channels are not read; windows of other formats are cut after reading', async () => {
  const header = 'r 2 100 4\na.dat 16 1 16 0 0 0 0 A\nb.dat 16 1 16 0 0 0 0 B\n';
  const files = new Map([
    ['r.hea', new TextEncoder().encode(header)],
    ['a.dat', new Uint8Array(Int16Array.of(1, 2, 3, 4).buffer)],
    ['b.dat', new Uint8Array(Int16Array.of(5, 6, 7, 8).buffer)],
  ]);
  const counted = countingSource('r.hea', files);
  const read = await readWfdb(counted.source, { channels: ['B'], from: 1 });
  assert.deepEqual(Array.from(read.record.signals[0]!), [6, 7, 8]);
  assert.equal(counted.bytes(), files.get('r.hea')!.length + 8); // from 1 starts at the aligned frame 0
  const csv = new TextEncoder().encode('time,I,II\n0,1,2\n0.01,3,4\n0.02,5,6\n');
  const cut = await readRecord(bytesSource(csv, 'r.csv'), { from: 1, to: 3, channels: ['II'] });
  assert.deepEqual(Array.from(cut.signals[0]!), [4, 6]);
});

test('windows outside the record or unknown channels are ConfigErrors naming the source', async () => {
  const files = recordFiles('208x', '208x.dat');
  const source = () => bytesSource(files.get('208x.hea')!, '208x.hea', files);
  await assert.rejects(readRecord(source(), { from: 10, to: 10 }), ConfigError);
  await assert.rejects(readRecord(source(), { to: 21601 }), /208x\.hea: to: 21601 is past/);
  await assert.rejects(readRecord(source(), { channels: ['V5'] }), /channels: "V5" is not one of MLII, V1/);
  await assert.rejects(readRecord(source(), { from: -1 }), ConfigError);
});

test('dropped .edf, .mat and .csv files are cut to the window as the same files read by path', async () => {
  const dir = new URL('../fixtures/', import.meta.url).pathname;
  const cases: Array<[string, Parameters<typeof readRecord>[1]]> = [
    ['edf/mit208.edf', { from: 100, to: 460, channels: ['V1'] }],
    ['mat/cinc2017_A00001.mat', { from: 30, to: 330, fs: 300 }],
    ['custom/records/r01.csv', { from: 10, to: 110 }],
  ];
  for (const [path, options] of cases) {
    const name = path.replace(/^.*\//, '');
    const byPath = await readRecord(`${dir}${path}`, options);
    const dropped = await readRecordFromFiles(
      new Map([[name, new Uint8Array(readFileSync(`${dir}${path}`))]]),
      options,
    );
    const width = (options!.to ?? 0) - (options!.from ?? 0);
    assert.equal(dropped.signals[0]!.length, width, name);
    assert.deepEqual(dropped.leads, byPath.leads, name);
    assert.deepEqual(dropped.signals, byPath.signals, name);
  }
});
