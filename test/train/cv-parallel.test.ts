/**
 * `efficientecg cv --parallel N` (src/cli/cv.ts over src/train/launch.ts): the folds are dealt to N processes, each
 * an ordinary `cv --only` run supervised by the launcher `train --nproc-per-node` uses; the launcher prints the
 * summary once, and its figures are those of the same CV run in one process. A tiny CV: the custom fixture, 2 folds,
 * 1 epoch.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerProcessError } from '../../src/errors.js';
import { foldDir, foldGroups, type CvSummary } from '../../src/train/cv.js';
import { superviseProcesses } from '../../src/train/launch.js';
import { RUN_FILES } from '../../src/train/loop.js';
import { TINY_MODEL } from './helpers.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const data = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eecg-cv-parallel-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cv(out: string, ...extra: string[]) {
  const config = join(dir, 'tiny.json');
  // No preprocessed cache: processes building one cache at once can pair one build's index with another's data.
  writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL, cacheDir: null }));
  return spawnSync(
    process.execPath,
    [
      ...['--import', 'tsx', cli, 'cv', '--folds', '2'],
      ...['--config', config, '--dataset', 'custom', '--data', data, '--out', out],
      ...['--model', 'efficientecg-w0.25', '--epochs', '1', '--window', '5', '--batch-size', '2'],
      ...['--workers', '0', '--threads', '1', '--no-augment'],
      ...extra,
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
}

const summaryOf = (out: string) => JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8')) as CvSummary;

test('cv --parallel 2: one process per fold, one summary, the figures of the same CV in one process', () => {
  const parallel = join(dir, 'parallel');
  const run = cv(parallel, '--parallel', '2');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /cv: 2 fold processes: folds 1; folds 2/);
  // Each fold process says which fold it ran, on lines prefixed with its folds; the summary is printed once, by
  // the launcher.
  assert.match(run.stderr, /^\[folds 1\] cv: fold 1\/2 started/m);
  assert.match(run.stderr, /^\[folds 2\] cv: fold 2\/2 started/m);
  assert.match(run.stderr, /^\[folds 2\] \{"type":"epoch"/m);
  assert.equal(run.stdout.match(/2-fold cross-validation/g)?.length, 1, run.stdout);
  // A fold process done before the other does not send the user to run the others: its launcher does.
  assert.doesNotMatch(run.stderr, /run them, or the same command again/);
  for (const fold of [1, 2]) assert.ok(existsSync(join(foldDir(parallel, fold), RUN_FILES.heldout)));

  const single = join(dir, 'single');
  const straight = cv(single);
  assert.equal(straight.status, 0, straight.stderr);
  const [a, b] = [summaryOf(parallel), summaryOf(single)];
  assert.deepEqual(
    a.perFold.map((fold) => fold.value),
    b.perFold.map((fold) => fold.value),
  );
  assert.equal(a.pooled.value, b.pooled.value);
  assert.equal(a.pooled.items, 12);
});

test('folds are dealt to the processes in turn: disjoint, sizes within one, no idle process', () => {
  assert.deepEqual(foldGroups([1, 2, 3, 4, 5], 2), [
    [1, 3, 5],
    [2, 4],
  ]);
  assert.deepEqual(foldGroups([2, 4], 3), [[2], [4]]);
});

test('a failing fold process stops the others and the error names it', async () => {
  const started = Date.now();
  await assert.rejects(
    superviseProcesses(
      process.execPath,
      [
        {
          label: 'p1',
          args: ['-e', 'setTimeout(() => {}, 120000)'],
          env: {},
          failed: (how) => new Error(how),
        },
        {
          label: 'p2',
          args: ['-e', 'process.exit(2)'],
          env: {},
          failed: (how) => new WorkerProcessError('cv: fold process 2 (folds 2)', how),
        },
      ],
      () => undefined,
      { stdout: 'ignore' },
    ),
    (error: unknown) =>
      error instanceof WorkerProcessError &&
      error.message === 'cv: fold process 2 (folds 2): exited with code 2',
  );
  assert.ok(Date.now() - started < 60_000, 'p1 (2 minutes) was stopped');
});
