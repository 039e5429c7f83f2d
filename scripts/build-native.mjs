#!/usr/bin/env node
// Builds the libtorch addon (native/) with node-gyp. With --optional (the npm install hook) a missing libtorch is
// a notice, not a failure: inference runs on onnxruntime without it; `efficientecg info` explains how to add it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libtorchMissingReason } from './libtorch-paths.mjs';

const optional = process.argv.includes('--optional');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --build-dir DIR: build a copy in DIR (DIR/native/build/Release/efficientecg_engine.node) and leave native/build
// alone, for engine work while running jobs have the usual addon loaded (then EFFICIENTECG_ADDON=that path).
const buildDirFlag = process.argv.indexOf('--build-dir');
const buildDir = buildDirFlag > 0 ? resolve(process.argv[buildDirFlag + 1] ?? '') : null;
const native = buildDir ? copySources(buildDir) : join(root, 'native');

function copySources(dir) {
  mkdirSync(join(dir, 'native'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  for (const f of readdirSync(join(root, 'native')).filter((f) => /\.(cc|h|gyp)$/.test(f)))
    copyFileSync(join(root, 'native', f), join(dir, 'native', f));
  copyFileSync(join(root, 'scripts', 'libtorch-paths.mjs'), join(dir, 'scripts', 'libtorch-paths.mjs'));
  if (!existsSync(join(dir, 'node_modules')))
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'native');
}

// Resolved as Node resolves them from the package: in a clone they sit in its node_modules, in a project that
// installed efficientecg npm hoists them beside it.
const requireHere = createRequire(join(root, 'package.json'));
const resolvable = (name) => {
  try {
    return requireHere.resolve(name);
  } catch {
    return null;
  }
};
const rebuildHint =
  'npm run build:native (in a clone) or npm rebuild efficientecg (in a project that installed it)';

const missing = libtorchMissingReason();
if (missing) {
  const message = `efficientecg: training engine not built: ${missing}. Install it with: sudo apt-get install libtorch-dev, then run: ${rebuildHint}`;
  console.error(message);
  process.exit(optional ? 0 : 1);
}
if (resolvable('node-addon-api') === null) {
  console.error('efficientecg: node-addon-api missing; run npm ci (in a clone) or npm install first');
  process.exit(optional ? 0 : 1);
}
// Skip when the built addon is newer than every native source (a second set-up run costs nothing).
const built = join(native, 'build', 'Release', 'efficientecg_engine.node');
const sources = readdirSync(native)
  .filter((f) => /\.(cc|h|gyp)$/.test(f))
  .map((f) => join(native, f));
if (!process.argv.includes('--force') && existsSync(built)) {
  const builtAt = statSync(built).mtimeMs;
  if (sources.every((f) => statSync(f).mtimeMs <= builtAt)) {
    console.log('efficientecg: native engine is up to date');
    process.exit(0);
  }
}
// node-gyp: in a clone the project's own (a devDependency) through npx, which passes npm's settings (nodedir...);
// in a project that installed efficientecg, the one npm runs install scripts with (npm_config_node_gyp, its
// settings in the environment), else whatever `node-gyp` is on PATH.
const gypArgs = ['rebuild', '-j', '2'];
const npmGyp = process.env.npm_config_node_gyp;
const gyp =
  resolvable('node-gyp/package.json') !== null
    ? spawnSync('npx', ['--no-install', 'node-gyp', ...gypArgs], { cwd: native, stdio: 'inherit' })
    : npmGyp
      ? spawnSync(process.execPath, [npmGyp, ...gypArgs], { cwd: native, stdio: 'inherit' })
      : spawnSync('node-gyp', gypArgs, { cwd: native, stdio: 'inherit' });
if (gyp.status !== 0) {
  console.error('efficientecg: native build failed (see the compiler output above)');
  process.exit(optional ? 0 : 1);
}
if (buildDir) console.log(`efficientecg: built ${built} (load it with EFFICIENTECG_ADDON=${built})`);
