import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { staleBuildWarning } from '../../src/cli/stale-build.js';

/** A package root with dist/cli/index.js built at `built` and (unless null) src/x/y.ts edited at `edited` (s). */
function checkout(built: number, edited: number | null): { root: string; cli: string } {
  const root = mkdtempSync(join(tmpdir(), 'eecg-stale-'));
  const cli = join(root, 'dist', 'cli', 'index.js');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(cli, '');
  utimesSync(cli, built, built);
  if (edited !== null) {
    mkdirSync(join(root, 'src', 'x'), { recursive: true });
    writeFileSync(join(root, 'src', 'x', 'y.ts'), '');
    utimesSync(join(root, 'src', 'x', 'y.ts'), edited, edited);
  }
  return { root, cli };
}

test('a build older than a source file is reported, a current one and an installed package are not', () => {
  const cases = [
    { built: 1000, edited: 2000, stale: true }, // git pull without npm run build
    { built: 2000, edited: 1000, stale: false }, // built after the last edit
    { built: 1000, edited: null, stale: false }, // installed package: no src/
  ];
  for (const { built, edited, stale } of cases) {
    const { root, cli } = checkout(built, edited);
    try {
      const warning = staleBuildWarning(cli);
      assert.equal(warning !== null, stale, `built ${built}, edited ${edited}: ${warning}`);
      if (stale) assert.match(warning!, /npm run build/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});
