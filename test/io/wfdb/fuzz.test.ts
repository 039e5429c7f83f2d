import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
