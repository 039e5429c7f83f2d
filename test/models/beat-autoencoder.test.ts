import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../../src/engine/ops.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { scope } from '../../src/engine/scope.js';
import { ConfigError, ShapeError, SignalError } from '../../src/errors.js';
import {
  autoencoderEmbed,
  BeatAutoencoder,
  beatWidth,
  cutBeats,
  fitBeatPca,
  pcaEmbed,
  pcaReconstruct,
  poolRecordEmbedding,
  recordBeats,
  trainBeatAutoencoder,
  type BeatMatrix,
} from '../../src/models/beat-autoencoder.js';
import { seededRandom } from '../../src/train/random.js';

/** Beat-like rows: a Gaussian "QRS" of random height and a slower "T wave", both at random offsets. */
function syntheticBeats(count: number, width: number, seed: number): BeatMatrix {
  const random = seededRandom(seed);
  const data = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const height = 1 + random.next();
    const shift = random.next() * 2 - 1;
    for (let j = 0; j < width; j++) {
      const t = j - width / 3 - shift;
      const u = j - (2 * width) / 3 - shift;
      data[i * width + j] = height * Math.exp(-(t * t) / 2) + 0.3 * Math.exp(-(u * u) / 8);
    }
  }
  return { data, count, width };
}

test('cutBeats keeps only whole windows and centres each beat on its peak', () => {
  const fs = 100;
  const signal = new Float32Array(300);
  for (const peak of [10, 100, 200, 290]) signal[peak] = 5;
  const beats = cutBeats(signal, fs, [10, 100, 200, 290]);
  assert.equal(beats.width, 70);
  assert.equal(beats.count, 2, 'peaks 10 (0.25 s window starts before 0) and 290 (ends after 300) are dropped');
  assert.equal(beats.data[25], 5);
  assert.equal(beats.data[70 + 25], 5);
});

test('recordBeats finds the beats of a synthetic ECG; too-short records give no beats', () => {
  const fs = 100;
  const signal = new Float32Array(10 * fs);
  for (let beat = 0; beat < 10; beat++) {
    for (let k = -4; k <= 4; k++) signal[beat * fs + 50 + k] = Math.exp(-(k * k) / 2);
  }
  const beats = recordBeats(signal, fs);
  assert.ok(beats.count >= 8 && beats.count <= 10, `found ${beats.count} beats`);
  const firstBeat = Array.from(beats.data.subarray(0, beats.width));
  assert.equal(firstBeat.indexOf(Math.max(...firstBeat)), 25, 'the R peak sits 0.25 s into the window');
  assert.equal(recordBeats(new Float32Array(50), fs).count, 0);
  assert.equal(beatWidth(fs), 70);
  assert.throws(() => recordBeats(signal, 0), SignalError);
});

test('the autoencoder maps [N, width] beats to [N, E] embeddings and back to [N, width]', () => {
  manualSeed(0);
  const model = new BeatAutoencoder({ width: 24, hidden: 8, embedding: 4 });
  scope(() => {
    const beats = F.randn([5, 24]);
    assert.deepEqual(model.encode(beats).shape, [5, 4]);
    assert.deepEqual(model.forward(beats).shape, [5, 24]);
    assert.throws(() => model.encode(F.randn([5, 23])), ShapeError);
    assert.throws(() => model.encode(F.randn([5, 24, 1])), ShapeError);
  });
  assert.equal(model.numParameters(), 4 * 8 * (1 + 8 + 2) + 8 * 4 + 4 + 4 * 8 * (4 + 8 + 2) + 8 + 1);
  model.dispose();
  assert.throws(() => new BeatAutoencoder({ width: 24, hidden: 0, embedding: 4 }), ConfigError);
});

