/**
 * The tensor cache (native/memory.cc): large CPU tensors are served from blocks kept after they are freed, the cache
 * never holds more than 9/8 of the highest live total, and a reused or resized block behaves like fresh memory.
 * Each test checks counter differences: the counters are process-wide.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { getNumThreads, manualSeed, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { Activation, BatchNorm1d, Conv1d, Sequential } from '../../src/nn/index.js';
import { AdamW, weightDecayGroups } from '../../src/optim/index.js';
import { addonPath } from '../../src/engine/binding.js';
import {
  allocatorStats,
  releaseFreeMemory,
  setAllocatorOption,
  setTensorCache,
} from '../../src/engine/runtime.js';
import { EcgError } from '../../src/errors.js';
import type { AllocatorOption, AllocatorStats } from '../../src/engine/binding.js';

const MiB = 2 ** 20;
const floatsOf = (bytes: number) => bytes / 4;

/** The cache holds at most 1/8 more than the highest live total (native/memory.cc, kSlackDiv). */
const withinLimit = (s: AllocatorStats) => s.liveBytes + s.cachedBytes <= s.peakLiveBytes * (9 / 8);

function allEqual(tensor: ReturnType<typeof F.full>, value: number): boolean {
  return tensor.data().every((v) => v === value);
}

test('the tensor cache (on by default) serves a freed block to the next tensor of its size', () => {
  assert.equal(
    allocatorStats().cacheEnabled,
    process.env.EFFICIENTECG_TENSOR_CACHE !== '0',
    'on unless EFFICIENTECG_TENSOR_CACHE=0',
  );
  setTensorCache(true);
  releaseFreeMemory();
  assert.equal(allocatorStats().cacheEnabled, true);
  const first = F.full([floatsOf(4 * MiB)], 1);
  first.dispose();
  const before = allocatorStats();
  assert.ok(before.cachedBytes >= 4 * MiB, `cached ${before.cachedBytes} bytes`);
  const second = F.zeros([floatsOf(4 * MiB)]);
  const after = allocatorStats();
  assert.equal(after.hits - before.hits, 1);
  assert.equal(after.misses, before.misses);
  assert.ok(allEqual(second, 0), 'a reused block holds the new tensor, not the old values');
  second.dispose();
});

test('a miss beyond the live peak resizes a cached block instead of mapping new memory', () => {
  releaseFreeMemory();
  const small = F.full([floatsOf(4 * MiB)], 1);
  small.dispose();
  const start = allocatorStats();
  const grown = F.full([floatsOf(6 * MiB)], 2); // 4 cached + 6 new would exceed the 6 MiB peak: grow the 4 MiB block
  assert.equal(allocatorStats().resizes - start.resizes, 1);
  assert.ok(allEqual(grown, 2));
  grown.dispose();
  const shrunk = F.full([floatsOf(2 * MiB)], 3); // the 6 MiB block is too large to serve as it is: shrink it
  const end = allocatorStats();
  assert.equal(end.resizes - start.resizes, 2);
  assert.ok(allEqual(shrunk, 3));
  assert.ok(withinLimit(end), 'the cache stays within 9/8 of the live peak');
  shrunk.dispose();
});

test('repeated steps of varied sizes keep live + cached bytes within 9/8 of the live peak', () => {
  releaseFreeMemory();
  const sizes = [3, 1, 5, 2, 8, 1.5].map((m) => floatsOf(Math.round(m * MiB)));
  for (let step = 0; step < 5; step++) {
    const live = sizes.map((n, i) => F.full([n + step * 1024 * (i % 2)], step));
    for (const tensor of live) tensor.dispose();
    const stats = allocatorStats();
    assert.ok(withinLimit(stats), `step ${step}: ${JSON.stringify(stats)}`);
  }
});

test('releaseFreeMemory empties the cache; setTensorCache(false) hands new tensors to the default allocator', () => {
  const kept = F.full([floatsOf(2 * MiB)], 1);
  F.ones([floatsOf(2 * MiB)]).dispose();
  releaseFreeMemory();
  assert.equal(allocatorStats().cachedBytes, 0);
  setTensorCache(false);
  try {
    const before = allocatorStats();
    const other = F.full([floatsOf(2 * MiB)], 5);
    assert.equal(allocatorStats().cacheEnabled, false);
    assert.equal(allocatorStats().liveBytes, before.liveBytes);
    assert.ok(allEqual(other, 5));
    other.dispose();
  } finally {
    setTensorCache(true);
  }
  assert.ok(allEqual(kept, 1), 'a tensor made by the cache survives switching allocators');
  kept.dispose();
});

