/**
 * EfficientECG-Fusion: shapes for every design, leads and window length; attention weights as distributions with
 * masked tokens at ~0; missing data really ignored; gradients reaching every parameter; inputs and config errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { manualSeed, noGrad, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { EfficientECG, efficientEcgConfig, type StageSpec } from '../../src/models/efficientecg.js';
import type { EcgModel } from '../../src/models/registry.js';
import {
  ageGroup,
  EfficientEcgFusion,
  encodePatients,
  fitStandardisation,
  FUSION_DESIGNS,
  fusionConfig,
  numericGroup,
  rhythmGroup,
  sexGroup,
  type FusionDesign,
  type FusionOptions,
  type PatientRow,
} from '../../src/models/fusion.js';
import { toNumbers } from '../helpers/tensors.js';

// Small tensors: one intra-op thread avoids thread hand-offs that dominate on a loaded 2-core CI machine.
setNumThreads(1);

const DESIGNS = Object.keys(FUSION_DESIGNS) as FusionDesign[];

/** B0's total stride (stem 2 x four stride-2 stages = 32) with one small block per stage, to keep tests fast. */
const TINY_STAGES: StageSpec[] = [
  { expand: 1, channels: 16, repeats: 1, stride: 2, kernel: 3 },
  { expand: 2, channels: 24, repeats: 1, stride: 2, kernel: 3 },
  { expand: 2, channels: 40, repeats: 1, stride: 2, kernel: 5 },
  { expand: 2, channels: 80, repeats: 1, stride: 2, kernel: 3 },
];

function tinyConfig(design: FusionDesign, leads: number, overrides: Partial<FusionOptions> = {}) {
  return fusionConfig({
    leads,
    classes: 3,
    variant: 'w0.25',
    design,
    groups: [ageGroup(), sexGroup(), rhythmGroup()],
    dModel: 16,
    heads: 2,
    classifierHidden: 8,
    backbone: { headChannels: 32, stages: TINY_STAGES, stochasticDepth: 0 },
    ...overrides,
  });
}

/** Patient 0 complete, patient 1 with age unknown, sex unknown and no rhythm group at all. */
const ROWS: PatientRow[] = [
  { age: 71, sex: 'female', rhythm: { rrMeanMs: 700, sdnnMs: 40, rmssdMs: 30, rrCv: 0.05, rrSampleEntropy: 0.8, pWaveRatio: 1 } },
  { age: null, sex: 'unknown' },
];

function sumOver(t: Tensor, dim: number): number[] {
  return toNumbers(F.sum(t, dim));
}

test('logits [N, classes] and attention shapes for every design, leads 1/2/12 and 1000/2500/3000 samples', () => {
  manualSeed(1);
  for (const leads of [1, 2, 12]) {
    for (const design of DESIGNS) {
      const model = new EfficientEcgFusion(tinyConfig(design, leads)).eval();
      for (const samples of [1000, 2500, 3000]) {
        scope(() =>
          noGrad(() => {
            const { logits, attention } = model.forwardWithAttention(F.randn([2, leads, samples]), model.encodePatients(ROWS));
            const what = `${design}, ${leads} leads, ${samples} samples`;
            const positions = Math.ceil(samples / 32);
            assert.deepEqual(logits.shape, [2, 3], what);
            assert.ok(toNumbers(logits).every(Number.isFinite), `${what}: finite logits`);
            assert.equal(attention.samplesPerPosition, 32);
            const spec = FUSION_DESIGNS[design];
            assert.equal(attention.patientToEcg !== null, spec.patientQueriesEcg, what);
            assert.equal(attention.ecgToPatient !== null, spec.ecgQueriesPatient, what);
            assert.deepEqual(attention.patientToEcg?.weights.shape ?? null, spec.patientQueriesEcg ? [2, 2, 4, positions] : null);
            assert.deepEqual(attention.ecgToPatient?.weights.shape ?? null, spec.ecgQueriesPatient ? [2, 2, positions, 4] : null);
            for (const map of [attention.patientToEcg, attention.ecgToPatient]) {
              if (!map) continue;
              assert.deepEqual(Object.keys(map.byToken), ['_null', 'age', 'sex', 'rhythm']);
              for (const t of Object.values(map.byToken)) assert.deepEqual(t.shape, [2, 2, positions]);
            }
          }),
        );
      }
      model.dispose();
    }
  }
});

