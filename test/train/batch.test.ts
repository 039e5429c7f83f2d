import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleTrainingBatch, windowStarts, writeWindow, type WindowSpec } from '../../src/train/batch.js';
import { NO_AUGMENTATION, TRAIN_DEFAULTS } from '../../src/train/config.js';
import type { SampleStore } from '../../src/train/data.js';
import { epochBatches } from '../../src/train/trainer.js';
import { hashKey, seededRandom, shuffled, STREAM, torchSeed } from '../../src/train/random.js';

/** Two leads; record 0 has 10 samples (lead 1 = lead 0 + 100), record 1 has 3. */
function store(): SampleStore {
  const samples = new Float32Array(new SharedArrayBuffer(4 * 26));
  for (let i = 0; i < 10; i++) {
    samples[i] = i;
    samples[10 + i] = 100 + i;
  }
  samples.set([1, 2, 3, 7, 8, 9], 20);
  return {
    samples,
    leads: 2,
    slots: [
      { offset: 0, length: 10 },
      { offset: 20, length: 3 },
    ],
  };
}

const window = (shortRecords: WindowSpec['shortRecords']): WindowSpec => ({
  samples: 5,
  shortRecords,
  fs: 10,
});

test('windows: crops of long records, zero-padded or tiled short ones, lead-major', () => {
  const out = new Float32Array(10);
  writeWindow(store(), 0, window('zero-pad'), 4, 0, out);
  assert.deepEqual([...out], [4, 5, 6, 7, 8, 104, 105, 106, 107, 108]);
  writeWindow(store(), 1, window('zero-pad'), 0, 1, out);
  assert.deepEqual([...out], [0, 1, 2, 3, 0, 0, 7, 8, 9, 0]);
  writeWindow(store(), 1, window('repeat'), 0, 1, out);
  assert.deepEqual([...out], [3, 1, 2, 3, 1, 9, 7, 8, 9, 7]);
});

test('repeat: a record under half the window is tiled at any phase the batch draws (was NaN past one period)', () => {
  const wide: WindowSpec = { samples: 8, shortRecords: 'repeat', fs: 10 };
  const out = new Float32Array(16);
  writeWindow(store(), 1, wide, 0, 5, out);
  assert.deepEqual([...out], [2, 3, 1, 2, 3, 1, 2, 3, 8, 9, 7, 8, 9, 7, 8, 9]);
  for (let step = 0; step < 20; step++) {
    const batch = assembleTrainingBatch(store(), wide, TRAIN_DEFAULTS.augment, {
      indices: [1, 1],
      seed: 1,
      epoch: 0,
      step,
    });
    assert.ok(batch.every(Number.isFinite), `step ${step}`);
  }
});

test('validation window starts cover the record, the last aligned to its end', () => {
  assert.deepEqual(windowStarts(3, 5, 5), [0]);
  assert.deepEqual(windowStarts(5, 5, 5), [0]);
  assert.deepEqual(windowStarts(10, 5, 5), [0, 5]);
  assert.deepEqual(windowStarts(12, 5, 5), [0, 5, 7]);
  for (const hop of [0, -1, Number.NaN])
    assert.throws(() => windowStarts(12, 5, hop), /hop must be positive/);
  assert.deepEqual(windowStarts(12, 5, 3), [0, 3, 6, 7]);
});

test('a training batch is a function of its key: same key, same batch; crops stay inside the record', () => {
  const request = { indices: [0, 1, 0], seed: 3, epoch: 1, step: 4 };
  const a = assembleTrainingBatch(store(), window('zero-pad'), TRAIN_DEFAULTS.augment, request);
  const b = assembleTrainingBatch(store(), window('zero-pad'), TRAIN_DEFAULTS.augment, request);
  assert.deepEqual(a, b);
  const other = assembleTrainingBatch(store(), window('zero-pad'), TRAIN_DEFAULTS.augment, {
    ...request,
    step: 5,
  });
  assert.notDeepEqual(a, other);
  // Without augmentation, record 0's crop is 5 consecutive samples and lead 1 is lead 0 + 100.
  const plain = assembleTrainingBatch(store(), window('zero-pad'), NO_AUGMENTATION, request);
  const start = plain[0]!;
  assert.deepEqual(
    [...plain.subarray(0, 10)],
    [0, 1, 2, 3, 4].map((i) => start + i).concat([0, 1, 2, 3, 4].map((i) => 100 + start + i)),
  );
  assert.ok(start >= 0 && start <= 5);
});

