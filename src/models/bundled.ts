/**
 * The bundled-model catalogue: `models/catalog.json` (format in models/README.md) lists the trained models that ship
 * with the package (those marked `packaged: false` with the repository only: the npm package leaves them out).
 * `--model NAME` is looked up in it, never joined into a path; the files an entry names must be plain relative paths
 * inside the models folder (no `..`, no absolute paths), checked again after resolution.
 * Node only (file system); the browser loads a model by URL through the Predictor instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, MissingFileError, RepositoryOnlyModelError } from '../errors.js';
import { readOnnxSummary } from '../export/onnx/read.js';

export const CATALOG_FORMAT = 'efficientecg-models';

const safeFile = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative path of letters, digits, . _ - and /')
  .refine((path) => !path.split('/').some((part) => part === '..' || part === '.'), 'must not contain . or ..');

const entrySchema = z.strictObject({
  /** Looked up by `--model NAME`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
  dataset: z.string().min(1),
  /** 'records': one label set per record; 'beats': one class per beat (MIT-BIH). */
  task: z.enum(['records', 'beats']),
  /** The model used for this dataset's records when no --model is given (one per dataset). */
  default: z.boolean(),
  architecture: z.string().min(1),
  classes: z.array(z.string()).min(1),
  leads: z.array(z.string()).min(1),
  fs: z.number().positive(),
  windowSeconds: z.number().positive(),
  /**
   * What the model reads of amplitudes: 'z-score' (each lead standardised: units do not matter) or 'mV' (leads in
   * millivolts: the file's unit must be right). Absent in catalogues written before it existed.
   */
  amplitudes: z.enum(['z-score', 'mV']).optional(),
  parameters: z.number().int().nonnegative(),
  macs: z.number().int().nonnegative().nullable(),
  /**
   * The cross-validated figure of the recipe that made the model (src/train/cv.ts): K patient-grouped folds, the
   * metric, its mean and sd over folds and its value on the pooled out-of-fold predictions. null: not
   * cross-validated (older models; their `validation` figure was selected on the split it reports).
   */
  cv: z
    .strictObject({
      folds: z.number().int().min(2),
      metric: z.string().min(1),
      mean: z.number().nullable(),
      sd: z.number().nullable(),
      pooled: z.number().nullable(),
      /** 95 % patient-bootstrap interval of the pooled figure. */
      pooledInterval: z.tuple([z.number(), z.number()]).nullable().optional(),
      /** The pooled out-of-fold figures behind the metric (beats: gross Se, +P, F1 per class and accuracy). */
      pooledFigures: z.record(z.string(), z.number()).optional(),
      /** What was cross-validated when the shipped model is not one CV run's model (e.g. an ensemble of its folds). */
      note: z.string().optional(),
    })
    .nullable()
    .default(null),
  /** Figures on the training run's selection split ({ metric, value, ... }): a training log, not a result. */
  validation: z.record(z.string(), z.unknown()),
  files: z.strictObject({ onnx: safeFile, checkpoint: safeFile.optional(), card: safeFile }),
  /**
   * false: in the repository only. The npm package leaves the entry's files out (size: package.json `files` negates
   * them, test/package/files.test.ts checks the two agree); clone the repository for them. Where they are absent
   * (an npm install) the model is listed as "repository only", `--model NAME` says so and listings that load every
   * model skip it. Absent: true. A default model must be packaged.
   */
  packaged: z.boolean().optional(),
});
export type BundledModelEntry = z.infer<typeof entrySchema>;

const catalogSchema = z.strictObject({
  format: z.literal(CATALOG_FORMAT),
  version: z.literal(1),
  models: z.array(entrySchema),
});

export interface BundledModel extends BundledModelEntry {
  /** Absolute paths of the entry's files. */
  paths: { onnx: string; checkpoint: string | null; card: string };
}

export interface Catalog {
  dir: string;
  models: BundledModel[];
}

/**
 * The package's models folder (src/models and dist/models both sit two levels below the package root). Another
 * catalogue is chosen explicitly (the CLI's global --models-dir), never through the environment.
 */
export function defaultModelsDir(): string {
  return fileURLToPath(new URL('../../models/', import.meta.url));
}

/** Reads and validates `<dir>/catalog.json`; ConfigError lists every problem with its path. */
export function readCatalog(dir = defaultModelsDir()): Catalog {
  const path = join(dir, 'catalog.json');
  if (!existsSync(path)) throw new MissingFileError(path, 'model catalogue not found');
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const result = catalogSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(catalogue)'}: ${i.message}`);
    throw new ConfigError(`${path}: ${problems.join('; ')}`);
  }
  const models = result.data.models;
  checkEntries(models, path);
  return { dir, models: models.map((entry) => withPaths(entry, dir)) };
}

