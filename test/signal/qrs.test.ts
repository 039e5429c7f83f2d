import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectQrs } from '../../src/signal/qrs.js';
import { matchEvents } from '../../src/signal/detect/match.js';
import { beatTimes, mitdbExcerpt, seededRandom, syntheticEcg } from './qrs-fixtures.js';

const window150 = (fs: number) => Math.round(0.15 * fs);

describe('matchEvents', () => {
  it('pairs closest first, one to one, within the tolerance', () => {
    const shared = matchEvents([100, 110], [108], 30);
    assert.deepEqual([shared.truePositives, shared.missed], [1, [100]]);
    const m = matchEvents([100, 200, 300], [95, 104, 260, 420], 30);
    // 100 takes 104 (4 apart, closer than 95); 260 is 40 from 300, outside the tolerance.
    assert.equal(m.truePositives, 1);
    assert.deepEqual(m.errors, [4]);
    assert.deepEqual(m.missed, [200, 300]);
    assert.deepEqual(m.extra, [95, 260, 420]);
  });
});

describe('detectQrs on MIT-BIH excerpts (60 s, reference beat annotations)', () => {
  for (const record of ['101', '208'] as const) {
    it(`record ${record}: Se and +P >= 99 % within 150 ms, peaks on the annotated R`, () => {
      const x = mitdbExcerpt(record);
      const detection = detectQrs(x.signals, x.fs);
      const m = matchEvents(x.beats, detection.rPeaks, window150(x.fs));
      // Measured: 101 71/71, 208 106/106, no false positives; mean |error| 0.4 and 1.0 samples.
      assert.ok(m.truePositives / x.beats.length >= 0.99, `Se ${m.truePositives}/${x.beats.length}`);
      assert.ok(m.falsePositives <= 1, `FP ${m.falsePositives}`);
      const meanAbs = m.errors.reduce((s, e) => s + Math.abs(e), 0) / m.errors.length;
      assert.ok(meanAbs < 3, `mean |error| ${meanAbs} samples`);
      assert.equal(detection.referenceLead, 0);
    });
  }

  it('an inverted lead gives the same beats, located on the minima, and says so', () => {
    const x = mitdbExcerpt('101');
    const upright = detectQrs(x.signals[0]!, x.fs);
    const inverted = detectQrs(
      x.signals[0]!.map((v) => -v),
      x.fs,
    );
    assert.ok(inverted.flags.includes('inverted'));
    assert.equal(inverted.polarity, -1);
    assert.ok(!upright.flags.includes('inverted'));
    const m = matchEvents(upright.rPeaks, inverted.rPeaks, 2);
    assert.equal(m.truePositives, upright.rPeaks.length);
    assert.equal(m.falsePositives, 0);
  });

  it('pauses of 3-6 s (sinus arrest) add no beats during or after them and lose none', () => {
    // Record 101's excerpt with flat, slightly noisy baseline spliced mid-RR after every 10th beat (as MIT-BIH 232's
    // pauses of up to 6 s). Before the stale-threshold rule needed beat-like evidence, the thresholds were halved
    // in each pause and stayed low for dozens of beats: this excerpt gave 75 false positives and 2 missed beats.
    const x = mitdbExcerpt('101');
    const random = seededRandom(5);
    const pauses = x.beats
      .filter((_, k) => k % 10 === 9 && k + 1 < x.beats.length)
      .map((beat, j) => ({
        at: Math.round((beat + x.beats[x.beats.indexOf(beat) + 1]!) / 2),
        length: (3 + j) * x.fs,
      }));
    const shift = (sample: number) => pauses.reduce((sum, p) => sum + (p.at <= sample ? p.length : 0), 0);
    const signals = x.signals.map((lead) => {
      const out: number[] = [];
      let from = 0;
      for (const pause of [...pauses, { at: lead.length, length: 0 }]) {
        out.push(...lead.subarray(from, pause.at));
        const base = lead[pause.at - 1]!;
        for (let k = 0; k < pause.length; k++) out.push(base + 0.01 * (random() - 0.5));
        from = pause.at;
      }
      return Float32Array.from(out);
    });
    const beats = x.beats.map((beat) => beat + shift(beat));
    const m = matchEvents(beats, detectQrs(signals, x.fs).rPeaks, window150(x.fs));
    assert.equal(m.truePositives, beats.length, `missed ${m.missed.length}`);
    assert.equal(m.falsePositives, 0, `extra at ${m.extra.map((e) => (e / x.fs).toFixed(1)).join(', ')} s`);
  });

  it('an amplitude drop (16x, a loosened electrode) still lowers the thresholds: the smaller beats are found', () => {
    // The stale-threshold rule the pause test above restricts. Without it (no halving) 19 of 50 beats are found.
    const fs = 360;
    const times = beatTimes(40, 0.8, 2);
    const random = seededRandom(9);
    const signal = syntheticEcg(fs, 40, times).map(
      (v, i) => (i >= 15 * fs ? v / 16 : v) + 0.002 * (random() - 0.5),
    );
    const m = matchEvents(
      times.map((t) => Math.round(t * fs)),
      detectQrs(signal, fs).rPeaks,
      window150(fs),
    );
    // Measured: 47 of 50 (the three beats missed are within 3.5 s of the drop), no false positive.
    assert.ok(m.truePositives >= 46, `${m.truePositives}/${times.length}`);
    assert.equal(m.falsePositives, 0);
  });

  it('a 7 s NaN or zero lead-in: the same beats after it as without it, none inside it', () => {
    // The thresholds were learnt from the first 8 s: from a lead-in without energy both levels started at ~0 and
    // nearly every candidate became a beat for minutes (MIT-BIH 119, 5 min, 7 s NaN: 306 false beats).
    const x = mitdbExcerpt('101');
    const leadIn = 7 * x.fs;
    for (const signals of [x.signals, [x.signals[0]!]]) {
      const plain = Array.from(detectQrs(signals, x.fs).rPeaks, (p) => p + leadIn);
      for (const fill of [NaN, 0]) {
        const padded = signals.map((lead) => {
          const out = new Float32Array(leadIn + lead.length).fill(fill);
          out.set(lead, leadIn);
          return out;
        });
        const m = matchEvents(plain, detectQrs(padded, x.fs).rPeaks, window150(x.fs));
        const what = `${signals.length} lead(s), lead-in of ${fill}`;
        assert.equal(m.truePositives, plain.length, `${what}: missed ${m.missed.length}`);
        assert.equal(
          m.falsePositives,
          0,
          `${what}: extra at ${m.extra.map((e) => (e / x.fs).toFixed(1)).join(', ')} s`,
        );
      }
    }
  });

  it('the same peaks in volts and in microvolts as in millivolts', () => {
    // The flat test once compared the band-passed amplitude with 0.01 in the input's unit: in volts, no beats.
    const x = mitdbExcerpt('101');
    const mv = detectQrs(x.signals, x.fs);
    for (const scale of [0.001, 1000]) {
      const scaled = detectQrs(
        x.signals.map((lead) => lead.map((v) => v * scale)),
        x.fs,
      );
      assert.deepEqual(Array.from(scaled.rPeaks), Array.from(mv.rPeaks), `x${scale}`);
      assert.deepEqual(scaled.flags, mv.flags, `x${scale}`);
    }
  });

  it('a second lead of low-level float noise (a disconnected electrode) changes no peak; alone it is flagged noisy', () => {
    // Not flat: float noise has no resolution step, and an absolute amplitude would depend on the unit. Measured on
    // 2 min of DS1 records 101, 106, 119, 203 and 208 with 0.001-0.03 mV noise: identical peaks (session 24).
    const x = mitdbExcerpt('208');
    const lead = x.signals[0]!;
    const random = seededRandom(3);
    const one = detectQrs(lead, x.fs);
    for (const amplitude of [0.001, 0.01]) {
      const noise = Float32Array.from({ length: lead.length }, () => amplitude * (random() - 0.5) * 2);
      assert.deepEqual(detectQrs([lead, noise], x.fs).rPeaks, one.rPeaks, `${amplitude} mV`);
      assert.ok(detectQrs(noise, x.fs).flags.includes('noisy'), `${amplitude} mV alone`);
    }
  });

  it('uses the other lead where the reference lead is disconnected', () => {
    const x = mitdbExcerpt('101');
    const lead0 = x.signals[0]!.slice();
    lead0.fill(0, 20 * x.fs, 40 * x.fs);
    const detection = detectQrs([lead0, x.signals[1]!], x.fs);
    const m = matchEvents(x.beats, detection.rPeaks, window150(x.fs));
    const alone = matchEvents(x.beats, detectQrs(lead0, x.fs).rPeaks, window150(x.fs));
    // Measured: 62/71 beats and 6 false positives (lead V1 of record 101 is noisy in that stretch, and a few
    // beats are lost where the lead in use changes), against 47/71 on the disconnected lead alone.
    assert.ok(m.truePositives >= alone.truePositives + 10, `${m.truePositives} vs ${alone.truePositives}`);
    assert.ok(m.truePositives / x.beats.length >= 0.85, `Se ${m.truePositives}/${x.beats.length}`);
    assert.ok(m.falsePositives <= 8, `FP ${m.falsePositives}`);
  });
});

