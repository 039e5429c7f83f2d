import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FormatError, MissingFileError } from '../../src/errors.js';
import { readAnnotations, readRecord, readRecordFromFiles, readWfdbHeader } from '../../src/io/index.js';
import { FIXTURES, close, fixture, golden } from './wfdb/helpers.js';

const firstSamples = golden.records['00001_lr']!.signals[0]!.head;

function assertPtbRecord(record: Awaited<ReturnType<typeof readRecord>>): void {
  assert.equal(record.name, '00001_lr');
  assert.equal(record.fs, 100);
  assert.equal(record.signals.length, 12);
  firstSamples.slice(0, 50).forEach((v, i) => assert.ok(close(record.signals[0]![i]!, v!)));
  assert.deepEqual([record.age, record.sex], [56, 'female']);
}

describe('readRecord dispatch', () => {
  it('reads a .hea path, a record path without extension and a .dat path the same way', async () => {
    for (const path of ['00001_lr.hea', '00001_lr', '00001_lr.dat'])
      assertPtbRecord(await readRecord(`${FIXTURES}${path}`));
  });

  it('reads a .mat through the .hea beside it (CinC 2017)', async () => {
    const record = await readRecord(`${FIXTURES}A00001.mat`);
    assert.equal(record.fs, 300);
    assert.ok(close(record.signals[0]![0]!, golden.records.A00001!.signals[0]!.head[0]!));
  });

  it('reads a .mat without header with the MAT-file reader (fs given)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-read-'));
    copyFileSync(`${FIXTURES}A00001.mat`, join(dir, 'A00001.mat'));
    const record = await readRecord(join(dir, 'A00001.mat'), { fs: 300, gain: 1000 });
    const expected = golden.records.A00001!.signals[0]!;
    assert.equal(record.signals[0]!.length, expected.length);
    expected.head.forEach((v, i) => assert.ok(close(record.signals[0]![i]!, v!)));
    const sniffed = await readRecord(fixture('A00001.mat'), { fs: 300, gain: 1000 });
    assert.deepEqual(sniffed.signals[0]!.slice(0, 10), record.signals[0]!.slice(0, 10));
  });

  it('reads a .csv with the CSV reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-read-'));
    writeFileSync(join(dir, 'x.csv'), 'I,II\n0.5,1\n-0.5,2\n');
    const record = await readRecord(join(dir, 'x.csv'), { fs: 250 });
    assert.deepEqual([record.fs, record.leads, Array.from(record.signals[1]!)], [250, ['I', 'II'], [1, 2]]);
  });

  it('reads header bytes with their data files from a map, and dropped files', async () => {
    const files = new Map([
      ['00001_lr.hea', fixture('00001_lr.hea')],
      ['00001_lr.dat', fixture('00001_lr.dat')],
    ]);
    assertPtbRecord(await readRecord(files.get('00001_lr.hea')!, { files }));
    assertPtbRecord(await readRecordFromFiles(files));
  });

  it('names the missing file', async () => {
    await assert.rejects(
      readRecord(`${FIXTURES}nope.hea`),
      (e: unknown) => e instanceof MissingFileError && /nope\.hea/.test(e.message),
    );
    const files = new Map([['00001_lr.hea', fixture('00001_lr.hea')]]);
    await assert.rejects(
      readRecordFromFiles(files),
      (e: unknown) => e instanceof MissingFileError && /00001_lr\.dat/.test(e.message),
    );
    await assert.rejects(readRecordFromFiles(new Map()), FormatError);
    await assert.rejects(readRecord(`${FIXTURES}README.md`), /unsupported file type ".md"/);
  });

  it('reads headers and annotations by path', async () => {
    const header = await readWfdbHeader(`${FIXTURES}208x`);
    assert.equal(header.nSamples, 21600);
    const beats = await readAnnotations(`${FIXTURES}208x.atr`);
    assert.equal(beats.length, golden.annotations['208x.atr']!.count);
  });
});