test('attention weights are distributions; missing tokens get ~0 of every ECG position and are flagged absent', () => {
  manualSeed(2);
  const model = new EfficientEcgFusion(tinyConfig('bidirectional', 12)).eval();
  scope(() =>
    noGrad(() => {
      const { attention } = model.forwardWithAttention(F.randn([2, 12, 1000]), model.encodePatients(ROWS));
      assert.deepEqual(attention.tokens, ['_null', 'age', 'sex', 'rhythm']);
      assert.deepEqual(toNumbers(attention.present!), [1, 1, 1, 1, 1, 0, 0, 0]);
      const ecgRows = sumOver(attention.ecgToPatient!.weights, 3);
      const patientRows = sumOver(attention.patientToEcg!.weights, 3);
      for (const s of [...ecgRows, ...patientRows]) assert.ok(Math.abs(s - 1) < 1e-5, `row sums to ${s}`);
      for (const name of ['age', 'sex', 'rhythm']) {
        const toToken = attention.ecgToPatient!.byToken[name]!;
        const missing = toNumbers(F.slice(toToken, 0, 1, 2));
        assert.ok(Math.max(...missing) < 1e-6, `patient 1 (no ${name}): ${Math.max(...missing)}`);
        assert.ok(Math.min(...toNumbers(F.slice(toToken, 0, 0, 1))) > 1e-4, `patient 0 attends to ${name}`);
      }
      // With every group missing, each ECG position's attention goes entirely to the null token.
      const toNull = toNumbers(F.slice(attention.ecgToPatient!.byToken._null!, 0, 1, 2));
      assert.ok(toNull.every((w) => Math.abs(w - 1) < 1e-6));
    }),
  );
  model.dispose();
});

test('values behind missing flags (even NaN) do not change the logits of any attention design', () => {
  manualSeed(3);
  for (const design of DESIGNS.filter((d) => d !== 'concat')) {
    const model = new EfficientEcgFusion(tinyConfig(design, 2)).eval();
    scope(() =>
      noGrad(() => {
        const x = F.randn([2, 2, 512]);
        const clean = model.encodePatients(ROWS);
        const noisy = {
          ...clean,
          age: { values: F.tensor(Float32Array.from([clean.age!.values.data()[0]!, Number.NaN]), [2, 1]), missing: clean.age!.missing },
          sex: { values: F.tensor(BigInt64Array.from([1n, 0n]), [2]), missing: F.tensor(Float32Array.from([0, 1]), [2, 1]) },
          rhythm: { values: F.cat([F.slice(clean.rhythm!.values, 0, 0, 1), F.full([1, 6], 5)], 0), missing: clean.rhythm!.missing },
        };
        const a = toNumbers(model.forward(x, clean));
        const b = toNumbers(model.forward(x, noisy));
        assert.ok(b.every(Number.isFinite), `${design}: finite with NaN behind a missing flag`);
        a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `${design}: logit ${i} ${v} vs ${b[i]}`));
        // And a known value does change them (the patient path is live).
        const older = model.encodePatients([{ ...ROWS[0], age: 30 }, ROWS[1]!]);
        const c = toNumbers(model.forward(x, older));
        assert.ok(Math.abs(c[0]! - a[0]!) + Math.abs(c[1]! - a[1]!) + Math.abs(c[2]! - a[2]!) > 1e-6, `${design}: age matters`);
      }),
    );
    model.dispose();
  }
});

