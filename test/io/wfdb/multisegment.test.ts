/**
 * Multi-segment WFDB records against the values make_fixture.py computed from its own digital arrays: a layout
 * segment, a gap, a segment lacking a signal, a segment with the signals in another order; then each typed error.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FormatError, MissingFileError } from '../../../src/errors.js';
import { readRecord, readWfdb } from '../../../src/io/read.js';
import { pathSource, type ByteSource } from '../../../src/io/source.js';
import type { EcgRecord } from '../../../src/io/record.js';
import { wfdbRecordFromText } from '../../../src/io/wfdb/record.js';

const DIR = fileURLToPath(new URL('../../fixtures/wfdb-multiseg/', import.meta.url));

interface Expected {
  fs: number;
  n_samples: number;
  leads: string[];
  segments: Array<{ name: string; n_samples: number }>;
  signals: Record<string, Array<number | null>>;
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;

function fixtureFiles(): Map<string, Uint8Array> {
  const names = readdirSync(DIR).filter((name) => /\.(hea|dat)$/.test(name));
  return new Map(names.map((name) => [name, new Uint8Array(readFileSync(join(DIR, name)))]));
}

const text = (value: string) => new TextEncoder().encode(value);
const master = () => readFileSync(join(DIR, 'ms.hea'), 'utf8');

/** Reads the record from memory, with `edit` applied to the fixture's files (name -> bytes; null deletes). */
function readEdited(edit: Record<string, string | null> = {}, masterText = master()): EcgRecord {
  const files = fixtureFiles();
  for (const [name, value] of Object.entries(edit)) {
    if (value === null) files.delete(name);
    else files.set(name, text(value));
  }
  return wfdbRecordFromText(
    masterText,
    (name) => {
      const bytes = files.get(name);
      if (!bytes) throw new MissingFileError(name);
      return bytes;
    },
    'ms.hea',
  ).record;
}

/** Every sample equals the reference (float32 of it), NaN exactly where the reference has null. */
function assertSignals(record: EcgRecord, from = 0, to = expected.n_samples): void {
  record.leads.forEach((lead, k) => {
    const want = expected.signals[lead]!.slice(from, to);
    const got = record.signals[k]!;
    assert.equal(got.length, want.length, lead);
    want.forEach((value, i) => {
      if (value === null) assert.ok(Number.isNaN(got[i]), `${lead}[${from + i}] should be NaN, is ${got[i]}`);
      else assert.equal(got[i], Math.fround(value), `${lead}[${from + i}]`);
    });
  });
}

