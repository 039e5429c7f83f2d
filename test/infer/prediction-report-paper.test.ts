/**
 * The `predict --report` HTML as a reader sees it: a trace overruns into its neighbours' bands as on paper ECGs (a
 * 12-lead QRS often passes the ±1 mV of its own 20 mm band) and is clipped only at the page edge, where a red tick
 * and a note say so; the bars' legend names the threshold mark only when a class has one; the class legend (report
 * and table) leaves out labels that are their own name ("AF AF").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EcgRecord } from '../../src/io/record.js';
import { tableLine } from '../../src/infer/predict-output.js';
import { paper, predictionReportHtml } from '../../src/infer/prediction-report.js';
import type { ClassScore, EcgResult } from '../../src/infer/result.js';
import { recordResult } from '../helpers/results.js';

const FS = 250;
/** Pixels per mm and mm per band, as the report draws. */
const PX = 3;
const BAND_MM = 20;

/** Three leads of 4 s at 250 Hz, flat but for a QRS-like spike of `mv` (a 28 ms top) in lead V2 every second. */
function spiky(mv: number): EcgRecord {
  const flat = () => new Float32Array(4 * FS);
  const v2 = flat();
  for (let beat = 0; beat < 4; beat++)
    for (let k = -8; k <= 8; k++) v2[beat * FS + 125 + k] = mv * Math.min(1, (9 - Math.abs(k)) / 5);
  return {
    name: 'spiky',
    fs: FS,
    leads: ['I', 'II', 'V2'],
    units: ['mV', 'mV', 'mV'],
    signals: [flat(), flat(), v2],
    age: null,
    sex: 'unknown',
    metadata: {},
  };
}

/** The y values (px) of each lead's polyline. */
function traceYs(svg: string): number[][] {
  return [...svg.matchAll(/<polyline class="tr" points="([^"]*)"/g)].map((m) =>
    m[1]!.split(' ').map((point) => Number(point.split(',')[1])),
  );
}

test('a 3 mV QRS overruns its 20 mm band into the neighbours’ (no clamp at ±1 mV), not clipped', () => {
  const html = paper(spiky(3), { saliency: null });
  const v2 = traceYs(html)[2]!;
  const bandTop = 2 * BAND_MM * PX; // lead 3's band: 40-60 mm
  assert.ok(Math.min(...v2) < bandTop - 5 * PX, `V2 reaches ${Math.min(...v2)} px, band top ${bandTop} px`);
  assert.ok(Math.abs(Math.min(...v2) - (50 - 30) * PX) < 1, '3 mV at 10 mm/mV: 30 mm above the baseline');
  assert.doesNotMatch(html, /class="clip"/);
  assert.doesNotMatch(html, /clipped at the page edge/);
});

test('an absurd 50 mV QRS is clipped at the page edge: marked with a red tick and named under the trace', () => {
  const html = paper(spiky(50), { saliency: null });
  const v2 = traceYs(html)[2]!;
  assert.equal(Math.min(...v2), 0, 'drawn at the top edge of the page');
  assert.equal((html.match(/<line class="clip"/g) ?? []).length, 4, 'one tick per clipped beat');
  assert.match(html, /lead V2: clipped at the page edge/);
  assert.doesNotMatch(html, /lead (I|II): clipped/);
});

const resultOf = (classes: ClassScore[]): EcgResult =>
  recordResult(classes, { file: 'r.hea', name: 'r', fs: 300, leads: ['ECG'], seconds: 30, model: 'af-ft' });

const own = (label: string, probability: number, passed: boolean): ClassScore => ({
  label,
  name: label,
  probability,
  threshold: null,
  passed,
});

const single = resultOf([own('other', 0.3, false), own('AF', 0.7, true)]);

test('single-label results: the report says nothing of a threshold mark (their bars have none)', () => {
  assert.match(predictionReportHtml([single], new Map()), /Bars: probability;/);
  assert.doesNotMatch(predictionReportHtml([single], new Map()), /black mark/);
});

test('labels that are their own name ("AF AF", "other other") get no legend, in the table nor in the report', () => {
  assert.doesNotMatch(tableLine(single), /legend:/);
  assert.doesNotMatch(predictionReportHtml([single], new Map()), /<h2>Legend<\/h2>/);
});

test('a class with a threshold: the report explains the mark; known labels keep their legend in table and report', () => {
  const multi = resultOf([
    { label: 'NORM', name: 'normal ECG', probability: 0.9, threshold: 0.5, passed: true },
    { label: 'MI', name: 'myocardial infarction', probability: 0.1, threshold: 0.6, passed: false },
  ]);
  const html = predictionReportHtml([multi], new Map());
  assert.match(html, /black mark:\s+the class's threshold/);
  assert.match(html, /<li><b>MI<\/b> myocardial infarction<\/li>/);
  assert.match(tableLine(multi), /legend: NORM normal ECG; MI myocardial infarction\n/);
});