test('after backward every parameter of every design has a finite gradient', () => {
  manualSeed(4);
  for (const design of DESIGNS) {
    for (const position of ['sinusoidal', 'learned'] as const) {
      const model = new EfficientEcgFusion(tinyConfig(design, 2, { position, dropout: 0.1 })).train();
      scope(() => {
        const rows = [...ROWS, { age: 40, sex: 'male', rhythm: [900, null, 20, 0.1, null, 0.5] }];
        const logits = model.forward(F.randn([3, 2, 256]), model.encodePatients(rows));
        F.crossEntropy(logits, F.tensor(BigInt64Array.from([0n, 1n, 2n]), [3])).backward();
        for (const [name, p] of model.namedParameters()) {
          const grad = p.grad;
          assert.ok(grad !== null, `${design}/${position}: ${name} has no gradient`);
          assert.ok(toNumbers(grad).every(Number.isFinite), `${design}/${position}: ${name} gradient not finite`);
        }
        const anyNonZero = model.fusion.parameters().some((p) => toNumbers(p.grad!).some((g) => g !== 0));
        assert.ok(anyNonZero);
      });
      model.dispose();
    }
  }
});

test('state dict: EfficientECG names under backbone.*, fusion names by group; round trip and loadBackbone', () => {
  manualSeed(5);
  const config = tinyConfig('bidirectional', 1, { position: 'learned' });
  const model = new EfficientEcgFusion(config).eval();
  const asRegistered: EcgModel = model; // fits the registry's contract: forward(x, patients) -> logits, features(x)
  assert.ok(asRegistered.features);
  const keys = [...model.stateDict().keys()];
  for (const key of [
    'backbone.stem.0.weight',
    'backbone.head.1.running_var',
    'fusion.ecg_proj.weight',
    'fusion.position',
    'fusion.null_token',
    'fusion.tokens.age.proj.weight',
    'fusion.tokens.sex.embedding.weight',
    'fusion.tokens.rhythm.proj.weight',
    'fusion.patient_to_ecg.attention.q_proj.weight',
    'fusion.ecg_to_patient.norm2.bias',
    'fusion.classifier.3.weight',
  ]) {
    assert.ok(keys.includes(key), `missing ${key}`);
  }
  assert.ok(!keys.some((k) => k.startsWith('backbone.classifier')), 'the unused EfficientECG classifier is dropped');

  const copy = new EfficientEcgFusion(config).eval();
  const plain = new EfficientECG(efficientEcgConfig('w0.25', 1, 7, config.backbone)).eval();
  scope(() =>
    noGrad(() => {
      const x = F.randn([2, 1, 1000]);
      const patients = model.encodePatients(ROWS);
      copy.loadState(model.exportState());
      assert.deepEqual(toNumbers(copy.forward(x, patients)), toNumbers(model.forward(x, patients)));
      copy.loadBackbone(plain.exportState());
      assert.deepEqual(toNumbers(copy.features(x)), toNumbers(plain.features(x)), 'backbone from EfficientECG');
    }),
  );
  for (const m of [model, copy, plain]) m.dispose();
});

test('encodePatients: numbers, arrays, objects with extra keys, NaN as missing; standardised with the group stats', () => {
  const groups = [ageGroup(50, 10), sexGroup(), numericGroup('rr', ['prev', 'next'], [800, 800], [100, 200])];
  scope(() => {
    const encoded = encodePatients(
      groups,
      [
        { age: 70, sex: 'male', rr: { prev: 900, next: 600, extra: 'ignored' }, ageCapped: false },
        { age: Number.NaN, sex: null, rr: [null, 1000] },
        {},
      ],
      'float64',
    );
    assert.deepEqual(toNumbers(encoded.age!.values), [2, 0, 0]);
    assert.deepEqual(toNumbers(encoded.age!.missing), [0, 1, 1]);
    assert.deepEqual(toNumbers(encoded.sex!.values), [0, 2, 2]);
    assert.deepEqual(toNumbers(encoded.sex!.missing), [0, 1, 1]);
    assert.deepEqual(toNumbers(encoded.rr!.values), [1, -1, 0, 1, 0, 0]);
    assert.deepEqual(toNumbers(encoded.rr!.missing), [0, 0, 1, 0, 1, 1]);
    assert.equal(encoded.age!.values.dtype, 'float64');
  });
  const fitted = fitStandardisation(ageGroup(), [{ age: 40 }, { age: 60 }, { age: null }, { age: 80 }, {}]);
  assert.deepEqual([fitted.mean, fitted.std], [[60], [20]]);
  assert.deepEqual(fitStandardisation(ageGroup(61, 17), [{ age: 5 }]).mean, [61], 'too few values keep the stats');
});

