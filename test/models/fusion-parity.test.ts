/**
 * The fusion head against golden values written independently with torch.nn.functional
 * (test/fixtures/models/fusion/make_fusion_fixture.py): bidirectional with sinusoidal positions, and concat.
 */
import { test } from 'node:test';
import { noGrad, scope, setNumThreads } from '../../src/engine/index.js';
import {
  ageGroup,
  encodePatients,
  FusionHead,
  fusionConfig,
  numericGroup,
  sexGroup,
  type FusionDesign,
  type PatientRow,
} from '../../src/models/fusion.js';
import { assertClose, fromFixture, readJson, type EncodedTensor } from '../helpers/tensors.js';

setNumThreads(1);

interface DesignFixture {
  state: Record<string, EncodedTensor>;
  logits: EncodedTensor;
  present?: EncodedTensor;
  patientToEcg?: EncodedTensor;
  ecgToPatient?: EncodedTensor;
}

interface Fixture {
  features: EncodedTensor;
  rows: PatientRow[];
  bidirectional: DesignFixture;
  concat: DesignFixture;
}

const fixture = readJson<Fixture>('test/fixtures/models/fusion/fusion.json');
const GROUPS = [ageGroup(), sexGroup(), numericGroup('rr', ['previous', 'next'], [800, 800], [200, 200])];

function headFor(design: FusionDesign, expected: DesignFixture): FusionHead {
  const config = fusionConfig({
    leads: 1,
    classes: 2,
    design,
    groups: GROUPS,
    dModel: 4,
    heads: 2,
    ffnMultiplier: 1,
    classifierHidden: 3,
    dropout: 0,
    position: 'sinusoidal',
  });
  const head = new FusionHead(config, 3).eval().to('float64');
  head.loadState(new Map(Object.entries(expected.state).map(([name, t]) => [name, fromFixture(t)])), 'fixture');
  return head;
}

for (const design of ['bidirectional', 'concat'] as const) {
  test(`fusion head ${design}: logits and attention weights match PyTorch`, () => {
    const expected = fixture[design];
    const head = headFor(design, expected);
    scope(() =>
      noGrad(() => {
        const patients = encodePatients(GROUPS, fixture.rows, 'float64');
        const { logits, attention } = head.forward(fromFixture(fixture.features), patients);
        assertClose(logits, expected.logits, `${design} logits`, 1e-10, 1e-8);
        if (expected.present) assertClose(attention.present!, expected.present, 'present', 0, 0);
        if (expected.patientToEcg) assertClose(attention.patientToEcg!.weights, expected.patientToEcg, 'patientToEcg', 1e-10, 1e-8);
        if (expected.ecgToPatient) assertClose(attention.ecgToPatient!.weights, expected.ecgToPatient, 'ecgToPatient', 1e-10, 1e-8);
      }),
    );
    head.dispose();
  });
}