test("data-parallel ranks draw their own crops, augmentation and dropout seeds; rank 0 keeps a single process's", () => {
  const request = { indices: [0, 0, 0], seed: 3, epoch: 1, step: 4 };
  const build = (rank?: number) =>
    assembleTrainingBatch(store(), window('zero-pad'), TRAIN_DEFAULTS.augment, {
      ...request,
      ...(rank === undefined ? {} : { rank }),
    });
  assert.deepEqual(build(0), build());
  // Rank 1's part holds other examples than rank 0's: drawing the same noise and crops for them was the defect.
  assert.notDeepEqual(build(1), build(0));
  assert.notDeepEqual(build(2), build(1));
  assert.equal(torchSeed(3, 1, 4, 0), torchSeed(3, 1, 4));
  assert.equal(torchSeed(3, 1, 4), hashKey(3, 1, 4, STREAM.torch) & 0x7fffffff); // the key of every earlier run
  assert.notEqual(torchSeed(3, 1, 4, 1), torchSeed(3, 1, 4));
});

test('augmentations: scaling multiplies, lead dropout zeroes whole leads but never all', () => {
  const scaled = assembleTrainingBatch(
    store(),
    window('zero-pad'),
    { ...NO_AUGMENTATION, scale: { p: 1, strength: 0.5 } },
    { indices: [0], seed: 1, epoch: 0, step: 0 },
  );
  const ratio = scaled[6]! / scaled[5]!; // lead 1: (100 + s + 1) f / (100 + s) f
  assert.ok(Math.abs(scaled[1]! - scaled[0]!) > 0.5 && Math.abs(scaled[1]! - scaled[0]!) < 1.5);
  assert.ok(ratio > 1 && ratio < 1.02);
  for (let step = 0; step < 20; step++) {
    const dropped = assembleTrainingBatch(
      store(),
      window('zero-pad'),
      { ...NO_AUGMENTATION, leadDropout: { p: 1 } },
      { indices: [0], seed: 1, epoch: 0, step },
    );
    const zeroLeads = [dropped.subarray(0, 5), dropped.subarray(5, 10)].filter((lead) =>
      lead.every((v) => v === 0),
    );
    // Lead 0 may legitimately be all zero only if the crop starts at 0 and... it never is (samples 0..4 include 1).
    assert.equal(zeroLeads.length, 1);
  }
});

test('seeded streams: independent of call order, distinct per key; epoch batches drop a trailing single', () => {
  assert.equal(hashKey(1, 2, 3), hashKey(1, 2, 3));
  assert.notEqual(hashKey(1, 2, 3), hashKey(1, 3, 2));
  assert.notEqual(hashKey(2 ** 40), hashKey(0));
  const a = seededRandom(5, 1);
  const values = Array.from({ length: 1000 }, () => a.next());
  assert.ok(values.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) / 1000 - 0.5) < 0.05);
  assert.deepEqual(shuffled([1, 2, 3, 4, 5], seededRandom(9)).sort(), [1, 2, 3, 4, 5]);
  const batches = epochBatches(
    Array.from({ length: 17 }, (_, i) => i),
    8,
    0,
    0,
  );
  assert.deepEqual(
    batches.map((b) => b.length),
    [8, 8],
  );
  assert.deepEqual(
    epochBatches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 8, 0, 0).map((b) => b.length),
    [8, 2],
  );
  assert.deepEqual(epochBatches([0, 1, 2, 3], 2, 0, 3), epochBatches([0, 1, 2, 3], 2, 0, 3));
  assert.notDeepEqual(
    epochBatches(
      Array.from({ length: 30 }, (_, i) => i),
      30,
      0,
      0,
    ),
    epochBatches(
      Array.from({ length: 30 }, (_, i) => i),
      30,
      0,
      1,
    ),
  );
});
