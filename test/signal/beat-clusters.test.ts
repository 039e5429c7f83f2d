/**
 * QRS clusters and their vote on ventricular origin against the numpy reference of the experiment that measured them
 * (test/fixtures/beats/make_cluster_golden.py on MIT-BIH 208's first minute: normal beats, PVCs, fusion beats).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ShapeError } from '../../src/errors.js';
import { voteLogits } from '../../src/infer/beat-inputs.js';
import {
  CLUSTER_DEFAULTS,
  MAX_ACTIVE_CLUSTERS,
  qrsClusters,
  type BeatWindows,
} from '../../src/signal/beat-clusters.js';
import { seededRandom } from '../../src/util/random.js';
import { mitdbExcerpt } from './qrs-fixtures.js';

interface Golden {
  fs: number;
  half: number;
  peaks: number[];
  clusters: number[];
  logits: number[][];
  voted: Record<string, number[][]>;
}

const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/beats/cluster-golden.json', import.meta.url)), 'utf8'),
) as Golden;
const LABELS = ['N', 'S', 'V', 'F', 'Q'];

/** 208's beats as [count, 2 leads, QRS +- half] windows in mV, the R peak at `half`. */
function windowsOf208(): BeatWindows {
  const excerpt = mitdbExcerpt('208');
  const width = 2 * golden.half + 1;
  const data = new Float32Array(golden.peaks.length * 2 * width);
  golden.peaks.forEach((peak, b) =>
    excerpt.signals.forEach((signal, l) =>
      data.set(signal.subarray(peak - golden.half, peak + golden.half + 1), (b * 2 + l) * width),
    ),
  );
  return { data, count: golden.peaks.length, channels: 2, width };
}

function probabilities(row: ArrayLike<number>): number[] {
  const values = Array.from(row);
  const high = Math.max(...values);
  const e = values.map((v) => Math.exp(v - high));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

test("208's beats fall into the reference's QRS clusters", () => {
  const clusters = qrsClusters(windowsOf208(), 2, golden.half, golden.fs);
  assert.deepEqual(Array.from(clusters), golden.clusters);
  assert.ok(
    new Set(golden.clusters).size > 1 && new Set(golden.clusters).size < 20,
    'several shapes, not one per beat',
  );
});

test('the vote equals the reference for weights 0.5 and 1', () => {
  for (const weight of [0.5, 1]) {
    const logits = Float32Array.from(golden.logits.flat());
    voteLogits(logits, Int32Array.from(golden.clusters), LABELS, weight);
    const expected = golden.voted[weight.toFixed(1)]!;
    expected.forEach((row, b) => {
      const got = probabilities(logits.subarray(b * 5, (b + 1) * 5));
      probabilities(row).forEach((p, c) =>
        assert.ok(Math.abs(got[c]! - p) < 1e-5, `weight ${weight}, beat ${b}`),
      );
    });
  }
});

test('the vote moves only ventricular origin: N vs S and V vs F keep each beat’s ratios; weight 0 changes nothing', () => {
  // Two beats of one shape: the first clearly V, the second called N with some S.
  const logits = Float32Array.from([
    0,
    0,
    Math.log(9),
    Math.log(1),
    -20,
    Math.log(6),
    Math.log(2),
    0,
    -20,
    -20,
  ]);
  const before = [probabilities(logits.subarray(0, 5)), probabilities(logits.subarray(5, 10))];
  const unchanged = Float32Array.from(logits);
  voteLogits(unchanged, [0, 0], LABELS, 0);
  [0, 1].forEach((b) =>
    probabilities(unchanged.subarray(b * 5, b * 5 + 5)).forEach((p, c) =>
      assert.ok(Math.abs(p - before[b]![c]!) < 1e-6),
    ),
  );
  voteLogits(logits, [0, 0], LABELS, 1);
  const [first, second] = [probabilities(logits.subarray(0, 5)), probabilities(logits.subarray(5, 10))];
  const shareOf = (p: number[]) => p[2]! + p[3]!;
  const mean = (shareOf(before[0]!) + shareOf(before[1]!)) / 2;
  assert.ok(
    Math.abs(shareOf(first) - mean) < 1e-6 && Math.abs(shareOf(second) - mean) < 1e-6,
    'both get the mean',
  );
  assert.ok(Math.abs(second[0]! / second[1]! - before[1]![0]! / before[1]![1]!) < 1e-4, 'N:S ratio kept');
  assert.ok(Math.abs(first[2]! / first[3]! - before[0]![2]! / before[0]![3]!) < 1e-4, 'V:F ratio kept');
  // Q is neither ventricular nor supraventricular: a beat the network finds unclassifiable stays so.
  const withQ = Float32Array.from([0, -5, Math.log(4), -5, Math.log(3), -5, -5, Math.log(9), -5, -20]);
  const q = probabilities(withQ.subarray(0, 5))[4]!;
  voteLogits(withQ, [0, 0], LABELS, 1);
  assert.ok(Math.abs(probabilities(withQ.subarray(0, 5))[4]! - q) < 1e-6, 'Q probability kept');
});

test('windows and logits of the wrong size are a ShapeError', () => {
  const windows = windowsOf208();
  assert.throws(
    () => qrsClusters({ ...windows, count: windows.count + 1 }, 2, golden.half, golden.fs),
    ShapeError,
  );
  assert.throws(() => qrsClusters(windows, 3, golden.half, golden.fs), ShapeError);
  assert.throws(
    () => qrsClusters(windows, 2, 3, golden.fs, CLUSTER_DEFAULTS),
    ShapeError,
    'QRS span outside the window',
  );
  assert.throws(() => voteLogits(new Float32Array(9), [0, 0], LABELS, 1), ShapeError);
});

test('a shape is compared with the most recently joined clusters only: after MAX_ACTIVE_CLUSTERS others it starts anew', () => {
  // One lead, 21 samples at 100 Hz (QRS +- 0.1 s): beat 0 is a spike, then that many beats of unrelated noise, then
  // the spike again. Noise never merges (correlation < 0.9); the second spike finds its first cluster evicted.
  const width = 21;
  const random = seededRandom(3);
  const count = MAX_ACTIVE_CLUSTERS + 2;
  const data = new Float32Array(count * width);
  for (let b = 1; b < count - 1; b++) for (let i = 0; i < width; i++) data[b * width + i] = random() - 0.5;
  data[10] = 1;
  data[(count - 1) * width + 10] = 1;
  const clusters = qrsClusters({ data, count, channels: 1, width }, 1, 10, 100);
  assert.equal(
    new Set(clusters).size,
    count,
    'noise beats stay apart, and the evicted spike is not joined again',
  );
  // With one noise beat fewer the first spike is still active and the last one joins it.
  const shorter = new Float32Array(data.subarray(width * 1, count * width));
  shorter.fill(0, 0, width);
  shorter[10] = 1;
  const fewer = qrsClusters({ data: shorter, count: count - 1, channels: 1, width }, 1, 10, 100);
  assert.equal(fewer[count - 2], fewer[0]);
});
