/**
 * One file of `efficientecg predict`: read the record, pick its model (the one given, or routed by leads among the
 * bundled defaults), predict, and return a compact, structured-cloneable result, or the error for that file alone.
 * Used by the worker threads (predict-worker.ts) and inline.
 */
import { predictDetectedBeats } from './detected-beats.js';
import { readRecord } from '../io/read.js';
import { Predictor, type LabelProbability, type Prediction } from './predictor.js';
import { routeRecord } from './route.js';

export interface ModelChoice {
  name: string;
  path: string;
  leads: string[];
}

/** The model to use: one for every file, or routing among candidates (each file's leads decide). */
export type ModelTarget =
  { kind: 'fixed'; model: ModelChoice } | { kind: 'route'; candidates: ModelChoice[] };

export type FileResult =
  | {
      ok: true;
      file: string;
      record: string;
      model: string;
      task: 'records' | 'beats';
      labels: string[];
      top: LabelProbability[];
      notices: string[];
      untrained: boolean;
      /** Beat models: beats found and classified per class. */
      beats: { total: number; counts: Record<string, number> } | null;
    }
  | { ok: false; file: string; error: string };

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

  async close(): Promise<void> {
    for (const predictor of this.loaded.values()) await (await predictor).release();
    this.loaded.clear();
  }
}

export async function predictFile(
  file: string,
  target: ModelTarget,
  cache: PredictorCache,
): Promise<FileResult> {
  try {
    const record = await readRecord(file);
    const choice = target.kind === 'fixed' ? target.model : routeRecord(record.leads, target.candidates);
    const predictor = await cache.get(choice);
    const prediction =
      predictor.info.task === 'beats'
        ? await predictDetectedBeats(predictor, record)
        : await predictor.predict(record);
    return summarise(file, choice.name, prediction);
  } catch (error) {
    const message =
      error instanceof Error
        ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
        : String(error);
    return { ok: false, file, error: message };
  }
}

function summarise(file: string, model: string, p: Prediction): FileResult {
  return {
    ok: true,
    file,
    record: p.record,
    model,
    task: p.task,
    labels: p.labels,
    top: p.top,
    notices: p.notices,
    untrained: p.untrained,
    beats: p.task === 'beats' ? { total: p.beats.length, counts: p.counts } : null,
  };
}
