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
import { millivoltsPer, toMillivolts } from '../../src/signal/units.js';

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
