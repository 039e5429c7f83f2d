import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BeatDelineation } from '../../src/signal/delineate.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { featuresFromBeats, rhythmFeatures, rrStatistics, sampleEntropy } from '../../src/signal/rhythm.js';
import { expertPoints, ludbLead, mitdbExcerpt, seededRandom } from './qrs-fixtures.js';

const close = (actual: number | null, expected: number, relative: number, label: string) => {
  assert.ok(actual !== null, `${label} is null`);
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${label}: ${actual} vs ${expected}`,
  );
};

/** Beats with only R peaks known (QRS bounds at R, no P/T): enough for the RR features. */
const bareBeats = (rPeaks: number[]): BeatDelineation[] =>
  rPeaks.map((r) => ({ r, qrs: { onset: r, offset: r }, p: null, t: null }));

/** pNN50 in integer arithmetic: |RR difference| > 50 ms is 1000 |difference in samples| > 50 fs. */
const exactPnn50 = (rPeaks: number[], fs: number) => {
  const rr = rPeaks.slice(1).map((r, k) => r - rPeaks[k]!);
  const diffs = rr.slice(1).map((v, k) => Math.abs(v - rr[k]!));
  return diffs.filter((d) => 1000 * d > 50 * fs).length / diffs.length;
};

describe('RR features against numpy golden values (MIT-BIH reference beats)', () => {
  for (const record of ['101', '208'] as const) {
    it(`record ${record}: heart rate, SDNN, RMSSD, pNN50, CV, sample entropy`, () => {
      const x = mitdbExcerpt(record);
      const f = featuresFromBeats(bareBeats(x.beats), x.fs, x.length);
      const g = x.golden;
      close(f.heartRateBpm, g.heart_rate_bpm, 1e-9, 'heart rate');
      close(f.rrMeanMs, g.rr_mean_ms, 1e-9, 'RR mean');
      close(f.sdnnMs, g.sdnn_ms, 1e-9, 'SDNN');
      close(f.rmssdMs, g.rmssd_ms, 1e-9, 'RMSSD');
      close(f.pnn50, g.pnn50, 1e-9, 'pNN50');
      close(f.pnn50, exactPnn50(x.beats, x.fs), 1e-9, 'pNN50 in whole samples');
      close(f.rrCv, g.rr_cv, 1e-9, 'CV');
      close(f.rrSampleEntropy, g.rr_sample_entropy!, 1e-9, 'sample entropy');
      close(sampleEntropy(g.rr_ms), g.rr_sample_entropy!, 1e-9, 'sample entropy of the golden RR');
    });
  }

  it('per-beat RR arrays: previous, next and the local mean of the last 10 intervals', () => {
    const x = mitdbExcerpt('208');
    const f = featuresFromBeats(bareBeats(x.beats), x.fs, x.length);
    const rr = x.golden.rr_ms;
    const n = x.beats.length;
    assert.equal(f.beats.rrPreviousMs.length, n);
    assert.equal(f.beats.rrPreviousMs[0], null);
    assert.equal(f.beats.rrNextMs[n - 1], null);
    close(f.beats.rrPreviousMs[7]!, rr[6]!, 1e-9, 'previous RR');
    close(f.beats.rrNextMs[7]!, rr[7]!, 1e-9, 'next RR');
    const last10 = rr.slice(5, 15);
    close(f.beats.rrLocalMeanMs[15]!, last10.reduce((s, v) => s + v, 0) / 10, 1e-9, 'local mean');
    close(f.beats.rrLocalMeanMs[3]!, (rr[0]! + rr[1]! + rr[2]!) / 3, 1e-9, 'local mean, early beat');
  });

  it('pNN50 counts differences above 50 ms, not of exactly 50 ms (360 Hz: 18 samples)', () => {
    // RR 172 and 190 samples: 477.77777777777777 and 527.7777777777778 ms, 50.00000000000006 ms apart in floats.
    assert.equal(featuresFromBeats(bareBeats([0, 172, 362]), 360, 1000).pnn50, 0);
    assert.equal(featuresFromBeats(bareBeats([0, 172, 363]), 360, 1000).pnn50, 1);
    assert.equal(rrStatistics([477.77777777777777, 527.7777777777778]).pnn50, 0);
    const x = mitdbExcerpt('208');
    assert.equal(featuresFromBeats(bareBeats(x.beats), x.fs, x.length).pnn50, 61 / 104);
  });

  it('sample entropy: null for too few intervals, 0 for a perfectly regular series, higher when irregular', () => {
    assert.equal(sampleEntropy([800, 810, 790]), null);
    assert.equal(sampleEntropy(new Array(30).fill(800)), 0);
    const alternating = Array.from({ length: 40 }, (_, k) => (k % 2 ? 700 : 900));
    assert.equal(sampleEntropy(alternating), 0);
    const random = seededRandom(11);
    const irregular = Array.from({ length: 200 }, () => 600 + 400 * random());
    assert.ok(sampleEntropy(irregular)! > 1, `${sampleEntropy(irregular)}`);
  });
});

describe('rhythmFeatures on real records (detected beats)', () => {
  it('MIT-BIH excerpts: heart rate and HRV close to the values from the reference beats', () => {
    // Measured: 101 HR 70.601 vs 70.605, SDNN 50.57 vs 50.47, RMSSD 26.61 vs 26.41;
    // 208 (many PVCs, located on a different extremum) HR exact, SDNN 95.3 vs 97.8, RMSSD 148.2 vs 153.0.
    for (const record of ['101', '208'] as const) {
      const x = mitdbExcerpt(record);
      const f = rhythmFeatures({ fs: x.fs, signals: x.signals, leads: x.leads });
      assert.equal(f.beatCount, x.beats.length);
      assert.equal(f.lead, 0);
      close(f.heartRateBpm, x.golden.heart_rate_bpm, 0.002, `${record} heart rate`);
      close(f.sdnnMs, x.golden.sdnn_ms, 0.05, `${record} SDNN`);
      close(f.rmssdMs, x.golden.rmssd_ms, 0.05, `${record} RMSSD`);
      assert.equal(f.beats.qrsMs.length, f.beatCount);
    }
  });

  it('LUDB sinus records: P waves present, PR and QRS durations near the experts', () => {
    // Measured: record 2 PR 207 vs 192 ms, QRS 70 vs 90 ms; record 9 PR 213 vs 195 ms, QRS 71 vs 73 ms.
    for (const record of ['2', '9'] as const) {
      const lead = ludbLead(record);
      const f = rhythmFeatures({ fs: lead.fs, signals: [lead.signal], leads: ['II'] });
      const pOn = expertPoints(lead, 'p', 'onset');
      const qrsOn = expertPoints(lead, 'N', 'onset');
      const qrsOff = expertPoints(lead, 'N', 'offset');
      const expertPr = pOn.map((p) => (1000 * (qrsOn.find((q) => q > p)! - p)) / lead.fs);
      const expertQrs = qrsOn.map((q, k) => (1000 * (qrsOff[k]! - q)) / lead.fs);
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      assert.ok(f.pWaveRatio! >= 0.9, `P ratio ${f.pWaveRatio}`);
      assert.ok(Math.abs(f.prMeanMs! - mean(expertPr)) <= 25, `PR ${f.prMeanMs} vs ${mean(expertPr)}`);
      assert.ok(Math.abs(f.qrsMeanMs! - mean(expertQrs)) <= 25, `QRS ${f.qrsMeanMs} vs ${mean(expertQrs)}`);
      assert.deepEqual(f.flags, []);
    }
  });

  it('a record in µV or V gives the features of the same record in mV (the wave floors are in mV)', () => {
    const lead = ludbLead('2');
    const inMv = rhythmFeatures({ fs: lead.fs, signals: [lead.signal], leads: ['II'], units: ['mV'] });
    for (const [unit, scale] of [
      ['uV', 1000],
      ['V', 0.001],
    ] as const) {
      const signals = [lead.signal.map((v) => v * scale)];
      const f = rhythmFeatures({ fs: lead.fs, signals, leads: ['II'], units: [unit] });
      assert.equal(f.pWaveRatio, inMv.pWaveRatio, unit);
      assert.deepEqual(f.beats.rPeaks, inMv.beats.rPeaks, unit);
      assert.ok(
        Math.abs(f.prMeanMs! - inMv.prMeanMs!) < 1e-9,
        `${unit} PR ${f.prMeanMs} vs ${inMv.prMeanMs}`,
      );
    }
    // A lead in no voltage unit is delineated without the floors rather than against them.
    const adc = rhythmFeatures({ fs: lead.fs, signals: [lead.signal.map((v) => v * 200)], units: ['adu'] });
    assert.ok(adc.pWaveRatio! >= 0.9, `ADC units: P ratio ${adc.pWaveRatio}`);
  });

  it('LUDB record 8 (paced, atrial fibrillation): no P waves, pacing flagged', () => {
    const lead = ludbLead('8');
    const f = rhythmFeatures({ fs: lead.fs, signals: [lead.signal] });
    assert.equal(f.pWaveRatio, 0);
    assert.equal(f.prMeanMs, null);
    assert.ok(f.flags.includes('pacing_spikes'));
    assert.ok(f.beats.pWave.every((p) => !p));
  });

  it('RR intervals run between all detected beats, also those the delineator leaves out (lead held flat)', () => {
    // MIT-BIH 101 with MLII (the delineated lead) held at one value from 20 to 30 s, V1 intact: the detector still
    // finds beats there, the delineator cannot. RR was taken between delineated beats only: intervals spanned
    // the beats left out (SDNN 1247 ms, RR up to 10.4 s; intact 50.6 ms).
    const x = mitdbExcerpt('101');
    const signals = x.signals.map((s) => s.slice());
    signals[0]!.fill(signals[0]![20 * x.fs]!, 20 * x.fs, 30 * x.fs);
    const detected = Array.from(detectQrs(signals, x.fs, { referenceLead: 0 }).rPeaks);
    const f = rhythmFeatures({ fs: x.fs, signals, leads: x.leads });
    assert.ok(f.beats.rPeaks.length < detected.length, 'some detected beats are not delineated');
    assert.equal(f.beatCount, detected.length);
    const rr = detected.slice(1).map((r, k) => (1000 * (r - detected[k]!)) / x.fs);
    const expected = rrStatistics(rr);
    for (const key of Object.keys(expected) as Array<keyof typeof expected>)
      assert.equal(f[key], expected[key], key);
    f.beats.rPeaks.forEach((r, k) => {
      const j = detected.indexOf(r);
      assert.equal(f.beats.rrPreviousMs[k], j > 0 ? rr[j - 1]! : null, `beat at ${r}: previous RR`);
      assert.equal(f.beats.rrNextMs[k], rr[j] ?? null, `beat at ${r}: next RR`);
    });
  });

  it('an interval across samples where no lead is finite is no RR interval (left out of HRV, null per beat)', () => {
    // MIT-BIH 101 with both leads NaN from 20 to 24 s: no beat can be detected there, so the interval from the last
    // beat before to the first after is the gap, not a heartbeat (it made SDNN several times the intact record's).
    const x = mitdbExcerpt('101');
    const signals = x.signals.map((s) => s.slice().fill(Number.NaN, 20 * x.fs, 24 * x.fs));
    const f = rhythmFeatures({ fs: x.fs, signals, leads: x.leads });
    const detected = Array.from(detectQrs(signals, x.fs, { referenceLead: 0 }).rPeaks);
    const across = detected.findIndex((r) => r > 24 * x.fs);
    assert.ok(across > 0 && detected[across - 1]! < 20 * x.fs, 'one interval spans the gap');
    const rr = detected.slice(1).map((r, k) => (1000 * (r - detected[k]!)) / x.fs);
    const expected = rrStatistics(rr.filter((_, k) => k !== across - 1));
    for (const key of Object.keys(expected) as Array<keyof typeof expected>)
      assert.equal(f[key], expected[key], key);
    const after = f.beats.rPeaks.indexOf(detected[across]!);
    if (after >= 0)
      assert.equal(f.beats.rrPreviousMs[after], null, 'the first beat after the gap has no previous RR');
    const intact = rhythmFeatures({ fs: x.fs, signals: x.signals, leads: x.leads });
    assert.ok(
      Math.abs(f.sdnnMs! - intact.sdnnMs!) < 0.5 * intact.sdnnMs!,
      `SDNN ${f.sdnnMs} vs intact ${intact.sdnnMs}`,
    );
  });

  it('an empty record gives nulls and flags, not a crash', () => {
    const f = rhythmFeatures({ fs: 500, signals: [new Float32Array(0)] });
    assert.equal(f.beatCount, 0);
    assert.equal(f.heartRateBpm, null);
    assert.equal(f.sdnnMs, null);
    assert.equal(f.pWaveRatio, null);
    assert.ok(f.flags.includes('too_short'));
    assert.equal(rhythmFeatures({ fs: 500, signals: [] }).beatCount, 0);
  });
});
