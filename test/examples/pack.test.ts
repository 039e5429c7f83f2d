/**
 * The package as users get it: `npm pack`, then `npm ci --offline` of the tarball into a temporary project (its lock
 * file holds the tarball and this repository's locked production dependencies, so npm's cache serves everything and
 * nothing is resolved anew; install scripts are skipped: the optional libtorch addon is not needed for inference).
 * There the Node example and the maintainers' one-liner run through the public entry points only, and a TypeScript
 * file importing every entry point typechecks under a default `tsc --init` project.
 * Needs dist/ (npm run build; scripts/setup.sh builds it). Slow (installs onnxruntime): minutes on a busy machine.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(join(ROOT, 'dist/infer/index.js')) ? false : 'no dist/ (npm run build)';
let dir: string;
let project: string;

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The consumer's lock file: the tarball as its one dependency, the repository's production packages under it. */
function consumerLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const own = lock.packages['']!;
  const production = Object.fromEntries(
    Object.entries(lock.packages).filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev),
  );
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    name: 'consumer',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', dependencies: { efficientecg: `file:${tarball}` } },
      'node_modules/efficientecg': {
        version: pkg.version,
        resolved: `file:${tarball}`,
        license: own.license,
        dependencies: own.dependencies,
        hasInstallScript: true,
        engines: own.engines,
        bin: own.bin,
      },
      ...production,
    },
  };
}

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'efficientecg-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
  ) as Array<{ filename: string }>;
  const tarball = join(dir, packed[0]!.filename);
  project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { efficientecg: `file:${tarball}` } }),
  );
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(consumerLock(tarball), null, 2));
  copyFileSync(join(ROOT, '.npmrc'), join(project, '.npmrc'));
  const install = spawnSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: project,
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, install.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function node(args: string[]): string {
  const run = spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

test('the installed package runs the Node example: five class probabilities for a PTB-XL record', { skip }, () => {
  copyFileSync(join(ROOT, 'examples/library/predict.mjs'), join(project, 'predict.mjs'));
  const record = join(project, 'node_modules/efficientecg/examples/ptbxl/00008_lr.hea');
  const out = node(['predict.mjs', record]);
  const last = JSON.parse(out.trim().split('\n').pop()!) as { probabilities: Record<string, number> };
  assert.deepEqual(Object.keys(last.probabilities), ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  assert.match(out, /NORM .* normal ECG/);
});

test("the maintainers' one-liner: loadModel('ptbxl-w0.25').predict(await readRecord(path))", { skip }, () => {
  writeFileSync(
    join(project, 'one.mjs'),
    [
      "import { loadModel } from 'efficientecg/infer';",
      "import { readRecord } from 'efficientecg/io';",
      'const path = process.argv[2];',
      "const result = await (await loadModel('ptbxl-w0.25')).predict(await readRecord(path));",
      'console.log(JSON.stringify(result.classes.map((c) => c.probability)));',
    ].join('\n'),
  );
  const record = join(project, 'node_modules/efficientecg/examples/ptbxl/00010_lr.hea');
  const probabilities = JSON.parse(node(['one.mjs', record])) as number[];
  assert.equal(probabilities.length, 5);
  for (const p of probabilities) assert.ok(p >= 0 && p <= 1);
});

test('every entry point typechecks in a default `tsc --init` project', { skip }, () => {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['--init'], { cwd: project });
  writeFileSync(
    join(project, 'main.ts'),
    [
      "import { loadModel, type EcgResult } from 'efficientecg/infer';",
      "import { readRecord, encodeWfdbRecord, writeRecord } from 'efficientecg/io';",
      "import { detectQrs, delineateBeats, rhythmFeatures } from 'efficientecg/signal';",
      "import { EfficientECG } from 'efficientecg/models';",
      "import * as root from 'efficientecg';",
      "const model = await loadModel('ptbxl-w0.25');",
      "const record = await readRecord('r.hea', { from: 0, to: 1000, channels: ['II'] });",
      'const result: EcgResult = await model.predict(record);',
      'const peaks = detectQrs(record.signals, record.fs).rPeaks;',
      'export const used = [result.labels, peaks, delineateBeats, rhythmFeatures, encodeWfdbRecord, writeRecord, EfficientECG, root.loadModel];',
    ].join('\n'),
  );
  const check = spawnSync(tsc, ['--noEmit', '-p', '.'], { cwd: project, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});
