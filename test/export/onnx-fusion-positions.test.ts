/**
 * Sinusoidal positions of an exported fusion model are computed in the graph from the ECG's length: the file
 * declares `samples` dynamic and runs, at parity with the engine, beyond the config's maxPositions (512) too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { efficientEcgConfig } from '../../src/models/efficientecg.js';
import { fusionConfig, samplesPerPosition } from '../../src/models/fusion/config.js';
import { EfficientEcgFusion } from '../../src/models/fusion/model.js';
import { exportOnnx, type OnnxInput } from '../../src/export/onnx/index.js';
import { OnnxSession, type ArrayInput } from '../../src/infer/onnx-session.js';

setNumThreads(1);

const asArray = (t: Tensor): ArrayInput => ({
  data: t.dtype === 'int64' ? t.data<'int64'>() : t.data(),
  dims: t.shape,
});

/** A small sinusoidal fusion model (two backbone stages: 4 samples per position) and its export at exampleSamples. */
function exportSmall(exampleSamples: number) {
  manualSeed(31);
  const full = efficientEcgConfig('w0.25', 1, 3);
  const backbone = { ...full, stages: full.stages.slice(0, 2) };
  const config = fusionConfig({ leads: 1, classes: 3, backbone, dModel: 16, heads: 2, classifierHidden: 8 });
  assert.equal(config.position, 'sinusoidal');
  assert.equal(config.maxPositions, 512);
  const model = new EfficientEcgFusion(config);
  const bytes = scope(() => {
    const patients = model.encodePatients(ROWS as never);
    const inputs: OnnxInput[] = [
      { name: 'ecg', example: F.randn([2, 1, exampleSamples]), dynamicAxes: { 0: 'batch', 2: 'samples' } },
      ...Object.entries(patients).flatMap(([g, encoded]) => [
        { name: `${g}_values`, example: encoded.values, dynamicAxes: { 0: 'batch' } },
        { name: `${g}_missing`, example: encoded.missing, dynamicAxes: { 0: 'batch' } },
      ]),
    ];
    const metadata = {
      labels: ['a', 'b', 'c'],
      samplingRate: 100,
      leads: ['I'],
      window: { samples: exampleSamples },
      preprocessing: null,
    };
    return exportOnnx(model, inputs, metadata, {
      forward: (x) =>
        model.forward(
          x.ecg!,
          Object.fromEntries(
            Object.keys(patients).map((g) => [g, { values: x[`${g}_values`]!, missing: x[`${g}_missing`]! }]),
          ),
        ),
    });
  });
  return { model, bytes, perPosition: samplesPerPosition(backbone) };
}

const ROWS = [{ age: 50, sex: 'male' }, {}];

test('fusion ONNX with sinusoidal positions matches the engine below and beyond maxPositions', async () => {
  const { model, bytes, perPosition } = exportSmall(400);
  const session = await OnnxSession.create(bytes);
  model.eval();
  for (const positions of [300, 512, 600]) {
    const { feeds, expected } = scope(() => {
      const ecg = F.randn([2, 1, positions * perPosition]);
      const patients = model.encodePatients(ROWS as never);
      const feeds: Record<string, ArrayInput> = { ecg: asArray(ecg) };
      for (const [g, encoded] of Object.entries(patients)) {
        feeds[`${g}_values`] = asArray(encoded.values);
        feeds[`${g}_missing`] = asArray(encoded.missing);
      }
      return { feeds, expected: noGrad(() => model.forward(ecg, patients)).data() };
    });
    const actual = (await session.run(feeds)).logits!.data;
    assert.equal(actual.length, expected.length);
    const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i]!)), 0);
    assert.ok(worst < 1e-5, `${positions} positions: max difference ${worst}`);
  }
  await session.release();
  model.dispose();
});

test('a fusion model with sinusoidal positions exports from an example longer than maxPositions', () => {
  const { model, bytes } = exportSmall(525 * 4);
  assert.ok(bytes.length > 0);
  model.dispose();
});
