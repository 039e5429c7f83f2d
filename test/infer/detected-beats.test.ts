// The beats `predict` classifies on a record without annotations: detected R peaks, RR features from every peak,
// and the beats whose QRS complex the record's edge cuts left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifiableBeats, EDGE_QRS_SECONDS, predictDetectedBeats } from '../../src/infer/detected-beats.js';
import type { BeatInput, BeatPrediction } from '../../src/infer/predictor.js';
import { readRecord } from '../../src/io/read.js';
import { detectQrs } from '../../src/signal/qrs.js';

const EXAMPLE = new URL('../../examples/mitdb/208.hea', import.meta.url).pathname;

test('beats whose R peak lies within 0.1 s of either end are left out; the others keep their true intervals', () => {
  assert.equal(EDGE_QRS_SECONDS, 0.1);
  // 100 Hz, 1000 samples: the margin is 10 samples at each end (9.9 s and later is cut).
  const peaks = [5, 50, 150, 250, 989, 990, 995];
  const { beats, partial, notice } = classifiableBeats(peaks, 100, 1000);
  assert.deepEqual(
    beats.map((b) => b.sample),
    [50, 150, 250, 989],
  );
  assert.equal(partial, 3);
  // Beat 50 follows the left-out peak at 5: its previous interval is the real 0.45 s, not a borrowed one.
  assert.ok(Math.abs(beats[0]!.rrPrevious! - 0.45) < 1e-9);
  assert.ok(Math.abs(beats[3]!.rrNext! - 0.01) < 1e-9);
  assert.match(notice, /^7 beats found by the QRS detector .*; 3 of them not classified: their QRS is cut/);
});

test('no peak near an edge: every beat is classified and the notice only counts them', () => {
  const { beats, partial, notice } = classifiableBeats([100, 200, 300], 100, 1000);
  assert.equal(beats.length, 3);
  assert.equal(partial, 0);
  assert.equal(notice, '3 beats found by the QRS detector (src/signal/qrs)');
  assert.equal(classifiableBeats([], 100, 1000).beats.length, 0);
});

test('predict classifies exactly the classifiable beats of the detected peaks, the notice first', async () => {
  const record = await readRecord(EXAMPLE);
  // Cut the excerpt 0.04 s after a detected peak, so that the last beat's QRS is cut by the end.
  const peaks = detectQrs(record.signals, record.fs).rPeaks;
  const end = peaks[peaks.length - 3]! + Math.round(0.04 * record.fs);
  const cut = { ...record, signals: record.signals.map((s) => s.slice(0, end)) };
  const seen: BeatInput[][] = [];
  const fake = {
    predictBeats: async (_: unknown, beats: readonly BeatInput[]): Promise<BeatPrediction> => {
      seen.push([...beats]);
      return { beats: [], notices: ['model notice'] } as unknown as BeatPrediction;
    },
  };
  const prediction = await predictDetectedBeats(fake, cut);
  const expected = classifiableBeats(detectQrs(cut.signals, cut.fs).rPeaks, cut.fs, end);
  assert.ok(expected.partial >= 1, 'the cut beat is found and left out');
  assert.deepEqual(seen, [expected.beats]);
  assert.deepEqual(prediction.notices, [expected.notice, 'model notice']);
  const margin = EDGE_QRS_SECONDS * cut.fs;
  for (const beat of seen[0]!) assert.ok(beat.sample >= margin && beat.sample < end - margin);
});
