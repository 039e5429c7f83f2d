// Builds the example page into OUT (default examples/library/web/dist): esbuild bundles main.js for the browser
// (efficientecg resolves to its browser build; onnxruntime-web to its wasm-only build), then the page,
// onnxruntime-web's .wasm and .mjs (into ort/, the page's wasmPaths), the bundled model and an example record are copied beside it. Serve OUT with any static server;
// for several wasm threads send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp (docs/browser.md).   node examples/library/web/build.mjs [OUT]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, 'dist'));
const require = createRequire(join(here, 'main.js'));
const pkg = dirname(require.resolve('efficientecg/package.json'));
const ortDist = dirname(require.resolve('onnxruntime-web')); // its dist/ folder

mkdirSync(join(out, 'models'), { recursive: true });
mkdirSync(join(out, 'records'), { recursive: true });
await build({
  entryPoints: [join(here, 'main.js')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
  // onnxruntime-web's wasm-only build: no WebGPU code (not used here), its glue fetched from wasmPaths.
  alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
  conditions: ['onnxruntime-web-use-extern-wasm'],
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
// The plain wasm build and its JavaScript glue (the build the package's browser entry runs).
mkdirSync(join(out, 'ort'), { recursive: true });
for (const file of readdirSync(ortDist).filter((f) => /^ort-wasm-simd-threaded\.(wasm|mjs)$/.test(f)))
  copyFileSync(join(ortDist, file), join(out, 'ort', file));
copyFileSync(join(pkg, 'models', 'ptbxl-w0.25.onnx'), join(out, 'models', 'ptbxl-w0.25.onnx'));
for (const file of ['00008_lr.hea', '00008_lr.dat'])
  copyFileSync(join(pkg, 'examples', 'ptbxl', file), join(out, 'records', file));
console.log(`built ${out}`);
