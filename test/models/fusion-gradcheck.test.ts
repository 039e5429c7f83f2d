/**
 * Float64 central-difference gradient checks of the fusion head on a tiny configuration, with respect to every
 * parameter, the backbone features and the patient values (one patient with age unknown and sex unknown).
 */
import { test } from 'node:test';
import { manualSeed, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import {
  ageGroup,
  encodePatients,
  FusionHead,
  fusionConfig,
  numericGroup,
  sexGroup,
  type FusionDesign,
  type PositionEncoding,
} from '../../src/models/fusion.js';
import { gradcheck } from '../helpers/gradcheck.js';

setNumThreads(1);

const CHANNELS = 3;
const GROUPS = [ageGroup(), sexGroup(), numericGroup('rr', ['previous', 'next'], [800, 800], [200, 200])];
const ROWS = [
  { age: 64, sex: 'male', rr: [750, 900] },
  { age: null, sex: null, rr: [null, 820] },
];

function checkHead(design: FusionDesign, position: PositionEncoding, ffnMultiplier: number): void {
  const config = fusionConfig({
    leads: 1,
    classes: 2,
    design,
    groups: GROUPS,
    dModel: 4,
    heads: 2,
    ffnMultiplier,
    classifierHidden: 3,
    dropout: 0,
    position,
    maxPositions: 5,
  });
  const head = new FusionHead(config, CHANNELS).eval();
  scope(() => {
    head.to('float64');
    const features = F.randn([2, CHANNELS, 3], 'float64');
    const patients = encodePatients(GROUPS, ROWS, 'float64');
    features.requiresGrad = true;
    patients.age!.values.requiresGrad = true;
    patients.rr!.values.requiresGrad = true;
    const checked: Record<string, Tensor> = {
      ...Object.fromEntries(head.namedParameters()),
      features,
      'age.values': patients.age!.values,
      'rr.values': patients.rr!.values,
    };
    gradcheck(
      `fusion head ${design}/${position}`,
      () => {
        const { logits, attention } = head.forward(features, patients);
        // The weights are outputs too: users read them, and their gradient path is the attention's.
        const weights = [attention.patientToEcg?.weights, attention.ecgToPatient?.weights].filter((w) => w !== undefined);
        return F.add(F.sum(logits), weights.reduce((s, w) => F.add(s, F.sum(F.mul(w, w))), F.zeros([], 'float64')));
      },
      checked,
    );
  });
  head.dispose();
}

test('gradcheck fusion head: bidirectional (both attention blocks, feed-forwards) with a learned position table', () => {
  manualSeed(11);
  checkHead('bidirectional', 'learned', 1);
});

test('gradcheck fusion head: patient tokens query ECG; ECG queries patient tokens (no feed-forward, sinusoidal)', () => {
  manualSeed(12);
  checkHead('patient-queries-ecg', 'sinusoidal', 0);
  checkHead('ecg-queries-patient', 'sinusoidal', 0);
});

test('gradcheck fusion head: concatenation baseline', () => {
  manualSeed(13);
  checkHead('concat', 'none', 1);
});
