/**
 * 10,000 training steps must not grow resident memory: every step's tensors are released by scopes and the
 * optimiser's state is allocated once. (A memory check, not a timing: it asserts bytes, never seconds.)
 * The loop yields to the event loop each step, as the trainer does while it awaits its data loader: Node runs
 * N-API finalizers (which free the small native handle objects) from the event loop, never inside a synchronous loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, ops as F, scope } from '../../src/engine/index.js';
import { Activation, BatchNorm1d, Conv1d, Linear, Sequential } from '../../src/nn/index.js';
import { AdamW, weightDecayGroups } from '../../src/optim/index.js';
import { Module } from '../../src/nn/module.js';
import type { Tensor } from '../../src/engine/index.js';

class Tiny extends Module {
  features = this.registerModule(
    'features',
    new Sequential(new Conv1d(2, 8, 5, { padding: 2 }), new BatchNorm1d(8), new Activation('silu')),
  );
  head = this.registerModule('head', new Linear(8, 3));
  forward(x: Tensor): Tensor {
    return this.head.forward(F.mean(this.features.forward(x), 2));
  }
}

test('10,000 training steps do not grow resident memory', async () => {
  manualSeed(0);
  const model = new Tiny();
  const optimizer = new AdamW(weightDecayGroups(model, 1e-3, 1e-2));
  const x = F.randn([4, 2, 64]);
  const y = F.rand([4, 3]);
  const step = () =>
    scope(() => {
      optimizer.zeroGrad();
      const loss = F.bceWithLogits(model.forward(x), y);
      loss.backward();
      optimizer.step();
    });
  const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 1000; i++) {
    step();
    await yieldToEventLoop();
  }
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 10_000; i++) {
    step();
    await yieldToEventLoop();
  }
  const grownMiB = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grownMiB < 16, `resident memory grew by ${grownMiB.toFixed(1)} MiB over 10,000 steps`);
  x.dispose();
  y.dispose();
  optimizer.dispose();
  model.dispose();
});

test('forgotten tensors (outside every scope, never disposed) are freed by garbage collection in time', async () => {
  const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));
  const before = process.memoryUsage().rss;
  let peak = before;
  // 2,000 x 4 MiB = 8 GiB if nothing were freed; the native bytes are reported to V8, which collects the handles.
  for (let i = 0; i < 2000; i++) {
    F.ones([1024, 1024]);
    if (i % 10 === 0) {
      await yieldToEventLoop();
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  const grownMiB = (peak - before) / 2 ** 20;
  assert.ok(grownMiB < 1024, `resident memory peaked ${grownMiB.toFixed(0)} MiB above the start`);
});
