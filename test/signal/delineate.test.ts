import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignalError } from '../../src/errors.js';
import { delineateBeats, type BeatDelineation } from '../../src/signal/delineate.js';
import { matchEvents } from '../../src/signal/detect/match.js';
import {
  beatTimes,
  expertPoints,
  ludbLead,
  mitdbExcerpt,
  syntheticEcg,
  type LudbLead,
} from './qrs-fixtures.js';

type Point = [
  symbol: 'p' | 'N' | 't',
  which: 'onset' | 'peak' | 'offset',
  get: (b: BeatDelineation) => number | null,
];

const POINTS: Record<string, Point> = {
  'QRS on': ['N', 'onset', (b) => b.qrs.onset],
  'QRS off': ['N', 'offset', (b) => b.qrs.offset],
  'P on': ['p', 'onset', (b) => b.p?.onset ?? null],
  'P peak': ['p', 'peak', (b) => b.p?.peak ?? null],
  'T peak': ['t', 'peak', (b) => b.t?.peak ?? null],
  'T off': ['t', 'offset', (b) => b.t?.offset ?? null],
};

/** Matches one fiducial point against the experts (±150 ms); unmatched detections count only inside the span. */
function compare(lead: LudbLead, beats: BeatDelineation[], [symbol, which, get]: Point) {
  const reference = expertPoints(lead, symbol, which);
  const detected = beats.map(get).filter((v): v is number => v !== null);
  const m = matchEvents(reference, detected, Math.round(0.15 * lead.fs));
  const [first, last] = [lead.samples[0]!, lead.samples[lead.samples.length - 1]!];
  const errorsMs = m.errors.map((e) => (1000 * e) / lead.fs);
  return {
    reference: reference.length,
    tp: m.truePositives,
    fp: m.extra.filter((s) => s >= first && s <= last).length,
    meanMs: errorsMs.reduce((s, e) => s + e, 0) / errorsMs.length,
    maxAbsMs: Math.max(...errorsMs.map(Math.abs)),
  };
}

describe('delineateBeats on LUDB lead II against the experts', () => {
  // Measured (record 2 / record 9): mean error ms and max |error| ms per point:
  // QRS on 18.4/24 and 4.4/18, QRS off -0.9/10 and 1.8/4, P on 5.8/28 and -15.8/22, P peak 3.8/10 and -1.3/4,
  // T peak 0.8/8 and 0.0/2, T off -11.8/30 and 3.0/14. Every expert point is found, no false positive.
  const limits: Record<string, { mean: number; max: number }> = {
    'QRS on': { mean: 22, max: 30 },
    'QRS off': { mean: 5, max: 15 },
    'P on': { mean: 20, max: 30 },
    'P peak': { mean: 6, max: 15 },
    'T peak': { mean: 4, max: 12 },
    'T off': { mean: 15, max: 40 },
  };
  for (const record of ['2', '9'] as const) {
    it(`record ${record}: every fiducial point found, no false positives, timing within bounds`, () => {
      const lead = ludbLead(record);
      const beats = delineateBeats(lead.signal, lead.fs);
      for (const [name, point] of Object.entries(POINTS)) {
        const r = compare(lead, beats, point);
        assert.ok(r.tp >= r.reference - 1, `${name}: ${r.tp}/${r.reference}`);
        assert.equal(r.fp, 0, `${name}: false positives`);
        assert.ok(Math.abs(r.meanMs) <= limits[name]!.mean, `${name}: mean error ${r.meanMs} ms`);
        assert.ok(r.maxAbsMs <= limits[name]!.max, `${name}: max |error| ${r.maxAbsMs} ms`);
      }
    });
  }

  it('record 8 (atrial fibrillation): QRS found, no P wave reported', () => {
    const lead = ludbLead('8');
    const beats = delineateBeats(lead.signal, lead.fs);
    const qrs = compare(lead, beats, POINTS['QRS on']!);
    assert.equal(qrs.tp, qrs.reference);
    assert.equal(expertPoints(lead, 'p', 'peak').length, 0);
    assert.equal(beats.filter((b) => b.p !== null).length, 0);
  });
});