describe('readRecordFromFiles: a dropped multi-segment record', () => {
  const MULTISEG = fileURLToPath(new URL('../fixtures/wfdb-multiseg/', import.meta.url));
  const expected = JSON.parse(readFileSync(join(MULTISEG, 'expected.json'), 'utf8')) as {
    n_samples: number;
    leads: string[];
    signals: Record<string, Array<number | null>>;
  };
  /** Every file of the fixture record, the master header last (drop order must not matter). */
  const dropped = () => {
    const names = readdirSync(MULTISEG).filter((name) => /\.(hea|dat)$/.test(name));
    names.sort((a, b) => Number(a === 'ms.hea') - Number(b === 'ms.hea'));
    return new Map<string, Uint8Array>(
      names.map((name) => [name, new Uint8Array(readFileSync(join(MULTISEG, name)))]),
    );
  };

  it('reads the master header (the one naming segments) with its segment, layout and data files', async () => {
    const files = dropped();
    assert.ok([...files.keys()].filter((name) => name.endsWith('.hea')).length >= 4);
    const record = await readRecordFromFiles(files);
    assert.equal(record.name, 'ms');
    assert.deepEqual(record.leads, expected.leads);
    record.leads.forEach((lead, k) => {
      const want = expected.signals[lead]!;
      assert.equal(record.signals[k]!.length, expected.n_samples, lead);
      want.forEach((value, i) => {
        const got = record.signals[k]![i]!;
        if (value === null) assert.ok(Number.isNaN(got), `${lead}[${i}] is a gap`);
        else assert.ok(close(got, value), `${lead}[${i}]: ${got} vs ${value}`);
      });
    });
  });

  it('refuses headers of another record, two master headers and segments without their master', async () => {
    const withStray = dropped();
    withStray.set('00001_lr.hea', fixture('00001_lr.hea'));
    await assert.rejects(
      readRecordFromFiles(withStray),
      (e: unknown) =>
        e instanceof FormatError &&
        /not segments of the multi-segment record ms\.hea: 00001_lr\.hea/.test(e.message),
    );
    const twoMasters = dropped();
    twoMasters.set('copy.hea', twoMasters.get('ms.hea')!);
    await assert.rejects(
      readRecordFromFiles(twoMasters),
      (e: unknown) => e instanceof FormatError && /ms\.hea, copy\.hea each name segments/.test(e.message),
    );
    const noMaster = dropped();
    noMaster.delete('ms.hea');
    await assert.rejects(
      readRecordFromFiles(noMaster),
      (e: unknown) =>
        e instanceof FormatError && /several headers given .*none names segments/.test(e.message),
    );
  });

  it('names the missing segment file', async () => {
    const files = dropped();
    files.delete('ms_0002.dat');
    await assert.rejects(
      readRecordFromFiles(files),
      (e: unknown) => e instanceof MissingFileError && /ms_0002/.test(e.message),
    );
  });
});

describe('browser safety', () => {
  it('the readers and sources import nothing from node: statically (node:fs is loaded lazily by pathSource)', () => {
    const modules = [
      'read.ts',
      'source.ts',
      'index.ts',
      'wfdb/header.ts',
      'wfdb/formats.ts',
      'wfdb/signals.ts',
      'wfdb/multisegment.ts',
    ];
    for (const module of [...modules, 'wfdb/annotations.ts', 'wfdb/record.ts']) {
      const text = readFileSync(new URL(`../../src/io/${module}`, import.meta.url), 'utf8');
      assert.doesNotMatch(text, /^import[^;]*from '(node:|fs|path)/m, module);
    }
  });
});

describe('readRecord over http', () => {
  let base = '';
  const server = createServer((request, response) => {
    const name = (request.url ?? '/').slice(1);
    try {
      response.end(readFileSync(join(FIXTURES, name)));
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());

  it('fetches the header and resolves data files relative to its URL', async () => {
    assertPtbRecord(await readRecord(`${base}00001_lr.hea`));
    const header = await readWfdbHeader(new URL(`${base}1.hea`));
    assert.equal(header.nSignals, 12);
  });

  it('turns a 404 into MissingFileError naming the URL', async () => {
    await assert.rejects(
      readRecord(`${base}absent.hea`),
      (e: unknown) => e instanceof MissingFileError && e.message.includes(`${base}absent.hea`),
    );
  });
});