describe('detectQrs at any sampling rate (synthetic ECG)', () => {
  for (const fs of [128, 250, 360, 500, 1000]) {
    it(`${fs} Hz: every beat within 10 ms, nothing else`, () => {
      const times = beatTimes(20, 0.8, fs);
      const signal = syntheticEcg(fs, 20, times);
      const detection = detectQrs(signal, fs);
      const m = matchEvents(
        times.map((t) => Math.round(t * fs)),
        detection.rPeaks,
        Math.round(0.01 * fs),
      );
      assert.equal(m.truePositives, times.length);
      assert.equal(m.falsePositives, 0);
      assert.deepEqual(detection.flags, []);
    });
  }
});

describe('detectQrs robustness', () => {
  const fs = 360;

  it('flat lines: no beats, flagged flat', () => {
    for (const signal of [new Float32Array(10 * fs), new Float32Array(10 * fs).fill(5)]) {
      const detection = detectQrs(signal, fs);
      assert.equal(detection.rPeaks.length, 0);
      assert.deepEqual(detection.flags, ['flat']);
      assert.equal(detection.referenceLead, -1);
    }
  });

  it('a constant lead with ±1 step of quantisation noise is flat, in mV and in V', () => {
    const random = seededRandom(11);
    const adu = Float32Array.from({ length: 60 * fs }, () => 1000 + Math.round(2 * random() - 1));
    // (At 5 units per step, e.g. µV, the level is capped at 0.01 as it always was: such a lead reads as noise.)
    for (const perAdu of [0.005, 5e-6]) {
      for (const signal of [adu.map(() => 1000 * perAdu), adu.map((v) => v * perAdu)]) {
        const detection = detectQrs(signal, fs);
        assert.equal(detection.rPeaks.length, 0, `${perAdu} per step`);
        assert.deepEqual(detection.flags, ['flat'], `${perAdu} per step`);
      }
    }
  });

  it('0 samples, 1 sample and less than a second: flagged too_short, no crash', () => {
    assert.deepEqual(detectQrs(new Float32Array(0), fs).flags.sort(), ['flat', 'too_short']);
    assert.equal(detectQrs([], fs).rPeaks.length, 0);
    assert.ok(detectQrs(new Float32Array(1), fs).flags.includes('too_short'));
    const short = detectQrs(syntheticEcg(fs, 0.8, [0.4]), fs);
    assert.ok(short.flags.includes('too_short'));
    assert.ok(short.rPeaks.length <= 1);
  });

  it('pure noise is flagged noisy', () => {
    const random = seededRandom(7);
    const noise = Float32Array.from({ length: 30 * fs }, () => random() - 0.5);
    assert.ok(detectQrs(noise, fs).flags.includes('noisy'));
  });

  it('clean beats are not flagged noisy, beats in moderate noise are still found', () => {
    const random = seededRandom(3);
    const times = beatTimes(30, 0.9, 5);
    const signal = syntheticEcg(fs, 30, times).map((v) => v + 0.1 * (random() - 0.5));
    const detection = detectQrs(signal, fs);
    const m = matchEvents(
      times.map((t) => Math.round(t * fs)),
      detection.rPeaks,
      window150(fs),
    );
    assert.equal(m.truePositives, times.length);
    assert.equal(m.falsePositives, 0);
    assert.ok(!detection.flags.includes('noisy'));
  });

  it('NaN and infinite stretches: flagged, no beat inside, beats around them kept', () => {
    const times = beatTimes(20, 0.8, 9);
    const signal = syntheticEcg(fs, 20, times);
    signal.fill(NaN, 5 * fs, 8 * fs);
    signal[12 * fs] = Infinity;
    const detection = detectQrs(signal, fs);
    assert.ok(detection.flags.includes('nan_gaps'));
    const inside = Array.from(detection.rPeaks).filter((p) => p >= 5 * fs && p < 8 * fs);
    assert.deepEqual(inside, []);
    const outside = times.filter((t) => t < 4.9 || t > 8.1).map((t) => Math.round(t * fs));
    const m = matchEvents(outside, detection.rPeaks, window150(fs));
    assert.ok(m.truePositives >= outside.length - 1, `${m.truePositives}/${outside.length}`);
    assert.equal(m.falsePositives, 0);
  });

  it('an all-NaN record is flat, with no beats', () => {
    const detection = detectQrs(new Float32Array(5 * fs).fill(NaN), fs);
    assert.equal(detection.rPeaks.length, 0);
    assert.ok(detection.flags.includes('flat') && detection.flags.includes('nan_gaps'));
  });

  it('pacemaker spikes before each beat are flagged and do not add beats', () => {
    const rate = 1000;
    const times = beatTimes(20, 0.85, 4);
    const signal = syntheticEcg(rate, 20, times);
    for (const t of times) {
      const at = Math.round((t - 0.04) * rate);
      signal[at]! += 4;
      signal[at + 1]! += 4;
    }
    const detection = detectQrs(signal, rate);
    assert.ok(detection.flags.includes('pacing_spikes'));
    const m = matchEvents(
      times.map((t) => Math.round(t * rate)),
      detection.rPeaks,
      Math.round(0.01 * rate),
    );
    assert.equal(m.truePositives, times.length);
    assert.equal(m.falsePositives, 0);
  });
});
