/**
 * Ensembles: one checkpoint holding several members (members.k.*), rebuilt by the registry, exported as one ONNX
 * graph whose logits must be the mean of the members' own logits (engine, eval mode) within 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { ConfigError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMetadata } from '../../src/export/checkpoint.js';
import { exportCheckpoint, patientInputNames } from '../../src/infer/export-model.js';
import { OnnxSession } from '../../src/infer/onnx-session.js';
import { EfficientECG, efficientEcgConfig } from '../../src/models/efficientecg.js';
import { ensembleCheckpoint } from '../../src/models/ensemble.js';
import { ENSEMBLE_SPLIT } from '../../src/models/ensemble-dataset.js';
import { ageGroup, EfficientEcgFusion, fusionConfig, sexGroup } from '../../src/models/fusion.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';

setNumThreads(1);

const LEADS = 2;
const SAMPLES = 300;

function metadata(labels = ['A', 'B', 'C']): CheckpointMetadata {
  return {
    model: { name: 'efficientecg-w0.25', config: efficientEcgConfig('w0.25', LEADS, labels.length) },
    labels,
    preprocessing: {
      resampleTo: 100,
      bandpass: null,
      standardize: true,
      fs: 100,
      leads: ['I', 'II'],
      windowSeconds: 3,
      windowSamples: SAMPLES,
      shortRecords: 'zero-pad',
    },
    extra: { labelKind: 'single-label', outputActivation: 'softmax' },
  };
}

function member(seed: number, labels?: string[]) {
  manualSeed(seed);
  const model = new EfficientECG(efficientEcgConfig('w0.25', LEADS, 3));
  const bytes = encodeCheckpoint(model, metadata(labels));
  model.dispose();
  return decodeCheckpoint(bytes, `member-${seed}`);
}

test('an ensemble ONNX graph gives the mean of its members logits', async () => {
  const members = [member(1), member(2), member(3)];
  const ensemble = ensembleCheckpoint(members, ['m1', 'm2', 'm3']);
  assert.equal(ensemble.metadata.model.name, 'ensemble');
  assert.ok(ensemble.state.has('members.2.classifier.weight'));
  manualSeed(9);
  const x = F.randn([4, LEADS, SAMPLES]);
  const expected = new Float64Array(4 * 3);
  for (const checkpoint of members) {
    const model = modelFromCheckpoint(checkpoint);
    model.eval();
    const logits = noGrad(() => scope(() => model.forward(x).data()));
    logits.forEach((value, i) => (expected[i]! += value / members.length));
    model.dispose();
  }
  const session = await OnnxSession.create(exportCheckpoint(ensemble, 'ensemble'));
  const outputs = await session.run({ ecg: { data: x.data(), dims: [4, LEADS, SAMPLES] } });
  const actual = outputs.logits!.data;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst < 1e-4, `max |onnx - mean of members| = ${worst}`);
  // And the engine's rebuilt ensemble agrees too.
  const rebuilt = modelFromCheckpoint(ensemble);
  rebuilt.eval();
  const engine = noGrad(() => scope(() => rebuilt.forward(x).data()));
  rebuilt.dispose();
  x.dispose();
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(engine[i]! - expected[i]!) < 1e-5);
});

test("an ensemble does not carry its first member's thresholds or validation figures as its own", () => {
  const [a, b] = [member(6), member(7)];
  a.metadata.extra = { ...a.metadata.extra, thresholds: { A: 0.2 }, validation: { value: 0.9 } };
  const extra = ensembleCheckpoint([a, b], ['m6', 'm7']).metadata.extra!;
  assert.equal('thresholds' in extra, false);
  assert.equal('validation' in extra, false);
  assert.equal(extra.labelKind, 'single-label');
});

test("an ensemble's dataset is the union of its members' training records, not its first member's", () => {
  const [a, b, c] = [member(6), member(7), member(8)];
  const fold = (train: string[], val: string[]) => ({
    name: 'mitdb',
    split: 'de Chazal 2004 DS1, patient-wise train/val',
    records: { train, val },
    beats: { train: 100, val: 10 },
  });
  a.metadata.extra = { ...a.metadata.extra, dataset: fold(['101', '106'], ['108']) };
  b.metadata.extra = { ...b.metadata.extra, dataset: fold(['108', '101'], ['106']) };
  c.metadata.extra = { ...c.metadata.extra, dataset: fold(['106', '108'], ['101']) };
  assert.deepEqual(ensembleCheckpoint([a, b, c], ['a', 'b', 'c']).metadata.extra!.dataset, {
    name: 'mitdb',
    split: ENSEMBLE_SPLIT,
    records: { train: ['101', '106', '108'] },
    entries: { train: 3 },
  });
  // One member without ids: no ids at all (the others' union would undercount what the ensemble trained on).
  c.metadata.extra = { ...c.metadata.extra, dataset: { name: 'mitdb', entries: { train: 2, val: 1 } } };
  assert.deepEqual(ensembleCheckpoint([a, b, c], ['a', 'b', 'c']).metadata.extra!.dataset, {
    name: 'mitdb',
    split: ENSEMBLE_SPLIT,
  });
  // A member that names no dataset: the others' name, no ids.
  c.metadata.extra = { ...c.metadata.extra, dataset: undefined };
  assert.deepEqual(ensembleCheckpoint([a, b, c], ['a', 'b', 'c']).metadata.extra!.dataset, {
    name: 'mitdb',
    split: ENSEMBLE_SPLIT,
  });
  // Members of two datasets: both named, no ids (they could collide).
  c.metadata.extra = { ...c.metadata.extra, dataset: { name: 'cinc2017', records: { train: ['A00001'] } } };
  assert.deepEqual(ensembleCheckpoint([a, b, c], ['a', 'b', 'c']).metadata.extra!.dataset, {
    name: 'mitdb, cinc2017',
    names: ['mitdb', 'cinc2017'],
    split: ENSEMBLE_SPLIT,
  });
  // No member recorded its data: nothing claimed.
  assert.equal('dataset' in ensembleCheckpoint([member(1), member(2)], ['m1', 'm2']).metadata.extra!, false);
});

test('members that disagree on labels are refused, naming the member', () => {
  assert.throws(
    () => ensembleCheckpoint([member(1), member(2, ['A', 'C', 'B'])], ['m1', 'm2']),
    (error: unknown) => error instanceof ConfigError && /m2: labels differ from m1/.test(error.message),
  );
});

test('class offsets travel in the checkpoint and the ONNX graph: logits = mean of members + offsets', async () => {
  const members = [member(4), member(5)];
  const offsets = [0, -0.75, 0.5];
  const plain = ensembleCheckpoint(members, ['m4', 'm5']);
  const shifted = ensembleCheckpoint(members, ['m4', 'm5'], offsets);
  manualSeed(10);
  const x = F.randn([3, LEADS, SAMPLES]);
  const dims = [3, LEADS, SAMPLES];
  const run = async (checkpoint: typeof plain) =>
    (
      await (
        await OnnxSession.create(exportCheckpoint(checkpoint, 'ensemble'))
      ).run({ ecg: { data: x.data(), dims } })
    ).logits!.data;
  const [base, moved] = [await run(plain), await run(shifted)];
  for (let i = 0; i < base.length; i++)
    assert.ok(
      Math.abs(moved[i]! - base[i]! - offsets[i % 3]!) < 1e-5,
      `row ${Math.floor(i / 3)} class ${i % 3}`,
    );
  // The rebuilt engine model applies them too, from the stored buffer.
  const rebuilt = modelFromCheckpoint(shifted);
  rebuilt.eval();
  const engine = noGrad(() => scope(() => rebuilt.forward(x).data()));
  rebuilt.dispose();
  x.dispose();
  for (let i = 0; i < base.length; i++) assert.ok(Math.abs(engine[i]! - moved[i]!) < 1e-4);
  assert.throws(
    () => ensembleCheckpoint(members, ['m4', 'm5'], [0, 1]),
    (error: unknown) => error instanceof ConfigError && /2 class offsets for 3 labels/.test(error.message),
  );
});

test('a fusion ensemble exports with the patient inputs: logits and attention are the members’ means', async () => {
  // Members of a CV standardise age with their own folds' mean and sd: the ensemble must map its one input onto each.
  const configs = [ageGroup(56.3, 20.4), ageGroup(61.0, 15.2)].map((age) =>
    fusionConfig({
      leads: LEADS,
      classes: 3,
      variant: 'w0.25',
      dModel: 32,
      heads: 4,
      groups: [age, sexGroup()],
    }),
  );
  const members = configs.map((config, k) => {
    manualSeed(4 + k);
    const model = new EfficientEcgFusion(config);
    const bytes = encodeCheckpoint(model, { ...metadata(), model: { name: 'efficientecg-fusion', config } });
    model.dispose();
    return decodeCheckpoint(bytes, `fusion-${k}`);
  });
  const ensemble = ensembleCheckpoint(members, ['f0', 'f1']);
  const session = await OnnxSession.create(exportCheckpoint(ensemble, 'fusion ensemble'));
  const [age, sex] = [patientInputNames('age'), patientInputNames('sex')];
  assert.deepEqual(
    [...session.inputNames].sort(),
    ['ecg', age.values, age.missing, sex.values, sex.missing].sort(),
  );
  assert.ok(session.outputNames.includes('attention_patient_to_ecg'));
  const rows = [{ age: 71, sex: 'male' }, { sex: 'female' }, { age: 34 }];
  manualSeed(10);
  const { feeds, expected } = scope(() => {
    const ecg = F.randn([3, LEADS, SAMPLES]);
    const models = members.map((m) => modelFromCheckpoint(m).eval() as unknown as EfficientEcgFusion);
    // Each member on its own encoding of the rows; the graph reads the first member's encoding only.
    const outs = noGrad(() => models.map((m) => m.forwardWithAttention(ecg, m.encodePatients(rows))));
    const mean = (pick: (o: (typeof outs)[number]) => Float32Array) =>
      Array.from(pick(outs[0]!), (v, i) => (v + pick(outs[1]!)[i]!) / 2);
    const patients = models[0]!.encodePatients(rows);
    const feed = (t: { data(): ArrayLike<number> | BigInt64Array; shape: readonly number[] }) => ({
      data: t.data(),
      dims: [...t.shape],
    });
    const result = {
      feeds: {
        ecg: feed(ecg),
        [age.values]: feed(patients.age!.values),
        [age.missing]: feed(patients.age!.missing),
        [sex.values]: feed(patients.sex!.values),
        [sex.missing]: feed(patients.sex!.missing),
      },
      expected: {
        logits: mean((o) => o.logits.data() as Float32Array),
        attention: mean((o) => o.attention.patientToEcg!.weights.data() as Float32Array),
        first: Array.from(outs[0]!.logits.data() as Float32Array),
      },
    };
    models.forEach((m) => m.dispose());
    return result;
  });
  const outputs = await session.run(feeds as never);
  const worst = (actual: ArrayLike<number>, wanted: number[]) =>
    wanted.reduce((w, v, i) => Math.max(w, Math.abs(actual[i]! - v)), 0);
  assert.ok(worst(outputs.logits!.data, expected.logits) < 1e-4, 'logits = mean of members');
  assert.ok(worst(outputs.attention_patient_to_ecg!.data, expected.attention) < 1e-4, 'attention = mean');
  assert.ok(worst(expected.first, expected.logits) > 1e-3, 'the members differ (the test can fail)');
  await session.release();
  // The engine's rebuilt ensemble (forward, as training-side code calls it) agrees too.
  const rebuilt = modelFromCheckpoint(ensemble).eval() as unknown as EfficientEcgFusion;
  const engine = noGrad(() =>
    scope(() => {
      const ecg = F.tensor(feeds.ecg.data as Float32Array, feeds.ecg.dims);
      return Array.from(rebuilt.forward(ecg, rebuilt.encodePatients(rows)).data() as Float32Array);
    }),
  );
  rebuilt.dispose();
  assert.ok(worst(engine, expected.logits) < 1e-4, 'engine forward = mean of members');
});

test('an ensemble may not mix fusion and plain members', () => {
  const config = fusionConfig({ leads: LEADS, classes: 3, variant: 'w0.25', dModel: 32, heads: 4 });
  manualSeed(6);
  const model = new EfficientEcgFusion(config);
  const fusion = decodeCheckpoint(
    encodeCheckpoint(model, { ...metadata(), model: { name: 'efficientecg-fusion', config } }),
    'fusion',
  );
  model.dispose();
  const mixed = ensembleCheckpoint([member(1), fusion], ['plain', 'fusion']);
  assert.throws(() => modelFromCheckpoint(mixed), /mixes fusion and plain members/);
});
