import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWfdb } from '../../../src/io/read.js';
import { FIXTURES, close, golden } from './helpers.js';

/** Real records (CinC 2017 16+24 .mat, PTB-XL 16, LUDB 16, MIT-BIH 212 excerpt) against the numpy reference. */
describe('WFDB records match the independent numpy reference', () => {
  for (const [name, expected] of Object.entries(golden.records)) {
    it(`${name}: every sample within 1e-6, checksums as computed by the reference`, async () => {
      const { record, checksums } = await readWfdb(`${FIXTURES}${name}.hea`);
      assert.equal(record.fs, expected.fs);
      assert.deepEqual(record.leads, expected.leads);
      assert.deepEqual(
        checksums.map((c) => c.actual),
        expected.checksums,
      );
      record.signals.forEach((signal, lead) => {
        const want = expected.signals[lead]!;
        assert.equal(signal.length, want.length);
        want.head.forEach((value, i) => {
          if (value === null) assert.ok(Number.isNaN(signal[i]));
          else
            assert.ok(close(signal[i]!, value), `${name} lead ${lead} sample ${i}: ${signal[i]} vs ${value}`);
        });
        let sum = 0;
        let squares = 0;
        let nans = 0;
        for (const v of signal) {
          if (Number.isNaN(v)) nans++;
          else {
            sum += v;
            squares += v * v;
          }
        }
        assert.equal(nans, want.nan_count);
        // Whole-signal sums: float32 rounding (<= 6e-8 relative per sample) bounds the drift.
        assert.ok(close(sum, want.sum, 1e-6 * want.length), `${name} lead ${lead} sum ${sum} vs ${want.sum}`);
        assert.ok(close(squares, want.sum_squares, 1e-6 * want.length), `${name} lead ${lead} squares`);
      });
    });
  }

  it('reports checksum agreement per lead (header values may be stored unsigned, as in PTB-XL)', async () => {
    const ptb = await readWfdb(`${FIXTURES}00001_lr.hea`);
    assert.ok(ptb.checksums.every((c) => c.ok === true));
    assert.equal(ptb.checksums[2]!.expected, 64758);
    assert.equal(ptb.checksums[2]!.actual, -778);
    const mit = await readWfdb(`${FIXTURES}208x.hea`);
    assert.deepEqual(
      mit.checksums.map((c) => c.ok),
      [true, true],
    );
  });

  it('CinC 2017 headers carry a placeholder checksum 0: not recorded (ok null), neither a mismatch nor thrown', async () => {
    const cinc = await readWfdb(`${FIXTURES}A00001.hea`, { strict: true });
    assert.deepEqual(cinc.checksums[0], { lead: 'ECG', expected: 0, actual: -29483, ok: null });
    assert.equal(cinc.record.metadata.checksumsOk, true);
  });

  it('age and sex from each header dialect', async () => {
    const cases: Array<[string, number | null, string]> = [
      ['00001_lr', 56, 'female'], // #Age: 56 / #Sex: Female
      ['1', 51, 'female'], // #<age>: 51 / #<sex>: F
      ['208x', 23, 'female'], // # 23 F 2546 N/A x1
      ['A00001', null, 'unknown'], // no comments
    ];
    for (const [name, age, sex] of cases) {
      const { record } = await readWfdb(`${FIXTURES}${name}.hea`);
      assert.equal(record.age, age, name);
      assert.equal(record.sex, sex, name);
    }
  });
});
