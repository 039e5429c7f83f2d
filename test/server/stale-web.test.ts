/** `serve` warns when the page bundle (web/dist/app.js) is older than web/src or src/, the sources it bundles. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleWebWarning } from '../../src/cli/stale-build.js';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A source checkout whose files were last modified at the given times (seconds since the epoch). */
function packageRoot(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), 'ecg-stale-web-'));
  roots.push(root);
  writeFileSync(join(root, 'tsconfig.build.json'), '{}');
  for (const [file, seconds] of Object.entries(files)) {
    const path = join(root, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    utimesSync(path, seconds, seconds);
  }
  return root;
}

const BUNDLE = 'web/dist/app.js';

test('a bundle newer than every source is current', () => {
  const root = packageRoot({ [BUNDLE]: 2000, 'web/src/main.ts': 1000, 'src/infer/diagnose.ts': 1000 });
  assert.equal(staleWebWarning(root), null);
});

test('a page source or a library source newer than the bundle: one line naming the rebuild command', () => {
  for (const newer of ['web/src/main.ts', 'src/infer/diagnose.ts']) {
    const root = packageRoot({
      [BUNDLE]: 2000,
      'web/src/main.ts': 1000,
      'src/infer/diagnose.ts': 1000,
      [newer]: 3000,
    });
    const warning = staleWebWarning(root);
    assert.match(String(warning), /web\/dist\) is older than its sources; run `npm run build:web`\n$/, newer);
    assert.equal(warning!.split('\n').length, 2, 'one line');
  }
});

test('no sources (an installed package) or no bundle: nothing to compare', () => {
  assert.equal(staleWebWarning(packageRoot({ [BUNDLE]: 2000 })), null);
  assert.equal(staleWebWarning(packageRoot({ 'web/src/main.ts': 1000, 'src/a.ts': 1000 })), null);
});

test('an installed package (no tsconfig.build.json) never warns, though npm unpacks src/ after the bundle', () => {
  const project = packageRoot({});
  const root = join(project, 'node_modules', 'efficientecg');
  for (const [file, seconds] of Object.entries({
    [BUNDLE]: 1000,
    'web/src/main.ts': 2000,
    'src/a.ts': 2000,
  })) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '');
    utimesSync(join(root, file), seconds, seconds);
  }
  assert.equal(staleWebWarning(root), null);
});
