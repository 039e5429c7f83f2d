#!/usr/bin/env node
// Builds the libtorch addon (native/) with node-gyp. With --optional (the npm install hook) a missing libtorch is
// a notice, not a failure: inference runs on onnxruntime without it; `efficientecg info` explains how to add it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libtorchMissingReason } from './libtorch-paths.mjs';

const optional = process.argv.includes('--optional');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');

const missing = libtorchMissingReason();
if (missing) {
  const message = `efficientecg: training engine not built: ${missing}. Install it with: sudo apt-get install libtorch-dev, then run: npm run build:native`;
  console.error(message);
  process.exit(optional ? 0 : 1);
}
if (!existsSync(join(root, 'node_modules', 'node-addon-api'))) {
  console.error('efficientecg: node-addon-api missing; run npm ci first');
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
const gyp = spawnSync('npx', ['--no-install', 'node-gyp', 'rebuild', '-j', '2'], {
  cwd: native,
  stdio: 'inherit',
});
if (gyp.status !== 0) {
  console.error('efficientecg: native build failed (see the compiler output above)');
  process.exit(optional ? 0 : 1);
}