test('bad allocator settings are typed errors that name the input', () => {
  assert.throws(
    () => setAllocatorOption('nope' as AllocatorOption, 1),
    (e: unknown) => {
      return e instanceof EcgError && /allocator option must be one of/.test(e.message);
    },
  );
  assert.throws(
    () => setAllocatorOption('arenaMax', -1),
    (e: unknown) => {
      return e instanceof EcgError && /arenaMax must be an integer/.test(e.message);
    },
  );
  assert.throws(() => setTensorCache('yes' as unknown as boolean), EcgError);
});

test('EFFICIENTECG_ADDON overrides where the addon is loaded from', () => {
  const saved = process.env.EFFICIENTECG_ADDON;
  try {
    process.env.EFFICIENTECG_ADDON = '/elsewhere/efficientecg_engine.node';
    assert.equal(addonPath(), '/elsewhere/efficientecg_engine.node');
  } finally {
    if (saved === undefined) delete process.env.EFFICIENTECG_ADDON;
    else process.env.EFFICIENTECG_ADDON = saved;
  }
});

/** Trains a small conv net for a few AdamW steps on tensors large enough for the cache; returns every parameter. */
function trainedParameters(tensorCache: boolean): Float32Array[] {
  setTensorCache(tensorCache);
  try {
    manualSeed(7);
    const model = new Sequential(
      new Conv1d(2, 16, 7, { padding: 3 }),
      new BatchNorm1d(16),
      new Activation('silu'),
      new Conv1d(16, 4, 5, { padding: 2 }),
    );
    const optimizer = new AdamW(weightDecayGroups(model, 1e-3, 1e-2));
    const x = F.randn([16, 2, 4096]); // 512 KiB input, 4 MiB activations: served by the cache when it is on
    for (let step = 0; step < 5; step++) {
      scope(() => {
        optimizer.zeroGrad();
        F.mean(F.pow(model.forward(x), 2)).backward();
        optimizer.step();
      });
    }
    const parameters = model.parameters().map((p) => p.data<'float32'>());
    x.dispose();
    optimizer.dispose();
    model.dispose();
    return parameters;
  } finally {
    setTensorCache(true);
  }
}

test('training through the tensor cache gives bit-identical parameters to glibc malloc, on 2 threads', () => {
  const threads = getNumThreads();
  setNumThreads(2);
  try {
    const withoutCache = trainedParameters(false);
    const hitsBefore = allocatorStats().hits;
    const withCache = trainedParameters(true);
    assert.ok(allocatorStats().hits - hitsBefore > 20, 'the cached run reused blocks');
    assert.equal(withCache.length, withoutCache.length);
    withCache.forEach((p, i) => assert.deepEqual(p, withoutCache[i], `parameter ${i}`));
  } finally {
    setNumThreads(threads);
  }
});

test('worker threads allocating through the cache at the same time all get their own memory', async () => {
  // Each thread fills 256 KiB tensors with its own value and checks them before freeing: a block handed to two
  // threads at once would show another thread's value.
  const iterations = 300;
  const check = (value: number): number => {
    let wrong = 0;
    for (let i = 0; i < iterations; i++) {
      const a = F.full([floatsOf(256 * 1024)], value);
      const b = F.mul(a, 2);
      if (!allEqual(b, 2 * value)) wrong++;
      a.dispose();
      b.dispose();
    }
    return wrong;
  };
  const engine = JSON.stringify(new URL('../../src/engine/index.js', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = `
    const { parentPort, workerData } = await import('node:worker_threads');
    (await import(${tsx})).register();
    const { ops: F } = await import(${engine});
    let wrong = 0;
    for (let i = 0; i < ${iterations}; i++) {
      const a = F.full([65536], workerData);
      const b = F.mul(a, 2);
      if (!b.data().every((v) => v === 2 * workerData)) wrong++;
      a.dispose();
      b.dispose();
    }
    parentPort.postMessage(wrong);`;
  const workers = [3, 5].map(
    (value) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(`(async () => {${source}})()`, { eval: true, workerData: value });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
  );
  const mainWrong = check(7);
  assert.deepEqual(await Promise.all(workers), [0, 0], 'worker threads saw foreign values');
  assert.equal(mainWrong, 0, 'the main thread saw foreign values');
  assert.equal(allocatorStats().cacheEnabled, true);
});
