/**
 * The fusion `beats` token: a beat PCA fitted on the training records travels in the checkpoint, a resumed run
 * recomputes the same token values from it, and the Predictor computes them again from the record (ONNX vs engine).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { Predictor } from '../../src/infer/predictor.js';
import type { BeatPcaSpec, NumericGroupSpec } from '../../src/models/fusion.js';
import { recordBeatFeatures } from '../../src/signal/beat-embedding.js';
import { patientRow, train } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { engineFirstWindow, tempDir, tinyConfig } from './helpers.js';

const K = 16;

test('beats token: PCA of training beats in the checkpoint; resume continues; the Predictor matches the engine', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticDataset({ records: 24, fs: 100 });
    const config = tinyConfig(join(dir, 'beats'), { epochs: 2, fusion: true, fusionTokens: ['beats'] });
    const controller = new AbortController();
    const first = await train(config, dataset, {
      signal: controller.signal,
      onLog: (line) => {
        if (line.type === 'epoch') controller.abort();
      },
    });
    assert.equal(first.state.epoch, 1);
    const firstSpec = beatsSpec(readCheckpoint(first.lastPath).metadata.model.config);
    const result = await train(config, dataset, { resume: true });
    assert.equal(result.state.epoch, 2);
    const checkpoint = readCheckpoint(result.lastPath);
    const { metadata } = checkpoint;
    const spec = beatsSpec(metadata.model.config);
    assert.deepEqual(spec, firstSpec, 'the resumed run keeps the PCA fitted when the run began');
    // Without the token values recomputed on resume the second epoch would see the token as missing.
    const straight = await train(
      tinyConfig(join(dir, 'straight'), { ...config, out: join(dir, 'straight') }),
      dataset,
    );
    const straightState = readCheckpoint(straight.lastPath).state;
    for (const name of ['fusion.tokens.beats.proj.weight', 'fusion.classifier.3.weight']) {
      assert.deepEqual(
        checkpoint.state.get(name)!.data,
        straightState.get(name)!.data,
        `${name}: resumed = straight`,
      );
    }
    assert.equal(spec.components.length, K);
    assert.equal(spec.mean.length, 70, '-0.25..+0.45 s at 100 Hz');
    assertOrthonormal(spec.components);

    const predictor = await Predictor.load(exportCheckpoint(checkpoint, 'beats checkpoint', 'beats'));
    const { record, entry } = await dataset.load(dataset.entries.find((e) => e.split === 'val')!.id);
    const values = recordBeatFeatures(record, spec);
    assert.ok(values !== null && values.length === 2 * K && values.every(Number.isFinite));
    const prediction = await predictor.predict(record);
    assert.deepEqual(prediction.attention!.tokens, ['_null', 'beats']);
    const engine = engineFirstWindow(checkpoint, record, patientRow(entry, null, values));
    prediction.windows[0]!.probabilities.forEach((p, c) =>
      assert.ok(Math.abs(p - engine[c]!) < 1e-4, `class ${c}: ONNX ${p} vs engine ${engine[c]}`),
    );
    await predictor.release();
  } finally {
    dispose();
  }
});

test('recordBeatFeatures: identical beats give SD 0 and the template projection; no beats -> null; wrong rate throws', () => {
  const fs = 100;
  const width = 70;
  // A unit basis on the first K samples: the coefficients are the centred samples themselves.
  const spec: BeatPcaSpec = {
    fs,
    lead: 0,
    beforeSeconds: 0.25,
    afterSeconds: 0.45,
    mean: Array.from({ length: width }, () => 0.1),
    components: Array.from({ length: 4 }, (_, c) =>
      Array.from({ length: width }, (_, j) => (j === 25 + c ? 1 : 0)),
    ),
  };
  const signal = new Float32Array(10 * fs);
  const template = [0.2, 1.5, -0.6, 0.1]; // samples at the R peak and after it
  for (let peak = 50; peak + 45 < signal.length; peak += 80)
    template.forEach((v, i) => (signal[peak + i] = v));
  const features = recordBeatFeatures({ fs, signals: [signal] }, spec)!;
  assert.equal(features.length, 8);
  // The detector may place the peak one sample off; allow the coefficients to match a shifted template.
  const means = features.slice(0, 4);
  const matches = [-1, 0, 1].some((shift) =>
    means.every((m, c) => Math.abs(m - ((template[c + shift] ?? 0) - 0.1)) < 1e-6),
  );
  assert.ok(matches, `means ${means.join(', ')}`);
  features.slice(4).forEach((sd) => assert.ok(sd < 1e-6, `sd ${sd}`));
  assert.equal(recordBeatFeatures({ fs, signals: [new Float32Array(1000)] }, spec), null, 'flat line');
  assert.equal(
    recordBeatFeatures({ fs, signals: [new Float32Array(40)] }, spec),
    null,
    'shorter than a beat',
  );
  assert.throws(() => recordBeatFeatures({ fs: 250, signals: [signal] }, spec), /250 Hz.*100 Hz/);
  assert.throws(() => recordBeatFeatures({ fs, signals: [signal] }, { ...spec, lead: 3 }), /lead 3/);
});

function beatsSpec(config: unknown): BeatPcaSpec {
  const groups = (config as { groups: NumericGroupSpec[] }).groups;
  assert.deepEqual(
    groups.map((g) => g.name),
    ['beats'],
  );
  assert.equal(groups[0]!.features.length, 2 * K);
  return groups[0]!.beatPca!;
}

function assertOrthonormal(rows: number[][]): void {
  rows.forEach((a, i) =>
    rows.forEach((b, j) => {
      const dot = a.reduce((s, v, k) => s + v * b[k]!, 0);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-6, `components ${i}, ${j}: dot ${dot}`);
    }),
  );
}