test('training lowers the reconstruction loss of a small set of beats', () => {
  manualSeed(1);
  const model = new BeatAutoencoder({ width: 24, hidden: 16, embedding: 4 });
  const losses = trainBeatAutoencoder(model, syntheticBeats(64, 24, 1), {
    epochs: 40,
    batchSize: 16,
    lr: 1e-2,
    seed: 1,
  });
  assert.equal(losses.length, 40);
  assert.ok(losses[39]! < 0.3 * losses[0]!, `loss went from ${losses[0]} to ${losses[39]}`);
  model.dispose();
});

test('embeddings are the same for the same seed', () => {
  const beats = syntheticBeats(32, 24, 2);
  const run = () => {
    manualSeed(7);
    const model = new BeatAutoencoder({ width: 24, hidden: 8, embedding: 4 });
    trainBeatAutoencoder(model, beats, { epochs: 2, batchSize: 8, lr: 1e-2, seed: 3 });
    const embeddings = autoencoderEmbed(model, beats);
    model.dispose();
    return embeddings;
  };
  const first = run();
  assert.equal(first.length, 32 * 4);
  assert.deepEqual(run(), first);
});

test('PCA rebuilds a rank-k set of beats exactly, with orthonormal components', () => {
  const width = 12;
  const k = 3;
  const random = seededRandom(5);
  const directions = Array.from({ length: k }, () => Array.from({ length: width }, () => random.normal()));
  const offset = Array.from({ length: width }, (_, j) => Math.sin(j));
  const count = 40;
  const data = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const coefficients = directions.map(() => random.normal());
    for (let j = 0; j < width; j++) {
      data[i * width + j] = offset[j]! + directions.reduce((s, d, c) => s + coefficients[c]! * d[j]!, 0);
    }
  }
  const beats = { data, count, width };
  const pca = fitBeatPca(beats, k);
  const rebuilt = pcaReconstruct(pca, pcaEmbed(pca, beats));
  const worst = rebuilt.reduce((m, v, i) => Math.max(m, Math.abs(v - data[i]!)), 0);
  assert.ok(worst < 1e-4, `worst reconstruction error ${worst}`);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += pca.components[a * width + j]! * pca.components[b * width + j]!;
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `components ${a}.${b} = ${dot}`);
    }
  }
  assert.ok(pca.variances[0]! >= pca.variances[1]! && pca.variances[1]! >= pca.variances[2]!);
  // Fewer components than the rank lose information.
  const truncated = fitBeatPca(beats, 2);
  const lossy = pcaReconstruct(truncated, pcaEmbed(truncated, beats));
  assert.ok(lossy.some((v, i) => Math.abs(v - data[i]!) > 1e-2));
});

test('bad inputs: no beats, wrong widths, impossible component counts', () => {
  const empty = { data: new Float32Array(0), count: 0, width: 12 };
  assert.throws(() => fitBeatPca(empty, 2), SignalError);
  const beats = syntheticBeats(8, 12, 3);
  assert.throws(() => fitBeatPca(beats, 13), ConfigError);
  assert.throws(() => fitBeatPca(beats, 0), ConfigError);
  const pca = fitBeatPca(beats, 2);
  assert.throws(() => pcaEmbed(pca, syntheticBeats(4, 10, 3)), ShapeError);
  const model = new BeatAutoencoder({ width: 12, hidden: 4, embedding: 2 });
  assert.throws(() => autoencoderEmbed(model, empty), SignalError);
  assert.throws(() => trainBeatAutoencoder(model, empty, { epochs: 1, batchSize: 4, lr: 1e-3, seed: 0 }), SignalError);
  model.dispose();
});

test('a record embedding is the mean then the SD of its beat embeddings; null without beats', () => {
  const pooled = poolRecordEmbedding(Float32Array.from([1, 10, 3, 14]), 2);
  assert.deepEqual(Array.from(pooled!), [2, 12, 1, 2]);
  assert.deepEqual(Array.from(poolRecordEmbedding(Float32Array.from([4, 5]), 2)!), [4, 5, 0, 0]);
  assert.equal(poolRecordEmbedding(new Float32Array(0), 2), null);
  assert.throws(() => poolRecordEmbedding(new Float32Array(3), 2), ShapeError);
});