describe('multi-segment WFDB records', () => {
  it('layout, gap, absent signal and reordered signals: every sample as the reference', async () => {
    const { record, checksums } = await readWfdb(join(DIR, 'ms.hea'));
    assert.deepEqual([record.name, record.fs, record.leads], ['ms', expected.fs, expected.leads]);
    assert.deepEqual(record.units, ['mV', 'mV']);
    assert.deepEqual([record.age, record.sex], [61, 'male']);
    assertSignals(record);
    // Gap (samples 50-69) and segment ms_0002 without II (70-109) are NaN; ms_0002's invalid sample too.
    assert.equal(
      expected.signals.II!.slice(50, 110).every((v) => v === null),
      true,
    );
    assert.equal(expected.signals.V![77], null);
    assert.deepEqual(record.metadata.segments, [
      { name: 'ms_0001', start: 0, nSamples: 50 },
      { name: '~', start: 50, nSamples: 20 },
      { name: 'ms_0002', start: 70, nSamples: 40 },
      { name: 'ms_0003', start: 110, nSamples: 30 },
    ]);
    assert.deepEqual(
      checksums.map((c) => [c.lead, c.ok]),
      [
        ['ms_0001:II', true],
        ['ms_0001:V', true],
        ['ms_0002:V', true],
        ['ms_0003:V', true],
        ['ms_0003:II', true],
      ],
    );
  });

  it('readRecord routes a multi-segment header (path without extension) and in-memory files alike', async () => {
    assertSignals(await readRecord(join(DIR, 'ms')));
    assertSignals(readEdited());
  });

  it('fixed layout (no layout segment): the first data segment names the signals', () => {
    const fixed = 'ms/3 2 100 100\nms_0001 50\n~ 20\nms_0003 30\n';
    const record = readEdited({}, fixed);
    assert.deepEqual(record.leads, ['II', 'V']);
    const first = { ...record, signals: record.signals.map((s) => s.subarray(0, 70)) };
    assertSignals(first, 0, 70);
    const last = { ...record, signals: record.signals.map((s) => s.subarray(70)) };
    assertSignals(last, 110, 140);
  });

  it('a missing segment header or data file is a MissingFileError naming the segment', async () => {
    assert.throws(
      () => readEdited({ 'ms_0002.hea': null }),
      (error: Error) =>
        error instanceof MissingFileError &&
        /ms_0002\.hea: file of segment 4 \(ms_0002\) of multi-segment record ms not found/.test(
          error.message,
        ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'ecg-multiseg-'));
    try {
      for (const name of fixtureFiles().keys())
        if (name !== 'ms_0003.dat') copyFileSync(join(DIR, name), join(dir, name));
      await assert.rejects(readRecord(join(dir, 'ms.hea')), (error: Error) => {
        assert.ok(error instanceof MissingFileError);
        assert.match(error.message, /\/ms_0003\.dat: file of segment 5 \(ms_0003\)/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inconsistent sample counts are FormatErrors naming the segment or the record line', () => {
    const longer = master().replace('ms_0001 50', 'ms_0001 51').replace('ms/5 2 100 140', 'ms/5 2 100 141');
    assert.throws(
      () => readEdited({}, longer),
      (error: Error) =>
        error instanceof FormatError &&
        /ms_0001\.hea: segment 2 \(ms_0001\) .*its header gives 50 samples, the master header 51/.test(
          error.message,
        ),
    );
    assert.throws(
      () => readEdited({}, master().replace('ms/5 2 100 140', 'ms/5 2 100 150')),
      /FormatError: ms\.hea: record line gives 150 samples but its segments add up to 140/,
    );
    assert.throws(
      () => readEdited({}, master().replace('ms/5 2 100', 'ms/5 3 100')),
      /FormatError: ms\.hea: record line declares 3 signals but the layout segment ms_layout has 2/,
    );
  });

  it('a segment at another sampling rate is a FormatError naming it', () => {
    const segment = readFileSync(join(DIR, 'ms_0003.hea'), 'utf8').replace(
      'ms_0003 2 100 30',
      'ms_0003 2 250 30',
    );
    assert.throws(
      () => readEdited({ 'ms_0003.hea': segment }),
      /FormatError: ms_0003\.hea: segment 5 \(ms_0003\) of multi-segment record ms is sampled at 250 Hz, the record at 100 Hz/,
    );
  });

  it('nesting is refused: a segment that is itself multi-segment, or the record naming itself', () => {
    assert.throws(
      () => readEdited({ 'ms_0002.hea': 'ms_0002/1 1 100 40\nms_0001 40\n' }),
      /FormatError: ms_0002\.hea: segment 4 \(ms_0002\) .* is itself a multi-segment record/,
    );
    assert.throws(
      () => readEdited({ 'ms.hea': master() }, master().replace('ms_0003 30', 'ms 30')),
      /FormatError: ms\.hea: segment 5 \(ms\) .* is itself a multi-segment record/,
    );
  });

  it('a master listing a segment many times reads each file once, only as far as its headers account for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-multiseg-'));
    try {
      // seg: 1 sample, listed 40 times; open: no length in its header, listed with 3 then 5 samples.
      writeFileSync(join(dir, 'seg.dat'), new Uint8Array(64 * 1024));
      writeFileSync(join(dir, 'seg.hea'), 'seg 1 250 1\nseg.dat 16 200 12 0 0 0 0 ECG\n');
      writeFileSync(join(dir, 'open.dat'), new Uint8Array(64 * 1024));
      writeFileSync(join(dir, 'open.hea'), 'open 1 250\nopen.dat 16 200 12 0 0 0 0 ECG\n');
      writeFileSync(join(dir, 'm.hea'), `m/42 1 250 48\n${'seg 1\n'.repeat(40)}open 3\nopen 5\n`);
      const reads = new Map<string, number[]>();
      const counting = (source: ByteSource): ByteSource => {
        const note = (bytes: Uint8Array) => {
          const name = source.name.slice(dir.length + 1);
          reads.set(name, [...(reads.get(name) ?? []), bytes.length]);
          return bytes;
        };
        return {
          name: source.name,
          read: async () => note(await source.read()),
          readRange: async (start, end) => note(await source.readRange!(start, end)),
          sibling: (name) => counting(source.sibling(name)),
        };
      };
      const { record } = await readWfdb(counting(pathSource(join(dir, 'm.hea'))));
      assert.equal(record.signals[0]!.length, 48);
      assert.deepEqual(Object.fromEntries(reads), {
        'm.hea': [reads.get('m.hea')![0]!],
        'seg.hea': [42],
        'open.hea': [42],
        'seg.dat': [2],
        'open.dat': [10],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("segment headers are fetched under the caller's limits: a 30 kHz record read with maxFs raised", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-multiseg-'));
    try {
      writeFileSync(join(dir, 's.dat'), new Uint8Array(20));
      writeFileSync(join(dir, 's.hea'), 's 1 30000 10\ns.dat 16 200 12 0 0 0 0 ECG\n');
      writeFileSync(join(dir, 'm.hea'), 'm/1 1 30000 10\ns 10\n');
      const { record } = await readWfdb(join(dir, 'm.hea'), { limits: { maxFs: 50_000 } });
      assert.equal(record.signals[0]!.length, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('format 0 (null signal) in an ordinary record reads as NaN without a file', () => {
    const header = 'n 2 100 3\n~ 0 200 16 0 0 0 0 A\nn.dat 16 100 16 0 0 6 0 B\n';
    const { record } = wfdbRecordFromText(
      header,
      (name) => {
        if (name !== 'n.dat') throw new MissingFileError(name);
        return new Uint8Array(Int16Array.of(100, 200, -294).buffer);
      },
      'n.hea',
    );
    assert.ok(record.signals[0]!.every(Number.isNaN));
    assert.deepEqual(Array.from(record.signals[1]!), [1, 2, -2.94].map(Math.fround));
  });
});
