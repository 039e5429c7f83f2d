/**
 * `efficientecg/infer` for Node: load a model (a bundled one by name, an .onnx path, a URL or bytes) and diagnose
 * records with it. Pages get the same API from browser.ts through the package's `browser` export condition.
 *
 *   import { loadModel } from 'efficientecg/infer';
 *   import { readRecord } from 'efficientecg/io';
 *   const model = await loadModel('ptbxl-w0.25');
 *   const result = await model.predict(await readRecord('00001_lr.hea'));
 *   console.log(result.labels, result.classes); // thresholded labels; every class with its probability
 */
import { availableModels, readCatalog, resolveModel, type BundledModel } from '../models/bundled.js';
import { EcgModel, type LoadModelOptions } from './model.js';
import type { ModelSource } from './predictor.js';

export * from './public.js';

export interface NodeLoadOptions extends LoadModelOptions {
  /** Folder of another model catalogue (default: the package's models/). */
  modelsDir?: string;
}

/**
 * Loads a model: the name of a bundled model (`listModels()`), a path to an .onnx file, an http(s) or file URL, or
 * the file's bytes. Runs on onnxruntime-node (native, no libtorch); `backend: 'web'` runs onnxruntime-web's wasm.
 */
export async function loadModel(source: ModelSource, options: NodeLoadOptions = {}): Promise<EcgModel> {
  if (typeof source === 'string' && isBundledName(source)) {
    const bundled = resolveModel(source, 'onnx', options.modelsDir);
    return EcgModel.load(bundled.path, { ...options, name: options.name ?? bundled.name });
  }
  return EcgModel.load(source, options);
}

/** A catalogue name: no path separator and no .onnx extension (anything else is a path or URL). */
function isBundledName(source: string): boolean {
  return !/[/\\]/.test(source) && !/\.onnx$/i.test(source) && !/^[a-z]+:/i.test(source);
}

/**
 * The bundled models that load here: name, dataset, task, classes, leads, rate, window, size and validation figures.
 * Models the npm package leaves out (`packaged: false`) are listed only where their files are (a clone of the
 * repository); `efficientecg models` lists every catalogue entry.
 */
export function listModels(modelsDir?: string): BundledModel[] {
  return availableModels(readCatalog(modelsDir));
}
