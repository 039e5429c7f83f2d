/**
 * `measurements.method` (predict's JSON Lines and report) says how the record at hand was measured: the lead
 * actually delineated, and the axis only when one was computed. Before, every record read "delineation of lead II
 * ... axis from net QRS areas of I and aVF", also a one-lead CinC 2017 record (lead "ECG", no axis).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRecord } from '../../src/io/read.js';
import { measureRecord } from '../../src/signal/measure.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/wfdb/${name}`, import.meta.url));

test('a one-lead record: the method names its lead (ECG) and no axis', async () => {
  const m = measureRecord(await readRecord(fixture('A00001.hea')));
  assert.equal(m.lead, 'ECG');
  assert.equal(m.axis, null);
  assert.match(m.method, /delineation of lead ECG \(/);
  assert.doesNotMatch(m.method, /lead II|axis|aVF|multi-lead/);
});

test('a 12-lead record: lead II delineated, axis from I and aVF; without aVF the axis says aVF was derived', async () => {
  const ludb = await readRecord(fixture('1.hea'));
  const m = measureRecord(ludb);
  assert.notEqual(m.axis, null);
  assert.match(m.method, /^R peaks: multi-lead Pan-Tompkins .*delineation of lead ii \(/);
  assert.match(m.method, /; axis from net QRS areas of I and aVF$/);
  const keep = ludb.leads.map((lead) => lead !== 'avf');
  const pick = <T>(values: readonly T[]) => values.filter((_, i) => keep[i]);
  const noAvf = measureRecord({
    ...ludb,
    leads: pick(ludb.leads),
    signals: pick(ludb.signals),
    units: pick(ludb.units),
  });
  assert.match(noAvf.method, /; axis from net QRS areas of I and aVF \(derived as II - I\/2\)$/);
});
