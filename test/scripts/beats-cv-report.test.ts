/**
 * scripts/beats-cv-report.ts on small synthetic beat CVs: folds done apart (gaps) are all reported, each file must be
 * its folder's fold of the same fold count, and a requested fold that is not done is an error naming it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../helpers/temp-dir.js';

const script = new URL('../../scripts/beats-cv-report.ts', import.meta.url).pathname;

/** fold-k/heldout.json of a `folds`-fold beat CV for each k of `done`; `header` overrides what a file says. */
function beatCv(dir: string, done: number[], folds = 5, header: Record<number, object> = {}): void {
  for (const k of done) {
    const ids = [`10${k}:1`, `10${k}:2`, `10${k}:3`];
    const outputs = {
      task: 'beats',
      classes: ['N', 'S', 'V', 'F', 'Q'],
      labelKind: 'single-label',
      ids,
      groups: ids.map(() => `10${k}`),
      labels: [[0], [1], [2]],
      logits: [
        [1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
      ],
    };
    mkdirSync(join(dir, `fold-${k}`), { recursive: true });
    const file = { fold: k, folds, metrics: {}, outputs, ...header[k] };
    writeFileSync(join(dir, `fold-${k}`, 'heldout.json'), JSON.stringify(file));
  }
}

const report = (fn: (dir: string) => void) => withTempDir('ecg-beats-cv-', fn);

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });

test('beats-cv-report: folds past a gap are reported, and a requested fold that is not done is an error', () => {
  report((dir) => {
    beatCv(dir, [1, 2, 4, 5]); // fold 3 runs on another machine
    mkdirSync(join(dir, 'fold-3')); // started, not finished
    const all = run(dir);
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /: 4 of 5 folds done \(1, 2, 4, 5\)\n/);
    assert.match(all.stdout, /pooled \(annotated R peaks\)\s+12 /); // 3 beats of each of the 4 folds
    const some = run(dir, '--folds', '2,4');
    assert.equal(some.status, 0, some.stderr);
    assert.match(some.stdout, /: 4 of 5 folds done \(1, 2, 4, 5\); reported: 2, 4\n/);
    const missing = run(dir, '--folds', '1,3');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /--folds: fold\(s\) 3 not done in .* \(done: 1, 2, 4, 5\)/);
  });
});

test('beats-cv-report: a file that is not its folder’s fold, or of another fold count, is refused', () => {
  report((dir) => {
    beatCv(join(dir, 'moved'), [1, 2, 3], 3, { 3: { fold: 2 } }); // fold-2's file copied into fold-3
    const moved = run(join(dir, 'moved'));
    assert.notEqual(moved.status, 0);
    assert.match(moved.stderr, /fold-3.*holds fold 2 of 3, expected 3 of 3/);
    beatCv(join(dir, 'mixed'), [1, 2, 3], 3, { 2: { folds: 5 } }); // fold 2 of another 5-fold CV
    const mixed = run(join(dir, 'mixed'));
    assert.notEqual(mixed.status, 0);
    assert.match(mixed.stderr, /fold-2.*holds fold 2 of 5, expected 2 of 3/);
  });
});
