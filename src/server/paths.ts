/** Where the server finds the page bundle, the onnxruntime-web wasm files and the examples (package-relative). */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from src/server (tsx) or dist/server (built) alike. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

/** node_modules/onnxruntime-web/dist, wherever npm put it. */
export function ortWebDist(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

/** The onnxruntime-web files the page loads (single-threaded SIMD wasm build); nothing else there is served. */
export const ORT_WEB_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;
