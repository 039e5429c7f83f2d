/**
 * `efficientecg/infer` in a page (the package's `browser` export condition): the same API as the Node build, run by
 * onnxruntime-web (wasm with SIMD; several threads when the page is cross-origin isolated, else one). Nothing here
 * reaches Node built-ins or the native runtime, so bundlers (esbuild, Vite) take it as it is.
 *
 *   import { loadModel } from 'efficientecg/infer';
 *   const model = await loadModel('ptbxl-w0.25', { modelsUrl: '/models/' }); // or a URL, or the .onnx bytes
 *
 * onnxruntime-web fetches its .wasm file beside its own module; a bundle that moves it passes `wasmPaths`.
 */
import { ConfigError } from '../errors.js';
import { EcgModel, type LoadModelOptions } from './model.js';
import type { ModelSource } from './predictor.js';

export * from './public.js';

export interface BrowserLoadOptions extends Omit<LoadModelOptions, 'backend'> {
  /** Base URL of a models folder (e.g. `efficientecg serve`'s `/models/`): a bare name loads `<modelsUrl><name>.onnx`. */
  modelsUrl?: string | URL;
}

/**
 * Loads a model from a URL (absolute, or relative to the page), from its bytes, or by name from `modelsUrl`.
 * Threads: `threads`, else 1 or (cross-origin isolated page) up to 4; onnxruntime-web reads it once per page.
 */
export async function loadModel(source: ModelSource, options: BrowserLoadOptions = {}): Promise<EcgModel> {
  const { modelsUrl, ...rest } = options;
  const load = { ...rest, backend: 'web' as const };
  if (source instanceof Uint8Array) return EcgModel.load(source, load);
  const text = String(source);
  const bare = !/[/\\]/.test(text) && !/\.onnx$/i.test(text) && !/^[a-z]+:/i.test(text);
  if (bare && modelsUrl === undefined)
    throw new ConfigError(
      `model ${JSON.stringify(text)}: a bare name needs options.modelsUrl (or pass a URL)`,
    );
  const base = typeof location === 'undefined' ? undefined : location.href;
  const url = bare ? new URL(`${text}.onnx`, new URL(String(modelsUrl), base)) : new URL(text, base);
  return EcgModel.load(url, { ...load, name: rest.name ?? (bare ? text : undefined) });
}
