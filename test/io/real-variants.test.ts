/**
 * Every real header variant reads: CinC 2020/21 records of each source and a CODE-15 record (fixtures and golden
 * values from test/fixtures/cinc2021/reference.py, an independent numpy reader), the WFDB and CinC date styles,
 * CRLF, extra whitespace, trailing comments, missing optional fields, checksum fields of 0, paths without
 * extension, through symbolic links, as .mat / .dat, and folders.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeFolder, describeRecord } from '../../src/cli/inspect.js';
import { expandInputs, walkFiles } from '../../src/io/find-records.js';
import { readRecord } from '../../src/io/read.js';
import { parseWfdbHeader } from '../../src/io/wfdb/header.js';

const DIR = fileURLToPath(new URL('../fixtures/cinc2021/', import.meta.url));

interface GoldenRecord {
  name: string;
  fs: number;
  n_samples: number;
  leads: string[];
  checksums: Array<{ header: number; data: number; status: string }>;
  start: string | null;
  age: number | null;
  sex: string | null;
  first: number[][];
}
const golden = JSON.parse(readFileSync(`${DIR}golden.json`, 'utf8')) as Record<string, GoldenRecord>;

describe('CinC 2020/21 sources and CODE-15 against the numpy reader', () => {
  for (const [name, expected] of Object.entries(golden)) {
    it(`${name}: fs, length, leads, start, patient, checksum status and samples`, async () => {
      const d = await describeRecord(`${DIR}${name}`);
      assert.deepEqual(
        [d.record, d.fs, d.n_samples, d.leads.length, d.start_time, d.age],
        [expected.name, expected.fs, expected.n_samples, expected.leads.length, expected.start, expected.age],
      );
      assert.equal(d.sex, expected.sex ?? 'unknown');
      const statuses = new Set(expected.checksums.map((c) => c.status));
      assert.equal(statuses.size, 1);
      const status = [...statuses][0];
      assert.equal(d.checksum_status, status === 'agree' ? 'agree' : status);
      d.leads.forEach((lead, i) => {
        assert.equal(lead.name, expected.leads[i]);
        assert.equal(lead.checksum?.data, expected.checksums[i]!.data);
      });
      const record = await readRecord(`${DIR}${name}.hea`);
      expected.first.forEach((values, lead) =>
        values.forEach((v, t) => assert.ok(Math.abs(record.signals[lead]![t]! - v) < 1e-6, `${lead}[${t}]`)),
      );
      assert.equal(record.metadata.startTime, expected.start);
    });
  }

  it('reads a CinC record from its .mat, its .hea and its name alike', async () => {
    const [a, b, c] = await Promise.all(
      ['A1980.mat', 'A1980.hea', 'A1980'].map((path) => readRecord(`${DIR}${path}`)),
    );
    assert.deepEqual([a!.signals[3], b!.signals[3]], [c!.signals[3], c!.signals[3]]);
    assert.deepEqual(
      (await readRecord(`${DIR}1000.dat`)).signals[0],
      (await readRecord(`${DIR}1000`)).signals[0],
    );
  });
});

describe('header variants', () => {
  const line = (first: string) => parseWfdbHeader(`${first}\nA.mat 16+24 1000/mV 16 0 0 0 0 I\n`, 'A.hea');

  it('CinC date before time, WFDB time before date: both kept as written and as ISO', () => {
    const cinc = line('A0001 12 500 7500 12-May-2020 12:33:59'.replace(' 12 ', ' 1 '));
    assert.deepEqual(
      [cinc.nSamples, cinc.baseTime, cinc.baseDate, cinc.startTime],
      [7500, '12:33:59', '12-May-2020', '2020-05-12T12:33:59'],
    );
    const wfdb = line('00001_lr 1 100 1000 09:17:34 09/11/1984 ');
    assert.deepEqual(
      [wfdb.baseTime, wfdb.baseDate, wfdb.startTime],
      ['09:17:34', '09/11/1984', '1984-11-09T09:17:34'],
    );
    const dateOnly = line('A 1 500 10 05-Feb-2020');
    assert.deepEqual([dateOnly.baseTime, dateOnly.startTime], [null, '2020-02-05']);
    assert.equal(line('A 1 500 10 05:05:15').startTime, null);
  });

  it('CRLF, tabs and runs of spaces, a trailing comment on the record line, comments anywhere', () => {
    const text =
      '# written by hand\r\nA0001\t1   500  7500 12-May-2020 12:33:59   # CinC style\r\n' +
      '  A.mat   16+24\t1000/mV 16 0 -5 0 0 aVR  \r\n#Age: 74\r\n#Sex: Male\r\n';
    const h = parseWfdbHeader(text, 'A.hea');
    assert.deepEqual(
      [h.recordName, h.fs, h.nSamples, h.startTime],
      ['A0001', 500, 7500, '2020-05-12T12:33:59'],
    );
    assert.deepEqual([h.signals[0]!.byteOffset, h.signals[0]!.description], [24, 'aVR']);
    assert.deepEqual([h.patient.age, h.patient.sex, h.comments[0]], [74, 'male', 'written by hand']);
  });

  it('missing optional fields take the spec defaults', () => {
    const h = parseWfdbHeader('rec 1\nrec.dat 16\n', 'rec.hea');
    assert.deepEqual([h.fs, h.nSamples, h.startTime], [250, null, null]);
    assert.deepEqual(
      [h.signals[0]!.adcGain, h.signals[0]!.calibrated, h.signals[0]!.units],
      [200, false, 'mV'],
    );
  });

  it('a checksum field of 0 the data does not match is "not recorded", not a mismatch (CinC 2017)', async () => {
    const d = await describeRecord(fileURLToPath(new URL('../fixtures/wfdb/A00001.hea', import.meta.url)));
    assert.deepEqual([d.checksums_ok, d.checksum_status], [null, 'not recorded']);
    assert.equal(d.leads[0]!.checksum?.ok, null);
  });
});

describe('record paths', () => {
  it('a folder of symbolic links to records is walked like the records themselves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-links-'));
    try {
      for (const name of ['A1980', 'JS00001']) {
        for (const ext of ['hea', 'mat']) symlinkSync(`${DIR}${name}.${ext}`, join(dir, `${name}.${ext}`));
      }
      symlinkSync(DIR, join(dir, 'linked-folder'));
      symlinkSync(dir, join(dir, 'loop'));
      symlinkSync(join(dir, 'nothing'), join(dir, 'dangling.hea'));
      const names = expandInputs([dir]).map((f) => f.slice(dir.length + 1));
      assert.ok(names.includes('A1980.hea') && names.includes('JS00001.hea'));
      assert.ok(names.includes('linked-folder/HR00001.hea'));
      assert.ok(!names.some((n) => n.startsWith('loop/')), 'a link back to a walked folder is not followed');
      assert.ok(walkFiles(dir).length > 4);
      const described = await describeFolder(`${dir}/`);
      const failed = described.filter((d) => 'error' in d);
      assert.equal(failed.length, 0);
      assert.ok(described.length >= 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a record path without extension resolves to its header', () => {
    assert.deepEqual(expandInputs([`${DIR}A1980`]), [`${DIR}A1980`]);
  });
});
