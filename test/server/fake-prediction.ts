/** A record prediction for tests whose predictor is faked (slow, gated or failing): only its shape matters. */
import type { RecordPrediction } from '../../src/infer/predictor.js';

export function fakePrediction(label: string): RecordPrediction {
  return {
    record: 'r',
    task: 'records',
    labels: [label],
    probabilities: { N: 0, A: 0, O: 0, '~': 0, [label]: 1 },
    top: [{ label, probability: 1 }],
    aggregate: 'mean-logits',
    windowSeconds: 10,
    hopSeconds: 10,
    windows: [],
    notices: [],
    attention: null,
    saliency: null,
    untrained: true,
  };
}
