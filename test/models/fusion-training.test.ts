/**
 * The fusion model uses the patient features: on a synthetic task whose label depends only on age (the ECG is
 * fresh noise every step, so nothing about it can be memorised), a few dozen AdamW steps bring the held-out loss
 * far below chance (ln 2) for every design; hiding age (missing) brings the held-out accuracy back to ~chance.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualSeed, noGrad, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import type { StageSpec } from '../../src/models/efficientecg.js';
import {
  ageGroup,
  EfficientEcgFusion,
  FUSION_DESIGNS,
  fusionConfig,
  sexGroup,
  type FusionDesign,
  type PatientRow,
} from '../../src/models/fusion.js';
import { AdamW, weightDecayGroups } from '../../src/optim/index.js';

setNumThreads(1);

const STAGES: StageSpec[] = [
  { expand: 1, channels: 16, repeats: 1, stride: 2, kernel: 3 },
  { expand: 2, channels: 24, repeats: 1, stride: 2, kernel: 3 },
];
const SAMPLES = 128;
const STEPS = 40;
const BATCH = 32;
const THRESHOLD_AGE = 55;

/** A deterministic generator for ages and sexes (libtorch's seed drives the ECG noise and the weights). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Batch {
  rows: PatientRow[];
  labels: bigint[];
}

function makeBatch(random: () => number, size: number): Batch {
  const rows: PatientRow[] = [];
  const labels: bigint[] = [];
  for (let i = 0; i < size; i++) {
    const age = 25 + 60 * random();
    const sex = ['male', 'female', 'unknown'][Math.floor(random() * 3)];
    rows.push({ age, sex });
    labels.push(age > THRESHOLD_AGE ? 1n : 0n);
  }
  return { rows, labels };
}

function evaluate(model: EfficientEcgFusion, batch: Batch): { loss: number; accuracy: number } {
  return scope(() =>
    noGrad(() => {
      const x = F.randn([batch.rows.length, 1, SAMPLES]);
      const logits = model.forward(x, model.encodePatients(batch.rows));
      const target = F.tensor(BigInt64Array.from(batch.labels), [batch.labels.length]);
      const correct = F.sum(F.toDtype(F.eq(F.argmax(logits, 1), target), 'float32')).item();
      return { loss: F.crossEntropy(logits, target).item(), accuracy: correct / batch.labels.length };
    }),
  );
}

function train(design: FusionDesign): void {
  manualSeed(21);
  const random = lcg(7);
  const config = fusionConfig({
    leads: 1,
    classes: 2,
    variant: 'w0.25',
    design,
    groups: [ageGroup(), sexGroup()],
    dModel: 16,
    heads: 2,
    classifierHidden: 16,
    dropout: 0,
    backbone: { headChannels: 32, stages: STAGES, stochasticDepth: 0, dropout: 0 },
  });
  const model = new EfficientEcgFusion(config);
  const optimizer = new AdamW(weightDecayGroups(model, 1e-2, 1e-4));
  for (let step = 0; step < STEPS; step++) {
    const batch = makeBatch(random, BATCH);
    scope(() => {
      optimizer.zeroGrad();
      const logits = model.forward(F.randn([BATCH, 1, SAMPLES]), model.encodePatients(batch.rows));
      F.crossEntropy(logits, F.tensor(BigInt64Array.from(batch.labels), [BATCH])).backward();
      optimizer.step();
    });
  }
  model.eval();
  const heldOut = makeBatch(random, 256);
  const withAge = evaluate(model, heldOut);
  const hidden = evaluate(model, { ...heldOut, rows: heldOut.rows.map((row) => ({ ...row, age: null })) });
  const what = `${design}: held-out loss ${withAge.loss.toFixed(3)}, accuracy ${withAge.accuracy.toFixed(3)}, age hidden ${hidden.accuracy.toFixed(3)}`;
  assert.ok(withAge.loss < 0.35 * Math.LN2, what);
  assert.ok(withAge.accuracy > 0.9, what);
  assert.ok(hidden.accuracy < 0.7, what);
  optimizer.dispose();
  model.dispose();
}

for (const design of Object.keys(FUSION_DESIGNS) as FusionDesign[]) {
  test(`${design} learns a label that depends only on age`, () => train(design));
}
