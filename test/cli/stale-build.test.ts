import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { staleBuildWarning } from '../../src/cli/stale-build.js';

/**
 * A package root with dist/cli/index.js built at `built` and (unless null) src/x/y.ts edited at `edited` (s): a source
 * checkout (with tsconfig.build.json), or when `installed` a copy under `node_modules/efficientecg` of a temporary
 * project as npm unpacks it (no tsconfig.build.json).
 */
function checkout(built: number, edited: number | null, installed = false): { root: string; cli: string } {
  const base = mkdtempSync(join(tmpdir(), 'eecg-stale-'));
  const root = installed ? join(base, 'node_modules', 'efficientecg') : base;
  const cli = join(root, 'dist', 'cli', 'index.js');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  if (!installed) writeFileSync(join(root, 'tsconfig.build.json'), '{}');
  writeFileSync(cli, '');
  utimesSync(cli, built, built);
  if (edited !== null) {
    mkdirSync(join(root, 'src', 'x'), { recursive: true });
    writeFileSync(join(root, 'src', 'x', 'y.ts'), '');
    utimesSync(join(root, 'src', 'x', 'y.ts'), edited, edited);
  }
  return { root: base, cli };
}

test('a build older than a source file is reported, a current one and an installed package are not', () => {
  const cases = [
    { built: 1000, edited: 2000, stale: true }, // git pull without npm run build
    { built: 2000, edited: 1000, stale: false }, // built after the last edit
    { built: 1000, edited: null, stale: false }, // no src/
    // An installed package carries src/, unpacked after dist/ (so newer), and cannot be rebuilt by its user.
    { built: 1000, edited: 2000, stale: false, installed: true },
  ];
  for (const { built, edited, stale, installed } of cases) {
    const { root, cli } = checkout(built, edited, installed);
    try {
      const warning = staleBuildWarning(cli);
      assert.equal(warning !== null, stale, `built ${built}, edited ${edited}: ${warning}`);
      if (stale) assert.match(warning!, /npm run build/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test('a checkout under some node_modules folder, or reached through a link, still warns', () => {
  const base = mkdtempSync(join(tmpdir(), 'eecg-stale-'));
  try {
    // A clone made inside a project's node_modules to debug it: still a checkout.
    const root = join(base, 'node_modules', 'efficientecg');
    const cli = join(root, 'dist', 'cli', 'index.js');
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'tsconfig.build.json'), '{}');
    writeFileSync(cli, '');
    utimesSync(cli, 1000, 1000);
    writeFileSync(join(root, 'src', 'a.ts'), '');
    utimesSync(join(root, 'src', 'a.ts'), 2000, 2000);
    assert.match(String(staleBuildWarning(cli)), /npm run build/);
    // npm link: the project's node_modules/efficientecg is a symlink to the checkout.
    const linked = join(base, 'project', 'node_modules', 'efficientecg');
    mkdirSync(join(linked, '..'), { recursive: true });
    symlinkSync(root, linked);
    assert.match(String(staleBuildWarning(join(linked, 'dist', 'cli', 'index.js'))), /npm run build/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
