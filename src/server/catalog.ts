/**
 * What the server may hand out, as lookup tables built once at start-up: models by name and example records by
 * name. Requests only ever look names up in these maps, so no request string is ever joined into a path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { readOnnxSummary } from '../export/onnx/read.js';
import { parseModelInfo, type ModelInfo } from '../infer/metadata.js';
import { availableModels, readCatalog } from '../models/bundled.js';

export interface ServedModel {
  name: string;
  /** Absolute path of the .onnx file. */
  path: string;
  info: ModelInfo;
  /**
   * A candidate when the page routes a record by its leads (src/infer/route.ts, as `efficientecg predict` does):
   * the catalogue's default model of its dataset, or any model given with --models.
   */
  default: boolean;
}

export interface ExampleRecord {
  name: string;
  /** File name -> absolute path. */
  files: Map<string, string>;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** Files that make up a record (WFDB data files of other extensions are rare in examples). */
const RECORD_EXTENSIONS = new Set(['.hea', '.dat', '.mat', '.csv']);

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}

/**
 * `name=path.onnx` or `path.onnx` (named after the file); each file's metadata is read and checked now.
 * `isDefault` marks the models routing may pick (default: all).
 */
export function loadModels(
  specs: readonly string[],
  isDefault: (name: string) => boolean = () => true,
): Map<string, ServedModel> {
  const models = new Map<string, ServedModel>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const path = resolve(eq > 0 ? spec.slice(eq + 1) : spec);
    const name = eq > 0 ? spec.slice(0, eq) : basename(path, extname(path));
    if (!isSafeName(name))
      throw new ConfigError(`--models: model name '${name}' must be letters, digits, _ . -`);
    if (models.has(name)) throw new ConfigError(`--models: model name '${name}' given twice`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new ConfigError(
        `--models: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
    models.set(name, { name, path, info: modelInfoOf(bytes, path), default: isDefault(name) });
  }
  return models;
}

function modelInfoOf(bytes: Uint8Array, path: string): ModelInfo {
  try {
    return parseModelInfo(readOnnxSummary(bytes).metadata, path);
  } catch (error) {
    throw new ConfigError(
      `--models: ${path} is not an EfficientECG ONNX model (${(error as Error).message})`,
    );
  }
}

/**
 * The bundled models (models/catalog.json), by their catalogue names; routing picks among the defaults. Models the
 * npm package leaves out (`packaged: false`) are skipped where their files are absent (an npm install); any other
 * missing file fails start-up.
 */
export function bundledModels(dir?: string): Map<string, ServedModel> {
  const catalog = readCatalog(dir);
  const defaults = new Set(catalog.models.filter((m) => m.default).map((m) => m.name));
  return loadModels(
    availableModels(catalog).map((m) => `${m.name}=${m.paths.onnx}`),
    (name) => defaults.has(name),
  );
}

/**
 * Example records in a folder and its direct subfolders (one per dataset): files grouped by stem, named
 * "<subfolder>-<stem>" in subfolders (cinc2017/A00001.hea + .mat -> "cinc2017-A00001"), "<stem>" at the top.
 */
export function loadExamples(dir: string | null): Map<string, ExampleRecord> {
  const examples = new Map<string, ExampleRecord>();
  if (dir === null || !existsSync(dir)) return examples;
  addExamples(examples, dir, '');
  for (const sub of readdirSync(dir).sort()) {
    if (isSafeName(sub) && statSync(join(dir, sub)).isDirectory())
      addExamples(examples, join(dir, sub), `${sub}-`);
  }
  // A lone .dat without its header is not a record.
  for (const [name, example] of examples) {
    if ([...example.files.keys()].every((f) => extname(f).toLowerCase() === '.dat')) examples.delete(name);
  }
  return examples;
}

function addExamples(examples: Map<string, ExampleRecord>, dir: string, prefix: string): void {
  for (const file of readdirSync(dir).sort()) {
    const path = join(dir, file);
    if (
      !RECORD_EXTENSIONS.has(extname(file).toLowerCase()) ||
      !isSafeName(file) ||
      !statSync(path).isFile()
    ) {
      continue;
    }
    const name = `${prefix}${basename(file, extname(file))}`;
    const example = examples.get(name) ?? { name, files: new Map<string, string>() };
    example.files.set(file, path);
    examples.set(name, example);
  }
}