test('bad configurations and inputs throw typed errors that name the problem', () => {
  const expectError = (fn: () => unknown, type: typeof ConfigError | typeof ShapeError, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof type && pattern.test((e as Error).message));
  };
  expectError(() => tinyConfig('concat', 1, { dModel: 30, heads: 4 }), ConfigError, /dModel 30 is not divisible by heads 4/);
  expectError(() => tinyConfig('concat', 1, { groups: [ageGroup(), ageGroup()] }), ConfigError, /"age" is used twice/);
  expectError(() => tinyConfig('concat', 1, { groups: [numericGroup('a.b', ['x'])] }), ConfigError, /group name "a.b"/);
  expectError(() => tinyConfig('concat', 1, { groups: [numericGroup('x', ['p'], [0], [0])] }), ConfigError, /std of p must be > 0/);
  expectError(() => tinyConfig('nope' as FusionDesign, 1), ConfigError, /design must be one of/);
  expectError(() => encodePatients([sexGroup()], [{ sex: 'M' }]), ConfigError, /patients\[0\]\.sex: "M" is not one of/);
  expectError(() => encodePatients([rhythmGroup()], [{ rhythm: [1, 2] }]), ConfigError, /patients\[0\]\.rhythm: 2 values, the group has 6/);
  expectError(() => encodePatients([ageGroup()], [{ age: '63' }]), ConfigError, /patients\[0\]\.age: expected a number/);

  manualSeed(6);
  const model = new EfficientEcgFusion(tinyConfig('ecg-queries-patient', 2, { position: 'learned', maxPositions: 8 }));
  scope(() => {
    const patients = model.encodePatients(ROWS);
    expectError(() => model.forward(F.randn([2, 3, 256]), patients), ShapeError, /ecg must be \[batch, 2 leads, samples\]/);
    expectError(() => model.forward(F.randn([2, 2, 256]), { age: patients.age!, sex: patients.sex! }), ConfigError, /group "rhythm" is missing/);
    expectError(() => model.forward(F.randn([2, 2, 256])), ConfigError, /patients are required for groups age, sex, rhythm/);
    expectError(() => model.forward(F.randn([3, 2, 256]), patients), ShapeError, /patients\.age\.values: expected float\[3, 1\]/);
    expectError(() => model.forward(F.randn([2, 2, 1000]), patients), ShapeError, /32 ECG positions exceed the learned position table \(maxPositions 8\)/);
  });
  model.dispose();
});

test('shortcut: a fresh model gives the plain EfficientECG logits, for any tokens; training moves the fused path off zero', () => {
  manualSeed(9);
  for (const design of DESIGNS) {
    const config = tinyConfig(design, 2, { shortcut: true });
    const model = new EfficientEcgFusion(config).eval();
    const plain = new EfficientECG(efficientEcgConfig('w0.25', 2, 3, config.backbone)).eval();
    const state = plain.exportState();
    model.loadBackbone(state);
    const stateOfModel = model.exportState();
    stateOfModel.set('fusion.shortcut.weight', state.get('classifier.weight')!);
    stateOfModel.set('fusion.shortcut.bias', state.get('classifier.bias')!);
    model.loadState(stateOfModel);
    scope(() =>
      noGrad(() => {
        const x = F.randn([2, 2, 1000]);
        const expected = toNumbers(plain.forward(x));
        const other: PatientRow[] = [{ age: 20, sex: 'male' }, { age: 90, sex: 'female' }];
        for (const rows of [ROWS, other]) {
          const logits = toNumbers(model.forward(x, model.encodePatients(rows)));
          logits.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${design}: ${v} vs ${expected[i]}`));
        }
      }),
    );
    const last = model.fusion.classifier.layers.at(-1) as unknown as { weight: Tensor };
    model.train();
    scope(() => {
      const loss = F.sum(F.pow(F.add(model.forward(F.randn([2, 2, 1000]), model.encodePatients(ROWS)), 1), 2));
      loss.backward();
      assert.ok(Math.max(...toNumbers(last.weight.grad!).map(Math.abs)) > 0, `${design}: fused output layer learns`);
    });
    for (const m of [model, plain]) m.dispose();
  }
});
