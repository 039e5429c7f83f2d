/**
 * The npm package's `files` rule (package.json) and the model catalogue agree: `npm pack --dry-run` (lists the files,
 * writes no tarball) carries every file of every catalogue entry the package is said to carry, and none of an entry
 * marked `"packaged": false` (in the repository only: models/README.md).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isPackaged, readCatalog } from '../../src/models/bundled.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('npm pack carries the files of every packaged model and none of a model marked "packaged": false', () => {
  // stderr (npm's warning about the project's .npmrc) is not the JSON.
  const stdout = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  const packed = new Set(pack!.files.map((file) => file.path));
  const catalog = readCatalog(join(ROOT, 'models'));
  assert.ok(packed.has('models/catalog.json'));
  assert.ok(packed.has('models/README.md'));
  const left: string[] = [];
  for (const model of catalog.models) {
    for (const file of Object.values(model.files)) {
      const path = `models/${file}`;
      if (isPackaged(model)) assert.ok(packed.has(path), `${model.name}: ${path} is not in the package`);
      else {
        assert.ok(!packed.has(path), `${model.name} ("packaged": false): ${path} is in the package`);
        left.push(path);
      }
    }
  }
  assert.ok(left.length > 0, 'no model is left out of the package');
  // Nothing else in models/ is left out: the package's models/ is the folder's files less those.
  const folder = readdirSync(join(ROOT, 'models'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => !left.includes(path));
  assert.deepEqual([...packed].filter((path) => path.startsWith('models/')).sort(), folder.sort());
});
