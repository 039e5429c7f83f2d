/**
 * Ensembles: one checkpoint holding several members (members.k.*), rebuilt by the registry, exported as one ONNX
 * graph whose logits must be the mean of the members' own logits (engine, eval mode) within 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { ConfigError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMetadata } from '../../src/export/checkpoint.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { OnnxSession } from '../../src/infer/onnx-session.js';
import { EfficientECG, efficientEcgConfig } from '../../src/models/efficientecg.js';
import { ensembleCheckpoint } from '../../src/models/ensemble.js';
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
