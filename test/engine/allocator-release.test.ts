/**
 * The tensor cache gives back what it cannot use (native/memory.cc): a cached block popped for a resize that fails,
 * and every block freed after setTensorCache(false). Each runs in its own process: the counters are process-wide and
 * the first one measures resident memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('../../src/engine/index.ts', import.meta.url));

/** Runs `body` (an async function body with `engine` imported) in a child process and returns its JSON result. */
function inChild(body: string): Record<string, number> {
  const code = `const engine = await import(${JSON.stringify(engine)});\n${body}`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, EFFICIENTECG_TENSOR_CACHE: '1', OMP_NUM_THREADS: '1' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

test('a failed resize of a cached block does not leak the block', () => {
  const result = inChild(`
    const { ops: F, allocatorStats } = engine;
    const { readFileSync } = await import('node:fs');
    const rssMiB = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    let failures = 0;
    const round = () => {
      F.zeros([1 << 20]).dispose(); // 4 MiB, touched, then cached
      try { F.zeros([2 ** 40]); } catch { failures++; } // 4 TiB: the resize of the cached block fails
    };
    for (let i = 0; i < 5; i++) round();
    const before = rssMiB();
    const resizes = allocatorStats().resizes;
    for (let i = 0; i < 50; i++) round();
    console.log(JSON.stringify({ grownMiB: rssMiB() - before, resizes: allocatorStats().resizes - resizes, failures }));
  `);
  assert.equal(result.failures, 55, JSON.stringify(result));
  assert.ok(
    result.resizes! >= 50,
    `the huge requests went through the resize path: ${JSON.stringify(result)}`,
  );
  // Before the fix each round lost its 4 MiB block: 200 MiB.
  assert.ok(result.grownMiB! < 40, `resident memory grew ${result.grownMiB} MiB`);
});

test('after setTensorCache(false), freed cache blocks are unmapped, not cached', () => {
  const result = inChild(`
    const { ops: F, allocatorStats, setTensorCache } = engine;
    const tensors = Array.from({ length: 10 }, () => F.ones([1 << 20])); // 10 x 4 MiB from the cache
    const live = allocatorStats().liveBytes;
    setTensorCache(false);
    for (const t of tensors) t.dispose();
    const s = allocatorStats();
    console.log(JSON.stringify({ live, liveAfter: s.liveBytes, cached: s.cachedBytes }));
  `);
  assert.ok(result.live! >= 40 * 2 ** 20, JSON.stringify(result));
  assert.ok(result.live! - result.liveAfter! >= 40 * 2 ** 20, JSON.stringify(result));
  assert.equal(result.cached, 0, JSON.stringify(result));
});
