/** MAC counts: a small net counted by hand, and EfficientECG-B0 against forward hooks on its PyTorch twin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { ShapeError } from '../../src/errors.js';
import { Conv1d, Linear, LSTM, Module } from '../../src/nn/index.js';
import { EfficientECG, efficientEcgConfig } from '../../src/models/efficientecg.js';
import { countMacs } from '../../src/models/macs.js';

// One libtorch thread: on a shared machine a second spinning thread costs more CPU than it saves.
setNumThreads(1);

/** `/usr/bin/python3 bench/efficientnet1d_torch.py --macs`: Conv1d + Linear hooks, B0, 12 leads, 5 classes, [1, 12, 1000]. */
const TORCH_B0_12X1000_MACS = 131_508_336;

class SmallNet extends Module {
  readonly conv = this.registerModule('conv', new Conv1d(2, 4, 3, { stride: 2, padding: 1 }));
  readonly depthwise = this.registerModule('depthwise', new Conv1d(4, 4, 5, { padding: 2, groups: 4 }));
  readonly lstm = this.registerModule('lstm', new LSTM(4, 2));
  readonly fc = this.registerModule('fc', new Linear(4, 3));

  forward(x: Tensor): Tensor {
    const y = F.relu(this.depthwise.forward(this.conv.forward(x))); // [N, 4, 5]
    const sequence = F.transpose(y, 1, 2); // [N, 5, 4]
    const scores = F.matmul(sequence, y); // [N, 5, 5]
    const mixed = F.matmul(F.softmax(scores, -1), sequence); // [N, 5, 4]
    this.lstm.forward(mixed);
    return this.fc.forward(F.mean(mixed, 1));
  }
}

test('a small net: conv, depthwise conv, two matmuls, LSTM and linear MACs as counted by hand', () => {
  const perSample = {
    conv1d: 4 * 5 * 2 * 3 + 4 * 5 * 1 * 5, // Cout * Lout * Cin/groups * K, twice
    matmul: 5 * 5 * 4 + 5 * 4 * 5, // output elements * inner dimension, twice
    lstm: 5 * (4 * 2) * (4 + 2), // steps * 4H * (input + H)
    linear: 3 * 4,
  };
  const net = new SmallNet();
  for (const batch of [1, 3]) {
    const { total, byOp } = countMacs(net, [batch, 2, 10]);
    const expected = Object.fromEntries(Object.entries(perSample).map(([op, n]) => [op, n * batch]));
    assert.deepEqual(byOp, expected);
    assert.equal(total, Object.values(expected).reduce((a, b) => a + b, 0));
  }
  assert.equal(net.training, true, 'countMacs puts the training flag back');
  assert.throws(() => countMacs(net, [1, 2, 0]), ShapeError);
  net.dispose();
});

test('EfficientECG-B0 at 12 x 1000 has the MACs that hooks on the PyTorch twin count', () => {
  const model = new EfficientECG(efficientEcgConfig('b0', 12, 5));
  const { total, byOp } = countMacs(model, [1, 12, 1000]);
  assert.equal(total, TORCH_B0_12X1000_MACS);
  assert.equal(byOp.linear, 1280 * 5);
  model.dispose();
});
