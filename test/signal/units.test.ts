/**
 * Leads of models without standardisation are read in millivolts: the same ECG stored in µV, mV or V gives the same
 * model input, in training's preprocessing and the Predictor's alike; a lead that is not in a voltage is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preprocessorFromConfig } from '../../src/datasets/cache/preprocess.js';
import { SignalError } from '../../src/errors.js';
import { prepareRecord } from '../../src/infer/prepare.js';
import type { EcgRecord } from '../../src/io/record.js';
import { readRecord } from '../../src/io/index.js';
import {
  amplitudeNotice,
  millivoltsPer,
  PLAUSIBLE_MILLIVOLTS,
  robustPeakToPeak,
  toMillivolts,
} from '../../src/signal/units.js';

function record(unit: string, scale: number): EcgRecord {
  const fs = 100;
  const mv = Float32Array.from(
    { length: 1000 },
    (_, i) => Math.sin((2 * Math.PI * 1.2 * i) / fs) ** 15 * 1.5,
  );
  return {
    name: `r-${unit}`,
    fs,
    leads: ['II'],
    units: [unit],
    signals: [mv.map((v) => v * scale)],
    age: null,
    sex: 'unknown',
    metadata: {},
  };
}

test('voltage units: mV, µV/uV, V, nV in any case; ADC units and z-scores are not voltages', () => {
  assert.equal(millivoltsPer('mV'), 1);
  assert.equal(millivoltsPer('MV'), 1);
  assert.equal(millivoltsPer('uV'), 1e-3);
  assert.equal(millivoltsPer('µV'), 1e-3);
  assert.equal(millivoltsPer('V'), 1e3);
  assert.equal(millivoltsPer('nV'), 1e-6);
  for (const unit of ['adu', 'z', '', 'mmHg']) assert.equal(millivoltsPer(unit), null);
  assert.deepEqual(Array.from(toMillivolts(Float32Array.of(1000, -250), 'uV', 'x')), [1, -0.25]);
});

test('without standardisation a record in µV or V reads as the same record in mV; in ADC units it is refused', async () => {
  const closeTo = (a: Float32Array, b: Float32Array) =>
    assert.ok(
      a.every((v, i) => Math.abs(v - b[i]!) < 1e-4 * (1 + Math.abs(b[i]!))),
      'the same signal',
    );
  const info = { leads: ['II'], fs: 100, bandpass: [0.5, 40] as [number, number], standardize: false };
  const reference = prepareRecord(record('mV', 1), info).signals[0]!;
  closeTo(prepareRecord(record('uV', 1000), info).signals[0]!, reference);
  closeTo(prepareRecord(record('V', 1e-3), info).signals[0]!, reference);
  assert.ok(Math.max(...reference) > 0.5, 'amplitudes are kept in mV');
  assert.throws(
    () => prepareRecord(record('adu', 200), info),
    (error: unknown) =>
      error instanceof SignalError && /record r-adu, lead II: units "adu"/.test(error.message),
  );
  // Training's preprocessing gives the same input as the Predictor's.
  const training = preprocessorFromConfig({ resampleTo: 100, bandpass: [0.5, 40], standardize: false });
  const trained = await training.apply(record('uV', 1000));
  closeTo(trained.signals[0]!, reference);
  assert.deepEqual(trained.units, ['mV']);
  await assert.rejects(async () => training.apply(record('adu', 200)), SignalError);
  // With standardisation the unit does not matter, ADC units included.
  const z = { ...info, standardize: true };
  closeTo(prepareRecord(record('adu', 200), z).signals[0]!, prepareRecord(record('mV', 1), z).signals[0]!);
});

test('a model reading amplitudes warns when a record in mV has amplitudes no ECG in mV has (µV or V mislabelled)', async () => {
  // A real 12-lead PTB-XL record (fixture), stored in mV: no notice. Its values written as µV or V but labelled mV
  // (a CSV without a unit in its header reads as mV) are 1000x off: a notice naming the record and the likely unit.
  const real = await readRecord('test/fixtures/datasets/ptbxl/records100/00000/00001_lr.hea');
  assert.deepEqual(real.units, Array(12).fill('mV'));
  const info = { leads: real.leads, fs: 100, bandpass: [0.5, 40] as [number, number], standardize: false };
  const span = robustPeakToPeak(prepareRecord(real, info).signals[1]!);
  assert.ok(span > 0.3 && span < 5, `lead II spans ${span} mV`);
  assert.deepEqual(prepareRecord(real, info).notices, []);
  const scaled = (by: number): EcgRecord => ({
    ...real,
    signals: real.signals.map((x) => x.map((v) => v * by)),
  });
  const micro = prepareRecord(scaled(1000), info).notices.join('\n');
  assert.match(micro, /record 00001_lr: .* mV peak to peak .* probably a smaller unit \(µV/);
  assert.match(prepareRecord(scaled(1e-3), info).notices.join('\n'), /probably a larger unit \(V\), not mV/);
  // 1e-4 V units read as mV (10x off) are caught for a record of typical amplitude (00002: 1.36 mV median lead
  // span, PTB-XL's median record 1.11), not for a low-voltage one like 00001 (0.57 mV): the limit of a span check.
  const typical = await readRecord('test/fixtures/datasets/ptbxl/records100/00000/00002_lr.hea');
  const tenfold = { ...typical, signals: typical.signals.map((x) => x.map((v) => v * 10)) };
  assert.deepEqual(prepareRecord(typical, info).notices, []);
  assert.match(prepareRecord(tenfold, info).notices.join('\n'), /probably a smaller unit/);
  assert.deepEqual(prepareRecord(scaled(10), info).notices, []);
  // The same mislabelled record for a z-scoring model: amplitudes do not matter, no notice.
  assert.deepEqual(prepareRecord(scaled(1000), { ...info, standardize: true }).notices, []);
  // Edges: a flat record and no lead give no notice (reported elsewhere); the bounds themselves are plausible.
  assert.equal(amplitudeNotice([new Float32Array(100)], 'flat'), null);
  assert.equal(amplitudeNotice([null], 'none'), null);
  for (const bound of [PLAUSIBLE_MILLIVOLTS.low, PLAUSIBLE_MILLIVOLTS.high])
    assert.equal(
      amplitudeNotice([Float32Array.from({ length: 400 }, (_, i) => (i % 2) * bound)], 'edge'),
      null,
    );
});
