/**
 * EfficientECG-Fusion through exportOnnx: the ECG and each patient group's values/missing mask as named inputs,
 * logits and the patient-to-ECG attention as named outputs, checked against the engine in onnxruntime at other
 * batch sizes and lengths. Learned position tables (sliced to the ECG length) and sinusoidal positions (computed in
 * the graph from it) export.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { fusionConfig } from '../../src/models/fusion/config.js';
import { EfficientEcgFusion } from '../../src/models/fusion/model.js';
import type { PatientTensors } from '../../src/models/fusion/patients.js';
import { exportOnnx, type OnnxInput, type OnnxMetadata } from '../../src/export/onnx/index.js';
import { OnnxSession, type ArrayInput } from '../../src/infer/onnx-session.js';

// One libtorch thread: on a shared machine a second spinning thread costs more CPU than it saves.
setNumThreads(1);

const META: OnnxMetadata = {
  labels: ['a', 'b', 'c'],
  samplingRate: 500,
  leads: ['I', 'II'],
  window: { samples: 5000 },
  preprocessing: null,
};
const ROWS = [
  { age: 50, sex: 'male' },
  { age: null, sex: 'female' },
  { age: 81, sex: null },
];

const rows = (batch: number) => Array.from({ length: batch }, (_, i) => ROWS[i % ROWS.length]!);

function patientInputs(patients: PatientTensors): OnnxInput[] {
  return Object.entries(patients).flatMap(([group, encoded]) => [
    { name: `${group}_values`, example: encoded.values, dynamicAxes: { 0: 'batch' } },
    { name: `${group}_missing`, example: encoded.missing, dynamicAxes: { 0: 'batch' } },
  ]);
}

const asArray = (t: Tensor): ArrayInput => ({
  data: t.dtype === 'int64' ? t.data<'int64'>() : t.data(),
  dims: t.shape,
});

function exportFusion(model: EfficientEcgFusion): Uint8Array {
  return scope(() => {
    const patients = model.encodePatients(rows(2) as never);
    const groups = Object.keys(patients);
    return exportOnnx(
      model,
      [
        { name: 'ecg', example: F.randn([2, 2, 640]), dynamicAxes: { 0: 'batch', 2: 'samples' } },
        ...patientInputs(patients),
      ],
      META,
      {
        forward: (x) => {
          const named = Object.fromEntries(
            groups.map((g) => [g, { values: x[`${g}_values`]!, missing: x[`${g}_missing`]! }]),
          );
          const out = model.forwardWithAttention(x.ecg!, named);
          return { logits: out.logits, patient_to_ecg: out.attention.patientToEcg!.weights };
        },
      },
    );
  });
}

for (const position of ['learned', 'sinusoidal'] as const)
  test(`EfficientECG-Fusion (${position} positions) exports with named patient inputs and attention output`, async () => {
    manualSeed(21);
    const model = new EfficientEcgFusion(
      fusionConfig({ leads: 2, classes: 3, variant: 'w0.25', position, dModel: 32, heads: 4 }),
    );
    const session = await OnnxSession.create(exportFusion(model));
    assert.deepEqual([...session.outputNames], ['logits', 'patient_to_ecg']);
    assert.equal(session.inputNames[0], 'ecg');
    for (const [batch, length] of [
      [3, 700],
      [1, 1500],
    ] as const) {
      const { feeds, expected } = scope(() => {
        const ecg = F.randn([batch, 2, length]);
        const patients = model.encodePatients(rows(batch) as never);
        const out = noGrad(() => model.eval().forwardWithAttention(ecg, patients));
        const feeds: Record<string, ArrayInput> = { ecg: asArray(ecg) };
        for (const [g, encoded] of Object.entries(patients)) {
          feeds[`${g}_values`] = asArray(encoded.values);
          feeds[`${g}_missing`] = asArray(encoded.missing);
        }
        return {
          feeds,
          expected: { logits: out.logits.data(), patient_to_ecg: out.attention.patientToEcg!.weights.data() },
        };
      });
      const result = await session.run(feeds);
      for (const name of ['logits', 'patient_to_ecg'] as const) {
        const actual = result[name]!.data;
        assert.equal(actual.length, expected[name].length, `${name} size`);
        const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[name][i]!)), 0);
        assert.ok(worst < 1e-4, `${name} at batch ${batch}, length ${length}: ${worst}`);
      }
    }
    await session.release();
    model.dispose();
  });
