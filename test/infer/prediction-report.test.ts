/**
 * The `predict --report` trace: a batch report keeps each record's first REPORT_SECONDS only, and drawing that
 * excerpt gives the same SVG as drawing the whole record (so nothing the report shows is lost by the cut).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EcgRecord } from '../../src/io/record.js';
import { paper, REPORT_SECONDS, reportExcerpt } from '../../src/infer/prediction-report.js';

/** A 2-lead, 60 s record at 250 Hz: a 1.1 Hz "beat" on a slow drift, so every part of it draws differently. */
function longRecord(seconds = 60, fs = 250): EcgRecord {
  const lead = (scale: number) =>
    Float32Array.from(
      { length: seconds * fs },
      (_, i) => scale * Math.sin((2 * Math.PI * 1.1 * i) / fs) + i / fs / 30,
    );
  return {
    name: 'long',
    fs,
    leads: ['I', 'II'],
    units: ['mV', 'mV'],
    signals: [lead(1), lead(-0.5)],
    age: null,
    sex: 'unknown',
    metadata: {},
  };
}

const saliency = { label: 'A', times: [0, 4, 12], importance: [0.2, 1, 0.5], segmentSeconds: 2 };

test('reportExcerpt keeps the first REPORT_SECONDS of every lead and draws the same paper as the whole record', () => {
  const whole = longRecord();
  const excerpt = reportExcerpt(whole);
  const samples = REPORT_SECONDS * whole.fs;
  assert.deepEqual(
    excerpt.signals.map((s) => s.length),
    [samples, samples],
  );
  assert.deepEqual(excerpt.signals[1], whole.signals[1]!.subarray(0, samples));
  assert.deepEqual(excerpt.leads, whole.leads);
  assert.equal(paper(excerpt, { saliency }), paper(whole, { saliency }));
});

test('reportExcerpt returns a record no longer than the report as it is', () => {
  const short = longRecord(REPORT_SECONDS);
  assert.equal(reportExcerpt(short), short);
});