describe('delineateBeats on synthetic beats at any sampling rate', () => {
  const times = beatTimes(10, 0.9, 2);
  const offsetsMs = (
    beats: BeatDelineation[],
    fs: number,
    get: (b: BeatDelineation) => number | null | undefined,
  ) =>
    beats.map((b, k) => {
      const v = get(b);
      return v === null || v === undefined ? NaN : 1000 * (v / fs - times[k]!);
    });
  const at500 = delineateBeats(syntheticEcg(500, 10, times), 500);

  for (const fs of [250, 360, 500, 1000]) {
    it(`${fs} Hz: P and T peaks on the generated waves, QRS bounds as at 500 Hz`, () => {
      const beats = delineateBeats(syntheticEcg(fs, 10, times), fs);
      assert.equal(beats.length, times.length);
      for (const ms of offsetsMs(beats, fs, (b) => b.p?.peak)) assert.ok(Math.abs(ms + 200) <= 4, `P ${ms}`);
      for (const ms of offsetsMs(beats, fs, (b) => b.t?.peak)) assert.ok(Math.abs(ms - 280) <= 4, `T ${ms}`);
      const on = offsetsMs(beats, fs, (b) => b.qrs.onset);
      const off = offsetsMs(beats, fs, (b) => b.qrs.offset);
      const on500 = offsetsMs(at500, 500, (b) => b.qrs.onset);
      const off500 = offsetsMs(at500, 500, (b) => b.qrs.offset);
      on.forEach((ms, k) => assert.ok(Math.abs(ms - on500[k]!) <= 5, `QRS on ${ms} vs ${on500[k]}`));
      off.forEach((ms, k) => assert.ok(Math.abs(ms - off500[k]!) <= 5, `QRS off ${ms} vs ${off500[k]}`));
      // The generated Q and S waves span about -50..+50 ms around R.
      on.forEach((ms) => assert.ok(ms < -30 && ms > -60, `QRS on ${ms}`));
      off.forEach((ms) => assert.ok(ms > 30 && ms < 60, `QRS off ${ms}`));
    });
  }

  it('beats without P waves get p = null', () => {
    const beats = delineateBeats(syntheticEcg(500, 10, times, false), 500);
    assert.equal(beats.length, times.length);
    assert.ok(beats.every((b) => b.p === null));
  });

  it('empty, flat and NaN signals: no beats, no crash', () => {
    assert.deepEqual(delineateBeats(new Float32Array(0), 500), []);
    assert.deepEqual(delineateBeats(new Float32Array(5000), 500), []);
    assert.deepEqual(delineateBeats(new Float32Array(5000).fill(NaN), 500), []);
  });

  it('R peaks from other leads on a flat, constant or NaN lead: no beats (was QRS R +- 120 ms)', () => {
    const rPeaks = [1000, 2000, 3000];
    for (const fill of [0, 0.3, NaN])
      assert.deepEqual(delineateBeats(new Float32Array(5000).fill(fill), 500, { rPeaks }), []);
  });

  it('a lead lost for a while: beats there are left out, the others delineated as before', () => {
    const signal = syntheticEcg(500, 10, times);
    const lost = Float32Array.from(signal).fill(NaN, 2000, 3500);
    const rPeaks = at500.map((b) => b.r);
    const kept = delineateBeats(lost, 500, { rPeaks });
    const inside = (r: number) => r - 30 >= 2000 && r + 30 < 3500; // its +-60 ms window all NaN
    assert.deepEqual(
      kept.map((b) => b.r),
      rPeaks.filter((r) => !inside(r)),
    );
    const before = at500.filter((b) => b.r < 2000 - 500);
    assert.deepEqual(kept.slice(0, before.length), before);
  });

  it('R peaks outside the signal are ignored', () => {
    const signal = syntheticEcg(500, 10, times);
    const rPeaks = [-3, ...at500.map((b) => b.r), signal.length + 5];
    assert.deepEqual(delineateBeats(signal, 500, { rPeaks }), at500);
  });
});

