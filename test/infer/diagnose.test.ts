/**
 * diagnose() reads a record's units before its mV thresholds: LUDB record 1 (test/fixtures/wfdb) in V or µV gets
 * the quality and measurements it gets in mV; in ADC units the amplitude thresholds are skipped and a notice says
 * so. The model is a stub: only the gate and the measurements are under test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { diagnose, type DiagnosePredictor } from '../../src/infer/diagnose.js';
import type { ModelInfo } from '../../src/infer/metadata.js';
import type { RecordPrediction } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';

const real = await readRecord(fileURLToPath(new URL('../fixtures/wfdb/1.hea', import.meta.url)));

const info = {
  labels: ['NORM'],
  labelKind: 'multi-label',
  thresholds: [0.5],
  fs: 500,
  leads: ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'],
  windowSamples: 5000,
  task: 'records',
  untrained: false,
} as ModelInfo;

const predictor: DiagnosePredictor = {
  predict: async () =>
    ({
      labels: [],
      probabilities: { NORM: 0.1 },
      notices: [],
      attention: null,
      saliency: null,
    }) as never as RecordPrediction,
};

const inUnit = (unit: string, scale: number): EcgRecord => ({
  ...real,
  units: real.leads.map(() => unit),
  signals: real.signals.map((s) => s.map((v) => v * scale)),
});

const run = (record: EcgRecord) => diagnose({ name: 'stub', info }, predictor, record);

describe('diagnose reads the record in mV', () => {
  it('the same record in V or µV: the quality and measurements of mV (before, in V: flat on every lead)', async () => {
    const mv = await run(real);
    assert.equal(mv.quality.summary, 'ok');
    assert.deepEqual(mv.notices, []);
    for (const record of [inUnit('V', 1e-3), inUnit('uV', 1000)]) {
      const result = await run(record);
      assert.deepEqual(result.quality, mv.quality);
      assert.deepEqual(result.measurements, mv.measurements);
      assert.deepEqual(result.notices, []);
    }
  });

  it('in ADC units: no µV floor (still diagnosable), no axis, and a notice naming the leads', async () => {
    const result = await run(inUnit('adu', 1e-3));
    assert.equal(result.quality.diagnosable, true);
    assert.equal(result.measurements!.axis, null);
    assert.equal(result.notices.length, 1);
    assert.match(
      result.notices[0]!,
      /^leads not in a voltage unit \(i, ii, .*, v6 in "adu"\): .*amplitude thresholds/,
    );
  });
});
