/**
 * The layering ARCHITECTURE.md states: a layer (a folder of src/) imports only the layers listed above it in that
 * file's table, or errors.ts, util/ and version.ts. The order is read from the table itself, so the document and the
 * code cannot drift apart silently.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const SRC = resolve('src');
const SHARED = /^(errors\.[jt]s|version\.[jt]s|util\/)/;

function layersFromArchitecture(): string[] {
  const text = readFileSync('ARCHITECTURE.md', 'utf8');
  return [...text.matchAll(/^\| `src\/([a-z]+)\/`/gm)].map((match) => match[1]!);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of a file: static imports and re-exports, and dynamic import() of a literal. */
function relativeImports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const found = [
    ...text.matchAll(/\bfrom\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
    ...text.matchAll(/^import\s+'(\.[^']+)'/gm),
  ];
  return found.map((match) => match[1]!);
}

test('every layer imports only the layers above it in ARCHITECTURE.md (and errors, util, version)', () => {
  const layers = layersFromArchitecture();
  assert.ok(layers.length >= 10 && layers.includes('engine') && layers.includes('cli'), 'the table was read');
  const folders = readdirSync(SRC).filter(
    (name) => statSync(join(SRC, name)).isDirectory() && name !== 'util',
  );
  assert.deepEqual(
    folders.filter((name) => !layers.includes(name)),
    [],
    'every folder of src/ is a layer of the table',
  );
  const violations: string[] = [];
  for (const [rank, layer] of layers.entries()) {
    for (const file of sourceFiles(join(SRC, layer))) {
      for (const specifier of relativeImports(file)) {
        const target = relative(SRC, resolve(dirname(file), specifier))
          .split(sep)
          .join('/');
        if (SHARED.test(target)) continue;
        const targetLayer = target.split('/')[0]!;
        const targetRank = layers.indexOf(targetLayer);
        if (target.includes('/') && targetRank >= 0 && targetRank <= rank) continue;
        violations.push(`${relative(SRC, file)} imports ${target}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
