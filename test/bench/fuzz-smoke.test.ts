/**
 * The fuzz harness (bench/fuzz.ts) in CI: a fixed seed and a few hundred cases (about 10 s on 2 busy cores, most of
 * it the child's start-up), run as `npm run bench:fuzz` runs it, in its own process with its watchdog child. The
 * test asserts that every case ran and none crashed. It never asserts a time or a memory figure: on a loaded CI
 * machine a case may pass the harness's 2 s or 512 MB marks (its exit code is then 1), which is the bench's
 * business, not this test's; a crash is a parser bug whatever the load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FUZZ = fileURLToPath(new URL('../../bench/fuzz.ts', import.meta.url));
const SEED = 1;
const CASES = 200;

test(`fuzz harness: ${CASES} cases of seed ${SEED}, no crash`, () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', FUZZ, '--cases', String(CASES), '--seed', String(SEED), '--batch', String(CASES)],
    // Only so that a stuck harness cannot hold CI for ever (its own watchdog kills a silent child after 15 s).
    { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.error, undefined, `the harness did not finish: ${String(run.error)}\n${output}`);
  // 0: clean; 1: a case over the harness's time or memory marks (load-dependent, not asserted here).
  assert.ok(run.status === 0 || run.status === 1, `exit code ${run.status}, signal ${run.signal}\n${output}`);
  assert.match(run.stdout, new RegExp(`^fuzz: ${CASES} cases, seed ${SEED},`, 'm'), output);
  const crashes = /^crashes: (\d+)$/m.exec(run.stdout);
  assert.ok(crashes, `no 'crashes: N' line\n${output}`);
  assert.equal(Number(crashes[1]), 0, `the fuzz cases crashed a reader:\n${run.stdout}`);
});
