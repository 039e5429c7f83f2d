/** Float64 central-difference gradient checks of every layer, with respect to its input and its parameters. */
import { test } from 'node:test';
import { manualSeed, ops as F, scope, type Tensor } from '../../src/engine/index.js';
import {
  BatchNorm1d,
  Conv1d,
  Embedding,
  LayerNorm,
  Linear,
  LSTM,
  Module,
  MultiheadAttention,
  Sequential,
  Activation,
} from '../../src/nn/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

function checkLayer(
  name: string,
  module: Module,
  input: Tensor | null,
  forward: (x: Tensor | null) => Tensor,
): void {
  scope(() => {
    module.to('float64');
    const checked: Record<string, Tensor> = Object.fromEntries(module.namedParameters());
    if (input) {
      input.requiresGrad = true;
      checked.input = input;
    }
    gradcheck(name, () => forward(input), checked);
  });
  module.dispose();
}

test('gradcheck Conv1d (strided, padded) and depthwise Conv1d', () => {
  manualSeed(1);
  const conv = new Conv1d(3, 4, 3, { stride: 2, padding: 1 });
  checkLayer('Conv1d', conv, F.randn([2, 3, 9], 'float64'), (x) => conv.forward(x!));
  const depthwise = new Conv1d(4, 4, 5, { padding: 'same', groups: 4 });
  checkLayer('depthwise Conv1d', depthwise, F.randn([2, 4, 8], 'float64'), (x) => depthwise.forward(x!));
});

test('gradcheck BatchNorm1d in eval mode and in training mode', () => {
  manualSeed(2);
  const bn = new BatchNorm1d(3);
  bn.eval();
  checkLayer('BatchNorm1d eval', bn, F.randn([4, 3, 5], 'float64'), (x) => bn.forward(x!));
  const bnTrain = new BatchNorm1d(3, 1e-5, 0);
  checkLayer('BatchNorm1d train', bnTrain, F.randn([4, 3, 5], 'float64'), (x) => bnTrain.forward(x!));
});

test('gradcheck Linear, LayerNorm and a Sequential with SiLU', () => {
  manualSeed(3);
  const linear = new Linear(5, 3);
  checkLayer('Linear', linear, F.randn([2, 4, 5], 'float64'), (x) => linear.forward(x!));
  const norm = new LayerNorm(6);
  checkLayer('LayerNorm', norm, F.randn([3, 6], 'float64'), (x) => norm.forward(x!));
  const mlp = new Sequential(new Linear(4, 6), new Activation('silu'), new Linear(6, 2));
  checkLayer('Sequential', mlp, F.randn([3, 4], 'float64'), (x) => mlp.forward(x!));
});

test('gradcheck Embedding with respect to its table', () => {
  manualSeed(4);
  const embedding = new Embedding(5, 3);
  const indices = F.tensor(BigInt64Array.from([0n, 3n, 3n, 4n]), [2, 2]);
  checkLayer('Embedding', embedding, null, () => embedding.forward(indices));
  indices.dispose();
});

test('gradcheck MultiheadAttention (cross-attention with different key width, with a padding mask)', () => {
  manualSeed(5);
  const attention = new MultiheadAttention(8, 2, { kdim: 6 });
  const keys = F.randn([2, 5, 6], 'float64');
  const mask = F.tensor(Uint8Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]), [2, 5]);
  keys.requiresGrad = true;
  checkLayer('MultiheadAttention', attention, F.randn([2, 3, 8], 'float64'), (q) => {
    const { output, weights } = attention.forward(q!, keys, keys, mask);
    return F.add(F.sum(output), F.sum(F.mul(weights, weights)));
  });
  keys.dispose();
  mask.dispose();
});

test('gradcheck LSTM (2 layers, bidirectional)', () => {
  manualSeed(6);
  const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
  checkLayer('LSTM', lstm, F.randn([2, 5, 3], 'float64'), (x) => lstm.forward(x!).output);
});
