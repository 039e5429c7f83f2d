/**
 * Weight averaging (--ema): the average follows its formula step by step, swapping it in and out restores the live
 * weights exactly, and a training run with --ema saves the average as the model and the live weights beside the
 * optimiser state, resuming bit-exactly.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyInPlace } from '../../src/engine/inplace.js';
import * as F from '../../src/engine/ops.js';
import { noGrad } from '../../src/engine/autograd.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { EfficientECG, efficientEcgConfig } from '../../src/models/efficientecg.js';
import { train, type TrainConfig } from '../../src/train/index.js';
import { LIVE_PREFIX, WeightAverage } from '../../src/train/weight-average.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig } from './helpers.js';

test('the average follows a <- d a + (1 - d) w with the ramped decay, and swapping restores the live weights', async () => {
  const model = new EfficientECG(efficientEcgConfig('w0.25', 1, 3));
  const [name, weight] = model.namedParameters().find(([n]) => n.endsWith('classifier.weight'))!;
  const set = (value: number) => noGrad(() => copyInPlace(weight, F.full(weight.shape, value)));
  set(1);
  const average = new WeightAverage(model, 0.5);
  let expected = 1;
  for (const [step, value] of [
    [0, 3],
    [1, 5],
    [20, -1],
  ] as const) {
    set(value);
    average.update(step);
    const decay = Math.min(0.5, (1 + step) / (10 + step));
    expected = decay * expected + (1 - decay) * value;
  }
  const seen = await average.withAverage(() => {
    assert.throws(() => average.update(30), /swapped/);
    return average.liveState().get(`${LIVE_PREFIX}${name}`)!.data[0];
  });
  assert.equal(seen, -1, 'liveState holds the live weights while the average is in the model');
  // After withAverage the model holds the live weights again; inside it held the average.
  assert.equal(weight.data()[0], -1);
  await average.withAverage(() => assert.ok(Math.abs(weight.data()[0]! - expected) < 1e-6));
  average.dispose();
  model.dispose();
});

async function run(config: TrainConfig, stopAfter: number | null) {
  if (stopAfter !== null) {
    const controller = new AbortController();
    let seen = 0;
    await train(config, syntheticDataset(), {
      signal: controller.signal,
      onLog: (line) => {
        if (line.type === 'epoch' && ++seen === stopAfter) controller.abort();
      },
    });
  }
  return readCheckpoint((await train(config, syntheticDataset(), { resume: stopAfter !== null })).lastPath);
}

test('--ema: checkpoints hold the average as the model and live.* beside the optimiser; resume is exact', async () => {
  const { dir, dispose } = tempDir();
  try {
    const config = (out: string, ema: number) => tinyConfig(join(dir, out), { epochs: 2, ema });
    const straight = await run(config('straight', 0.9), null);
    const resumed = await run(config('resumed', 0.9), 1);
    const live = [...straight.optimizerState].filter(([key]) => key.startsWith(LIVE_PREFIX));
    assert.ok(live.length > 0);
    let averageVsLive = 0;
    for (const [key, value] of live) {
      const model = straight.state.get(key.slice(LIVE_PREFIX.length))!;
      for (let i = 0; i < value.data.length; i++)
        averageVsLive = Math.max(averageVsLive, Math.abs(Number(model.data[i]) - Number(value.data[i])));
    }
    assert.ok(averageVsLive > 1e-4, 'the saved model is the average, not the live weights');
    for (const [key, value] of [...straight.state, ...straight.optimizerState]) {
      if (key.endsWith('num_batches_tracked')) continue;
      const other =
        straight.state.get(key) === value ? resumed.state.get(key) : resumed.optimizerState.get(key);
      assert.deepEqual(Array.from(other!.data as Float32Array), Array.from(value.data as Float32Array), key);
    }
    // With a decay near 0 the average is the live weights.
    const tiny = await run(config('tiny', 1e-9), null);
    for (const [key, value] of tiny.optimizerState) {
      if (!key.startsWith(LIVE_PREFIX)) continue;
      const model = tiny.state.get(key.slice(LIVE_PREFIX.length))!;
      for (let i = 0; i < value.data.length; i++)
        assert.ok(Math.abs(Number(model.data[i]) - Number(value.data[i])) < 1e-6, key);
    }
  } finally {
    dispose();
  }
});
