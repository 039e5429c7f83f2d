/**
 * Parity with PyTorch: the same small network (Conv1d, BatchNorm1d, SiLU, squeeze-excitation, Linear) built in
 * TypeScript, loaded with PyTorch's initial weights, gives the same logits and, after 5 AdamW steps, the same
 * parameters and running statistics (fixture: test/fixtures/engine/make_parity_fixture.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, scope, type Tensor } from '../../src/engine/index.js';
import { BatchNorm1d, Conv1d, Linear, Module, type StoredTensor } from '../../src/nn/index.js';
import { SqueezeExcitation } from '../../src/models/efficientecg.js';
import { AdamW, weightDecayGroups } from '../../src/optim/index.js';
import { assertClose, readJson } from '../helpers/tensors.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface ParityFixture {
  initial: Record<string, Encoded>;
  final: Record<string, Encoded>;
  x: Encoded;
  y: Encoded;
  train_logits: number[];
  eval_logits: number[];
  losses: number[];
}

class ParityNet extends Module {
  conv = this.registerModule('conv', new Conv1d(3, 8, 5, { stride: 2, padding: 2, bias: false }));
  bn = this.registerModule('bn', new BatchNorm1d(8));
  se = this.registerModule('se', new SqueezeExcitation(8, 2));
  fc = this.registerModule('fc', new Linear(8, 4));

  forward(x: Tensor): Tensor {
    return this.fc.forward(F.mean(this.se.forward(F.silu(this.bn.forward(this.conv.forward(x)))), 2));
  }
}

function stored(encoded: Record<string, Encoded>): Map<string, StoredTensor> {
  return new Map(
    Object.entries(encoded).map(([name, t]) => [
      name,
      {
        shape: t.shape,
        data: name.endsWith('num_batches_tracked')
          ? BigInt64Array.from(t.data.map(BigInt))
          : Float32Array.from(t.data),
      },
    ]),
  );
}

test('a TypeScript Conv/BN/SiLU/SE/Linear net matches PyTorch before and after 5 AdamW steps', () => {
  const fixture = readJson<ParityFixture>('test/fixtures/engine/parity.json');
  const net = new ParityNet();
  net.loadState(stored(fixture.initial), 'parity fixture');
  // PyTorch's groups: decay on conv/linear weights, none on biases and BatchNorm (weightDecayGroups' rule).
  const optimizer = new AdamW(weightDecayGroups(net, 0.01, 0.05));
  scope(() => {
    const x = F.tensor(Float32Array.from(fixture.x.data), fixture.x.shape);
    const y = F.tensor(Float32Array.from(fixture.y.data), fixture.y.shape);
    assertClose(net.forward(x), fixture.train_logits, 'training-mode logits', 1e-5, 1e-5);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      scope(() => {
        optimizer.zeroGrad();
        const loss = F.bceWithLogits(net.forward(x), y);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      });
    }
    losses.forEach((l, i) =>
      assert.ok(Math.abs(l - fixture.losses[i]!) < 1e-5, `loss ${i}: ${l} vs ${fixture.losses[i]}`),
    );
    for (const [name, t] of net.stateDict())
      assertClose(t, fixture.final[name]!.data, `after 5 steps: ${name}`, 2e-5, 1e-4);
    net.eval();
    assertClose(net.forward(x), fixture.eval_logits, 'eval-mode logits', 2e-5, 1e-4);
  });
  optimizer.dispose();
  net.dispose();
});
