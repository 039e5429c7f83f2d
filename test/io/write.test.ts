// WFDB writing (writeRecord, writeAnnotations): byte-identical to real PhysioNet files when given their gains,
// read back by the project's reader and by the independent numpy reader (fixtures/wfdb-written/golden.json).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { readAnnotations, readRecord, readWfdb } from '../../src/io/read.js';
import { parseAnnotations } from '../../src/io/wfdb/annotations.js';
import { encodeAnnotations, encodeWfdbRecord } from '../../src/io/wfdb/write.js';
import { writeAnnotations, writeRecord } from '../../src/io/write.js';
import { sourceAnnotations, sourceRecord } from '../fixtures/wfdb-written/source.js';
import { fixture, FIXTURES } from './wfdb/helpers.js';

const WRITTEN = new URL('../fixtures/wfdb-written/', import.meta.url).pathname;

interface WrittenGolden {
  records: Record<
    string,
    {
      fs: number;
      leads: string[];
      header_checksums: number[];
      checksums: number[];
      physical: Array<Array<number | null>>;
    }
  >;
  annotations: Array<{
    sample: number;
    code: number;
    subtype: number;
    chan: number;
    num: number;
    aux: string | null;
  }>;
}
const golden = JSON.parse(readFileSync(`${WRITTEN}golden.json`, 'utf8')) as WrittenGolden;

test('MIT-BIH 208x and PTB-XL 00001_lr re-encoded with their gains give the original data bytes', async () => {
  const mit = await readWfdb(`${FIXTURES}208x.hea`);
  const encoded = encodeWfdbRecord(mit.record, {
    format: 212,
    gains: mit.header.signals.map((s) => s.adcGain),
    baselines: mit.header.signals.map((s) => s.baseline),
  });
  assert.deepEqual(encoded.data, fixture('208x.dat'));
  assert.deepEqual(
    encoded.leads.map((l) => l.checksum),
    mit.header.signals.map((s) => s.checksum),
  );
  const ptb = await readWfdb(`${FIXTURES}00001_lr.hea`);
  const encoded16 = encodeWfdbRecord(ptb.record, {
    gains: ptb.header.signals.map((s) => s.adcGain),
    baselines: ptb.header.signals.map((s) => s.baseline),
  });
  assert.deepEqual(encoded16.data, fixture('00001_lr.dat'));
});

test('the writer still produces the committed fixture files (whose golden values numpy computed)', async () => {
  const record = await sourceRecord();
  for (const format of [16, 212] as const) {
    const encoded = encodeWfdbRecord(record, { format, name: `written${format}` });
    assert.equal(encoded.header, readFileSync(`${WRITTEN}written${format}.hea`, 'utf8'));
    assert.deepEqual(encoded.data, new Uint8Array(readFileSync(`${WRITTEN}written${format}.dat`)));
  }
  assert.deepEqual(
    encodeAnnotations(await sourceAnnotations()),
    new Uint8Array(readFileSync(`${WRITTEN}written.atr`)),
  );
});

test('numpy reads the written records as the source within half a digital step; checksums agree', async () => {
  const record = await sourceRecord();
  for (const format of [16, 212] as const) {
    const name = `written${format}`;
    const reference = golden.records[name]!;
    const ours = await readWfdb(`${WRITTEN}${name}.hea`, { strict: true });
    assert.deepEqual(reference.leads, record.leads);
    assert.deepEqual(reference.checksums, reference.header_checksums);
    ours.header.signals.forEach((spec, lead) => {
      const source = record.signals[lead]!;
      const step = 0.5 / spec.adcGain + 1e-6;
      reference.physical[lead]!.forEach((value, n) => {
        if (value === null) {
          assert.ok(
            Number.isNaN(source[n]!) && Number.isNaN(ours.record.signals[lead]![n]!),
            `${name} ${lead}/${n}`,
          );
          return;
        }
        assert.ok(
          Math.abs(value - source[n]!) <= step,
          `${name} lead ${lead} sample ${n}: ${value} vs ${source[n]}`,
        );
        assert.ok(Math.abs(value - ours.record.signals[lead]![n]!) <= 1e-6 * Math.max(1, Math.abs(value)));
      });
    });
    assert.equal(ours.record.age, record.age);
    assert.equal(ours.record.sex, record.sex);
  }
});

test('annotations: numpy and the project read back what was written (SKIP, SUB, CHN, NUM, AUX)', async () => {
  const written = await sourceAnnotations();
  const ours = await readAnnotations(`${WRITTEN}written.atr`);
  const fields = (a: {
    sample: number;
    code: number;
    subtype: number;
    chan: number;
    num: number;
    aux: string | null;
  }) => ({
    sample: a.sample,
    code: a.code,
    subtype: a.subtype,
    chan: a.chan,
    num: a.num,
    aux: a.aux,
  });
  assert.deepEqual(golden.annotations.map(fields), written.map(fields));
  assert.deepEqual(ours.map(fields), written.map(fields));
  const mit = parseAnnotations(fixture('208x.atr'), '208x.atr');
  assert.deepEqual(parseAnnotations(encodeAnnotations(mit), 'again').map(fields), mit.map(fields));
});

test('writeRecord / writeAnnotations write files the reader opens; bad input is a ConfigError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-write-'));
  try {
    const record = await sourceRecord();
    // Folders that do not exist yet are made (wfdb-python's users write into out/ without creating it first).
    const { paths } = writeRecord(record, join(dir, 'out', 'nested'), { format: 212 });
    const back = await readRecord(paths.header);
    assert.deepEqual(back.leads, record.leads);
    writeAnnotations(join(dir, 'ann', 'written.atr'), await sourceAnnotations());
    assert.equal(
      (await readAnnotations(join(dir, 'ann', 'written.atr'))).length,
      (await sourceAnnotations()).length,
    );
    assert.throws(() => encodeWfdbRecord(record, { gains: [1] }), ConfigError);
    assert.throws(() => encodeWfdbRecord(record, { gains: [1e6, 1e6, 1e6] }), /outside the format's range/);
    assert.throws(() => encodeWfdbRecord({ ...record, name: 'a b' }), /WFDB names/);
    const unsorted = (await sourceAnnotations()).reverse();
    assert.throws(() => encodeAnnotations(unsorted), /must be sorted/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
