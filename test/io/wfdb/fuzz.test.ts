import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fuzz, headerOf, type RecordCase } from './fuzzer.js';
import { fixture } from './helpers.js';

function recordCase(name: string, dataFiles: string[]): RecordCase {
  return { header: headerOf(fixture(`${name}.hea`)), files: new Map(dataFiles.map((f) => [f, fixture(f)])) };
}

describe('mutation fuzzing of headers, signal files and annotations', () => {
  it('400 seeded cases: each parses or throws one of our typed errors, quickly', { timeout: 120_000 }, () => {
    const records = [
      recordCase('208x', ['208x.dat']),
      recordCase('00001_lr', ['00001_lr.dat']),
      recordCase('A00001', ['A00001.mat']),
      recordCase('1', ['1.dat']),
    ];
    const annotations = [fixture('208x.atr'), fixture('1.ii')];
    const { counts, crashes, slowestMs } = fuzz(20260101, 400, records, annotations);
    assert.deepEqual(crashes, []);
    assert.ok(slowestMs < 2000, `slowest case ${slowestMs} ms`);
    // The mutations must exercise both sides: some inputs still parse, most are rejected as FormatError.
    assert.ok((counts.parsed ?? 0) > 20, JSON.stringify(counts));
    assert.ok((counts.FormatError ?? 0) > 50, JSON.stringify(counts));
  });

  it(
    '200 seeded cases over a multi-segment record (master, segment headers, data)',
    { timeout: 120_000 },
    () => {
      const dir = fileURLToPath(new URL('../../fixtures/wfdb-multiseg/', import.meta.url));
      const bytes = (name: string) => new Uint8Array(readFileSync(`${dir}${name}`));
      const segmentFiles = readdirSync(dir).filter((name) => /\.(hea|dat)$/.test(name) && name !== 'ms.hea');
      const record: RecordCase = {
        header: headerOf(bytes('ms.hea')),
        files: new Map(segmentFiles.map((name) => [name, bytes(name)])),
      };
      const { counts, crashes, slowestMs } = fuzz(20260311, 200, [record], []);
      assert.deepEqual(crashes, []);
      assert.ok(slowestMs < 2000, `slowest case ${slowestMs} ms`);
      assert.ok((counts.parsed ?? 0) > 10, JSON.stringify(counts));
      assert.ok((counts.FormatError ?? 0) + (counts.MissingFileError ?? 0) > 50, JSON.stringify(counts));
    },
  );
});
