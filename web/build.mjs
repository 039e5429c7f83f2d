// Builds the page into web/dist: esbuild bundles web/src/main.ts (with src/io, src/infer, src/signal) as one ES
// module; the static files are copied. onnxruntime-web is its wasm-only build, which fetches its .mjs/.wasm from
// /ort/ (served by `efficientecg serve` from node_modules, never a CDN).
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

/** Every import of onnxruntime-web (ours and src/infer's) -> the wasm-only build that loads wasm from wasmPaths. */
const ortWasmOnly = {
  name: 'ort-wasm-only',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web$/ }, () => ({ path: join(ortDist, 'ort.wasm.min.mjs') }));
  },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, 'public'), dist, { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // Node-only branches (the native runtime, file paths) are never taken in the page.
  external: ['onnxruntime-node', 'node:*'],
  plugins: [ortWasmOnly],
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`web/dist: app.js and static files (${(bytes / 1024).toFixed(0)} kB of bundle output)`);
