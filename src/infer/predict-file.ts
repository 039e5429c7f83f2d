/**
 * One file of `efficientecg predict`: read the record, pick its model (the one given, or routed by leads among the
 * bundled defaults), predict, and return a compact, structured-cloneable result, or the error for that file alone.
 * Used by the worker threads (predict-worker.ts) and inline.
 */
import { MissingFileError } from '../errors.js';
import { resolveRecordPath } from '../io/find-records.js';
import { readRecord } from '../io/read.js';
import { diagnose } from './diagnose.js';
import { Predictor } from './predictor.js';
import { LeadCountError } from './prepare.js';
import type { FileResult } from './result.js';
import { routeRecord } from './route.js';

export type { FileResult } from './result.js';

export interface ModelChoice {
  name: string;
  path: string;
  leads: string[];
  /** Class labels (bundled models: from the catalogue), for output columns known before any file is read. */
  labels?: string[];
}

/** How each file is read and given to its model (the same for every file of a batch). */
export interface PredictFileOptions {
  /** A one-lead model reads this lead (name or 0-based index) of a multi-lead record. */
  lead?: string;
  /** Sampling rate of a CSV without a time column (or a bare .mat). */
  fs?: number;
  /** Occlusion saliency (for reports: 20x the prediction's cost). */
  saliency?: boolean;
}

/** The model to use: one for every file, or routing among candidates (each file's leads decide). */
export type ModelTarget = (
  { kind: 'fixed'; model: ModelChoice } | { kind: 'route'; candidates: ModelChoice[] }
) & { options?: PredictFileOptions };
/** Loaded predictors by model path (one per worker). */
export class PredictorCache {
  private readonly loaded = new Map<string, Promise<Predictor>>();

  get(choice: ModelChoice): Promise<Predictor> {
    let predictor = this.loaded.get(choice.path);
    if (predictor === undefined) {
      predictor = Predictor.load(choice.path, { name: choice.name });
      this.loaded.set(choice.path, predictor);
    }
    return predictor;
  }

  /** Releases the sessions that loaded; a failed load was already reported for its file and has none. */
  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.loaded.values());
    this.loaded.clear();
    for (const load of settled) if (load.status === 'fulfilled') await load.value.release();
  }
}

export async function predictFile(
  file: string,
  target: ModelTarget,
  cache: PredictorCache,
): Promise<FileResult> {
  try {
    const options = target.options ?? {};
    const record = await readRecord(file, options.fs === undefined ? {} : { fs: options.fs });
    const choice = target.kind === 'fixed' ? target.model : routeRecord(record.leads, target.candidates);
    const predictor = await cache.get(choice);
    return await diagnose({ name: choice.name, info: predictor.info }, predictor, record, {
      file,
      ...(options.lead === undefined ? {} : { lead: options.lead }),
      ...(options.saliency ? { saliency: true } : {}),
    });
  } catch (error) {
    return { ok: false, file, error: errorText(error, file) };
  }
}

/**
 * "FormatError: ...": the error's message and type, said in `predict`'s words where a record's own words would
 * mislead: a path that is nothing at all (not `nonexist/.hea: file not found`, the header a path without extension
 * would have), and a record with more leads than a one-lead model (its way out: --lead).
 */
function errorText(error: unknown, file: string): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof MissingFileError && resolveRecordPath(file) === null)
    return `${error.name}: no such file or folder: ${file}`;
  const hint =
    error instanceof LeadCountError && error.modelLeads === 1 && error.recordLeads > 1
      ? '; pass --lead NAME|INDEX to choose one'
      : '';
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${hint}`;
}
