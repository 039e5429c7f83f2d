/**
 * scripts/archive-cv.sh run with bash on temporary folders (a copy of the script in TMP/scripts archives into
 * TMP/results/cv): an archive is never absent while it is replaced, an archive with finished folds the source lacks
 * is kept unless --force, and a swap killed between its moves is recovered.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../helpers/temp-dir.js';

const script = new URL('../../scripts/archive-cv.sh', import.meta.url).pathname;

/** A temporary repository holding the script, and a CV folder `runs/arm` with fold-k/heldout.json for `folds`. */
function setUp(root: string, folds: number[], tag = 'run 1'): string {
  mkdirSync(join(root, 'scripts'), { recursive: true });
  copyFileSync(script, join(root, 'scripts', 'archive-cv.sh'));
  const src = join(root, 'runs', 'arm');
  rmSync(src, { recursive: true, force: true });
  for (const k of folds) {
    mkdirSync(join(src, `fold-${k}`), { recursive: true });
    writeFileSync(join(src, `fold-${k}`, 'heldout.json'), JSON.stringify({ fold: k, tag }));
    writeFileSync(join(src, `fold-${k}`, 'last.safetensors'), 'weights are not archived');
  }
  return src;
}

const archive = (root: string, ...args: string[]) =>
  spawnSync('bash', [join(root, 'scripts', 'archive-cv.sh'), ...args], { encoding: 'utf8' });

const archived = (root: string) => join(root, 'results', 'cv', 'arm');
const foldsIn = (dir: string) => readdirSync(dir).sort();
const tagOf = (root: string, fold: number) =>
  (JSON.parse(readFileSync(join(archived(root), `fold-${fold}`, 'heldout.json'), 'utf8')) as { tag: string })
    .tag;

const withRoot = (fn: (dir: string) => void) => withTempDir('ecg-archive-cv-', fn);

test('archive-cv replaces an archive without a moment with none on disk', () => {
  withRoot((root) => {
    const src = setUp(root, [1, 2, 3]);
    assert.equal(archive(root, src).status, 0);
    setUp(root, [1, 2, 3], 'run 2');
    // An `mv` that logs whether the archive (or its copy set aside) exists whenever the script moves a folder.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const realMv = spawnSync('sh', ['-c', 'command -v mv'], { encoding: 'utf8' }).stdout.trim();
    const dest = archived(root);
    writeFileSync(
      join(bin, 'mv'),
      `#!/bin/sh\nif [ -d '${dest}' ] || [ -d '${dest}.old' ]; then echo yes; else echo no; fi >> '${root}/log'\nexec '${realMv}' "$@"\n`,
    );
    chmodSync(join(bin, 'mv'), 0o755);
    const result = spawnSync('bash', [join(root, 'scripts', 'archive-cv.sh'), src], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(result.status, 0, result.stderr);
    const log = readFileSync(join(root, 'log'), 'utf8').trim().split('\n');
    assert.ok(log.length > 0 && log.every((line) => line === 'yes'), log.join(','));
    assert.equal(tagOf(root, 3), 'run 2');
    assert.deepEqual(foldsIn(join(root, 'results', 'cv')), ['arm']); // nothing left aside
    assert.deepEqual(foldsIn(join(dest, 'fold-1')), ['heldout.json']);
  });
});

test('archive-cv keeps an archive with finished folds the source lacks, unless --force', () => {
  withRoot((root) => {
    const src = setUp(root, [1, 2, 3]);
    assert.equal(archive(root, src).status, 0);
    setUp(root, [1, 2], 'partial re-run');
    const refused = archive(root, src);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /results\/cv\/arm has finished fold\(s\) fold-3 that .* lacks; not replaced/,
    );
    assert.deepEqual(foldsIn(archived(root)), ['fold-1', 'fold-2', 'fold-3']);
    assert.equal(tagOf(root, 1), 'run 1');
    const forced = archive(root, '--force', src);
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(foldsIn(archived(root)), ['fold-1', 'fold-2']);
    assert.equal(tagOf(root, 1), 'partial re-run');
  });
});

test('archive-cv puts back an archive a killed swap left aside before comparing', () => {
  withRoot((root) => {
    const src = setUp(root, [1, 2, 3]);
    assert.equal(archive(root, src).status, 0);
    renameSync(archived(root), `${archived(root)}.old`); // killed after moving the old archive aside
    setUp(root, [1], 'partial re-run');
    const refused = archive(root, src, 'arm');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /fold-2 fold-3 that/);
    assert.deepEqual(foldsIn(archived(root)), ['fold-1', 'fold-2', 'fold-3']);
    assert.equal(existsSync(`${archived(root)}.old`), false);
  });
});