describe('delineateBeats keeps every point inside the signal', () => {
  // LUDB records 2 and 9 cut by 0-380 ms at either end: P waves cut by the start had their onset at negative
  // samples (record 2 cut by 20 samples: P onset -20).
  for (const record of ['2', '9'] as const) {
    it(`record ${record}, cut at the start or the end`, () => {
      const lead = ludbLead(record);
      for (let cut = 0; cut < 200; cut += 10) {
        for (const s of [lead.signal.subarray(cut), lead.signal.subarray(0, lead.signal.length - cut)]) {
          for (const b of delineateBeats(s, lead.fs)) {
            const points = [b.r, b.qrs.onset, b.qrs.offset, b.p?.onset, b.p?.peak, b.p?.offset, b.t?.peak];
            for (const v of [...points, b.t?.offset].filter((v) => v != null))
              assert.ok(v >= 0 && v < s.length, `cut ${cut}, n ${s.length}: ${JSON.stringify(b)}`);
          }
        }
      }
    });
  }
});

describe('delineateBeats on a lead with NaN gaps', () => {
  it('bridges them as detectQrs does: no point on a NaN sample, T as on the lead bridged by hand', () => {
    // MIT-BIH 101 MLII (60 s, reference beats) with a +1 mV baseline offset (a raw lead not high-passed) and three
    // gaps: 60 ms mid-RR after beat 10 (its T wave), from 20 to 100 ms after R 20 (its QRS offset and T), 250 to
    // 120 ms before R 30 (its P wave). Filled with 0, each gap was a 1 mV step: beat 10's T peak and offset fell
    // inside the gap (3476 / 3492 in 3466-3487; 3417 / 3440 bridged), as did points of beats 20 and 30.
    const x = mitdbExcerpt('101');
    const fs = x.fs;
    const lead = x.signals[0]!.map((v) => v + 1);
    const b = x.beats;
    const mid = Math.round((b[10]! + b[11]!) / 2);
    const gaps: Array<[number, number]> = [
      [mid, mid + Math.round(0.06 * fs)],
      [b[20]! + Math.round(0.02 * fs), b[20]! + Math.round(0.1 * fs)],
      [b[30]! - Math.round(0.25 * fs), b[30]! - Math.round(0.12 * fs)],
    ];
    const gapped = lead.slice();
    for (const [from, to] of gaps) gapped.fill(NaN, from, to);
    const beats = delineateBeats(gapped, fs, { rPeaks: b });
    assert.equal(beats.length, b.length);
    const inGap = (v: number | null | undefined) =>
      v != null && gaps.some(([from, to]) => v >= from && v < to);
    for (const d of beats) {
      const points = [d.qrs.onset, d.qrs.offset, d.p?.onset, d.p?.peak, d.p?.offset, d.t?.peak, d.t?.offset];
      assert.ok(!points.some(inGap), `a point on a NaN sample: ${JSON.stringify(d)}`);
    }
    // Beat 30's P peak lay in the gap: the sample after it is no P peak.
    assert.equal(beats[30]!.p, null);
    // The first gap bridged by hand (a straight line between its neighbours): beat 10 comes out the same.
    const [from, to] = gaps[0]!;
    const bridged = lead.slice();
    for (let i = from; i < to; i++)
      bridged[i] = lead[from - 1]! + ((lead[to]! - lead[from - 1]!) * (i - from + 1)) / (to - from + 1);
    const byHand = delineateBeats(bridged, fs, { rPeaks: b });
    assert.deepEqual(beats[10], byHand[10]);
  });
});

describe('delineateBeats checks its sampling frequency', () => {
  it('0, negative, NaN or infinite fs is a SignalError, as in detectQrs (was: no beats)', () => {
    const signal = syntheticEcg(500, 10, beatTimes(10, 0.8));
    for (const fs of [0, -500, Number.NaN, Infinity]) {
      assert.throws(
        () => delineateBeats(signal, fs, { rPeaks: [400, 800, 1200] }),
        (e: unknown) => e instanceof SignalError && /invalid sampling frequency/.test(e.message),
        `fs ${fs}`,
      );
      assert.throws(() => delineateBeats(signal, fs), SignalError, `fs ${fs}, own R peaks`);
    }
  });
});
