/**
 * The pure helpers of `npm run bench:infer`: seeded inputs (the same numbers for every runtime), the feeds of each
 * task, and the arithmetic of the report. Expected values are worked out by hand in the comments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelInfo } from '../../src/infer/metadata.js';
import {
  benchBatches,
  benchFeeds,
  better,
  gaussians,
  maxAbsDiff,
  median,
  smallestRatio,
  TASKS,
  windowsPerUnit,
  type WorkerResult,
} from '../../bench/infer-inputs.js';

const fusionInfo = parseModelInfo(
  {
    labels: ['NORM', 'MI'],
    sampling_rate: 100,
    leads: ['I', 'II', 'V1'],
    window: { samples: 1000 },
    patient_groups: [
      {
        kind: 'numeric',
        name: 'age',
        features: ['age'],
        mean: [60],
        std: [20],
        inputs: { values: 'patient_age_values', missing: 'patient_age_missing' },
      },
      {
        kind: 'categorical',
        name: 'sex',
        categories: ['male', 'female', 'unknown'],
        unknown: 'unknown',
        inputs: { values: 'patient_sex_values', missing: 'patient_sex_missing' },
      },
    ],
  },
  'fusion test metadata',
);

const beatInfo = parseModelInfo(
  {
    labels: ['N', 'S', 'V'],
    sampling_rate: 360,
    leads: ['MLII'],
    window: { samples: 256 },
    task: 'beats',
    beats: { before: 90, after: 166, rr: ['rrPrevious', 'rrNext', 'rrLocal', 'rrRecord'] },
  },
  'beat test metadata',
);

test('gaussians are seeded: same seed, same numbers; another seed, others; about N(0, 1)', () => {
  const a = gaussians(20_001, 7);
  assert.deepEqual(a, gaussians(20_001, 7));
  assert.notDeepEqual(a.subarray(0, 8), gaussians(8, 8));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  // 20 001 draws: the mean's SD is 1/sqrt(20001) = 0.007, the variance's about sqrt(2/20001) = 0.01.
  assert.ok(Math.abs(mean) < 0.04, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assert.ok(a.every(Number.isFinite));
});

test('fusion feeds: ecg [batch, leads, window] and each patient group encoded as the Predictor does', () => {
  const feeds = benchFeeds(fusionInfo, 4);
  const byName = Object.fromEntries(feeds.map((f) => [f.name, f]));
  assert.deepEqual(Object.keys(byName), [
    'ecg',
    'patient_age_values',
    'patient_age_missing',
    'patient_sex_values',
    'patient_sex_missing',
  ]);
  assert.deepEqual(byName.ecg!.dims, [4, 3, 1000]);
  assert.equal(byName.ecg!.data.length, 12_000);
  // Age 63 standardised with mean 60, SD 20: 0.15 in every row; sex 'female' is category 1, known.
  assert.deepEqual(byName.patient_age_values!.dims, [4, 1]);
  assert.deepEqual(
    Array.from(byName.patient_age_values!.data as Float32Array),
    [0.15, 0.15, 0.15, 0.15].map(Math.fround),
  );
  assert.deepEqual(Array.from(byName.patient_age_missing!.data as Float32Array), [0, 0, 0, 0]);
  assert.equal(byName.patient_sex_values!.dtype, 'int64');
  assert.deepEqual(Array.from(byName.patient_sex_values!.data as BigInt64Array), [1n, 1n, 1n, 1n]);
  assert.deepEqual(byName.patient_sex_missing!.dims, [4, 1]);
});

test('beat feeds: windows of before + after samples and an rr matrix of plausible seconds', () => {
  assert.equal(TASKS.beats.width(beatInfo), 256);
  const feeds = benchFeeds(beatInfo, TASKS.beats.latencyBatch);
  assert.deepEqual(
    feeds.map((f) => [f.name, f.dims]),
    [
      ['ecg', [64, 1, 256]],
      ['rr', [64, 4]],
    ],
  );
  const rr = feeds[1]!.data as Float32Array;
  assert.ok(
    rr.every((s) => s > 0.3 && s < 1.3),
    'RR intervals of 0.8 s +- 0.08 s',
  );
});

test('median of odd and even counts; NaN for none', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('maxAbsDiff: largest entry difference, Infinity on a shape mismatch', () => {
  assert.equal(
    maxAbsDiff(
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2.5],
        [2, 4],
      ],
    ),
    1,
  );
  assert.equal(maxAbsDiff([[1, 2]], [[1, 2, 3]]), Number.POSITIVE_INFINITY);
  assert.equal(maxAbsDiff([[1]], []), Number.POSITIVE_INFINITY);
});

test('smallestRatio skips excluded models (null) and is null when none is left', () => {
  assert.equal(smallestRatio([2.5, null, 1.75]), 1.75);
  assert.equal(smallestRatio([null, null]), null);
  assert.equal(smallestRatio([]), null);
});

test('better keeps the lower latency or the higher throughput, and any result over n/a', () => {
  const result = (median_ms: number, per_s: number): WorkerResult => ({
    status: 'ok',
    version: 'x',
    runs: 3,
    batch: 1,
    median_ms,
    per_s,
    logits: [],
  });
  const na: WorkerResult = { status: 'n/a', reason: 'no twin' };
  const fast = result(2, 100);
  const slow = result(3, 200);
  assert.equal(better(fast, slow, 'latency'), fast);
  assert.equal(better(fast, slow, 'throughput'), slow);
  assert.equal(better(na, slow, 'latency'), slow);
  assert.equal(better(slow, na, 'throughput'), slow);
});

test('a record costs every window the Predictor scores a 10 s record with: 7 of 2.5 s at a 1.25 s hop, 1 of 10 s', () => {
  const ensemble = parseModelInfo(
    {
      labels: ['NORM', 'MI'],
      sampling_rate: 100,
      leads: ['I'],
      window: { samples: 250 },
      preprocessing: { windows: { hopSamples: 125, lastAlignedToEnd: true } },
    },
    '2.5 s windows',
  );
  assert.equal(windowsPerUnit(ensemble), 7);
  assert.deepEqual(benchBatches(ensemble), {
    units: { latency: 1, throughput: 5 },
    windows: { latency: 7, throughput: 35 },
  });
  assert.equal(windowsPerUnit(fusionInfo), 1);
  assert.equal(windowsPerUnit(beatInfo), 1);
});