/** Unique names, at most one default per dataset, and defaults in the npm package. */
function checkEntries(models: readonly BundledModelEntry[], path: string): void {
  const names = new Set<string>();
  const defaults = new Set<string>();
  for (const model of models) {
    if (names.has(model.name)) throw new ConfigError(`${path}: model name ${model.name} is listed twice`);
    names.add(model.name);
    if (!model.default) continue;
    if (defaults.has(model.dataset)) throw new ConfigError(`${path}: two default models for dataset ${model.dataset}`);
    if (!isPackaged(model)) {
      throw new ConfigError(
        `${path}: model ${model.name} is the default for ${model.dataset} but not packaged (a default ships in the npm package)`,
      );
    }
    defaults.add(model.dataset);
  }
}

/** Whether the npm package carries the entry's files (`packaged` absent or true). */
export function isPackaged(model: BundledModelEntry): boolean {
  return model.packaged !== false;
}

/**
 * A model the npm package leaves out (`packaged: false`) whose ONNX file is absent here, as in an npm install: it is
 * in the repository only. A packaged model whose file is missing is not: that stays an error wherever it is used.
 */
export function isRepositoryOnly(model: BundledModel): boolean {
  return !isPackaged(model) && !existsSync(model.paths.onnx);
}

/** The catalogue's models whose files are to be expected here: all but the absent repository-only ones. */
export function availableModels(catalog: Catalog): BundledModel[] {
  return catalog.models.filter((model) => !isRepositoryOnly(model));
}

function inside(dir: string, file: string): string {
  const path = resolve(dir, file);
  const rel = relative(resolve(dir), path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new ConfigError(`model file ${file} resolves outside ${dir}`);
  return path;
}

function withPaths(entry: BundledModelEntry, dir: string): BundledModel {
  return {
    ...entry,
    paths: {
      onnx: inside(dir, entry.files.onnx),
      checkpoint: entry.files.checkpoint ? inside(dir, entry.files.checkpoint) : null,
      card: inside(dir, entry.files.card),
    },
  };
}

export interface ResolvedModel {
  /** Catalogue name, or the path as given. */
  name: string;
  path: string;
  bundled: BundledModel | null;
  /** The model's class labels in output order, when known without loading it (catalogue, or the ONNX metadata). */
  labels: string[] | null;
}

const MODEL_FILE = /\.(onnx|safetensors)$/i;

/**
 * `--model NAME|PATH`: a catalogue name, or a path to an .onnx (or .safetensors, where accepted) file. `kind` says
 * which bundled file to use for a name: the ONNX model (predict, evaluate) or the checkpoint (export).
 */
export function resolveModel(
  spec: string,
  kind: 'onnx' | 'checkpoint' = 'onnx',
  catalogOrDir?: Catalog | string,
): ResolvedModel {
  const catalog = typeof catalogOrDir === 'string' ? undefined : catalogOrDir;
  const dir = typeof catalogOrDir === 'string' ? catalogOrDir : undefined;
  if (MODEL_FILE.test(spec)) {
    if (!existsSync(spec)) throw new MissingFileError(spec, 'model file not found');
    const summary = /\.onnx$/i.test(spec) ? onnxNameAndLabels(spec) : null;
    return {
      name: summary?.name ?? basename(spec).replace(MODEL_FILE, ''),
      path: spec,
      bundled: null,
      labels: summary?.labels ?? null,
    };
  }
  const found = (catalog ?? readCatalog(dir)).models.find((model) => model.name === spec);
  if (found === undefined) {
    // Only the models that load here (an npm install leaves the repository-only ones out).
    const known = availableModels(catalog ?? readCatalog(dir)).map((model) => model.name);
    throw new ConfigError(
      `model ${JSON.stringify(spec)}: not a bundled model (${known.length ? `bundled: ${known.join(', ')}` : 'the catalogue is empty'}) nor a path ending in .onnx or .safetensors`,
    );
  }
  const path = kind === 'onnx' ? found.paths.onnx : found.paths.checkpoint;
  if (path === null) throw new ConfigError(`model ${spec}: the bundled model ships no checkpoint`);
  if (!existsSync(path)) {
    if (!isPackaged(found)) {
      const file = kind === 'onnx' ? found.files.onnx : found.files.checkpoint!;
      throw new RepositoryOnlyModelError(path, found.name, `models/${file}`);
    }
    throw new MissingFileError(path, `file of bundled model ${spec} is missing`);
  }
  return { name: found.name, path, bundled: found, labels: found.classes };
}

/**
 * The name an exported ONNX model carries in its metadata (`model.name`: `export` stores the run's name, as the
 * trainer calls every checkpoint best or last) and its labels; each null when absent or unreadable (loading the
 * model reports why).
 */
function onnxNameAndLabels(path: string): { name: string | null; labels: string[] | null } {
  try {
    const { metadata } = readOnnxSummary(new Uint8Array(readFileSync(path)));
    const model = metadata.model as { name?: unknown } | undefined;
    const labels = metadata.labels;
    return {
      name: typeof model?.name === 'string' && model.name.trim() !== '' ? model.name : null,
      labels: Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : null,
    };
  } catch {
    return { name: null, labels: null };
  }
}

/** The default model of each dataset. */
export function defaultModels(catalog: Catalog): BundledModel[] {
  return catalog.models.filter((model) => model.default);
}
