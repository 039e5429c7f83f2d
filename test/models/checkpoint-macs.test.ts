/**
 * checkpointMacs (the catalogue's MAC figure, scripts/bundle-model.ts) feeds a beat model with residual channels
 * as many channels as its template mode makes: three per lead for `both` (the lead, minus the record's template,
 * minus the local one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { beatModelConfig, EfficientEcgBeat } from '../../src/models/beats.js';
import { checkpointMacs, countMacsOf } from '../../src/models/macs.js';

setNumThreads(1);

test('checkpointMacs counts a beat model with residual channels against both templates (3 channels per lead)', () => {
  const config = beatModelConfig({ leads: 2, classes: 4, variant: 'w0.25', residualChannels: true, residualSets: 2 });
  const model = new EfficientEcgBeat(config);
  const metadata = {
    model: { name: 'efficientecg-beat', config },
    labels: ['N', 'S', 'V', 'F'],
    preprocessing: { fs: 100, leads: ['MLII', 'V1'], windowSamples: 64, windowSeconds: 0.64 },
    extra: { task: 'beats', beats: { before: 24, after: 40, residualChannels: true, template: 'both' } },
  };
  const macs = checkpointMacs(model, metadata);
  model.eval();
  const expected = countMacsOf(() => scope(() => model.forward(F.zeros([1, 6, 64]), F.full([1, 4], 0.8)))).total;
  assert.ok(expected > 0);
  assert.equal(macs, expected);
  model.dispose();
});
