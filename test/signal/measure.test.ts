/**
 * measureRecord on a real 12-lead record (LUDB record 1, test/fixtures/wfdb): a flat or missing lead II is measured
 * as if the record had no lead II, and the same record gives the same measurements in µV, mV or V (thresholds are
 * in mV); in units that are not a voltage the amplitude floors are skipped and no axis is given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRecord } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';
import { measureRecord } from '../../src/signal/measure.js';

const real = await readRecord(fileURLToPath(new URL('../fixtures/wfdb/1.hea', import.meta.url)));
const II = real.leads.indexOf('ii');

const values = (m: ReturnType<typeof measureRecord>) => ({ ...m, method: undefined });
const withII = (fill: number): EcgRecord => ({
  ...real,
  signals: real.signals.map((s, i) => (i === II ? new Float32Array(s.length).fill(fill) : s)),
});
const inUnit = (unit: string, scale: number): EcgRecord => ({
  ...real,
  units: real.leads.map(() => unit),
  signals: real.signals.map((s) => s.map((v) => v * scale)),
});

describe('measureRecord', () => {
  it('LUDB record 1 as recorded (mV): measured on lead II', () => {
    const m = measureRecord(real);
    assert.deepEqual(
      [m.lead, m.heartRate, m.pr, m.qrs, m.qt, m.qtc, m.axis],
      ['ii', 46, 144, 64, 458, 400, 15],
    );
  });

  it('a flat or all-NaN lead II is measured as when the record has no lead II (before: QRS 240 ms, no PR/QT)', () => {
    const absent = measureRecord({
      ...real,
      leads: real.leads.filter((_, i) => i !== II),
      signals: real.signals.filter((_, i) => i !== II),
      units: real.units.filter((_, i) => i !== II),
    });
    assert.deepEqual([absent.lead, absent.pr, absent.qrs, absent.qt, absent.axis], ['i', 146, 54, 451, 16]);
    for (const fill of [0, 0.3, Number.NaN])
      assert.deepEqual(values(measureRecord(withII(fill))), values(absent));
  });

  it('the same record in µV or V gives the same measurements as in mV (before: V lost PR and QT)', () => {
    const mv = values(measureRecord(real));
    assert.deepEqual(values(measureRecord(inUnit('uV', 1000))), mv);
    assert.deepEqual(values(measureRecord(inUnit('V', 1e-3))), mv);
  });

  it('in ADC units no mV floor applies (tiny counts still give P and T) and no axis is given', () => {
    const mv = measureRecord(real);
    const adu = measureRecord(inUnit('adu', 1e-3));
    assert.deepEqual([adu.pr, adu.qrs, adu.qt, adu.axis], [mv.pr, mv.qrs, mv.qt, null]);
  });
});
