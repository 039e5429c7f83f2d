/**
 * The page's ECG paper (web/src/paper.ts) in Node: each lead is drawn in millivolts whatever its physical unit, and a
 * lead in no voltage unit is marked on the paper instead of being drawn as if it were in mV.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layout, traceOf } from '../../web/src/paper.js';

const wave = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i / 20));
const record = (unit: string, scale: number) => ({
  fs: 250,
  leads: ['II'],
  signals: [wave.map((v) => v * scale)],
  units: [unit],
});
const view = { zoom: 1, offset: 0 };

test('a lead in µV or V is drawn as the same lead in mV', () => {
  const mv = traceOf(record('mV', 1));
  for (const [unit, scale] of [
    ['uV', 1000],
    ['µV', 1000],
    ['V', 0.001],
  ] as const) {
    const trace = traceOf(record(unit, scale));
    trace.signals[0]!.forEach((v, i) =>
      assert.ok(Math.abs(v - mv.signals[0]![i]!) < 1e-5, `${unit} at ${i}`),
    );
    assert.deepEqual(
      layout(trace, view).strips.map((s) => s.label),
      ['II'],
    );
  }
});

test('a lead in no voltage unit is labelled "not mV" and fitted to its strip', () => {
  const trace = traceOf(record('adu', 200));
  assert.deepEqual(
    layout(trace, view).strips.map((s) => s.label),
    ['II (adu: not mV, scaled to fit)'],
  );
  const values = [...trace.signals[0]!];
  assert.ok(Math.max(...values) - Math.min(...values) < 2.5, 'fitted to about 2 mV peak to peak');
});
