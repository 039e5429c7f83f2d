/** The server's predictors: one per model, loaded on first use (in the server's thread or in each worker). */
import { RequestError } from '../errors.js';
import { Predictor } from '../infer/predictor.js';
import type { ServedModel } from './catalog.js';

/** What the server needs of a predictor (src/infer's Predictor; tests pass slow or failing ones). */
export type RecordPredictor = Pick<Predictor, 'predict'> &
  Partial<Pick<Predictor, 'predictBeats' | 'release'>>;

export type PredictorLoader = (model: ServedModel) => Promise<RecordPredictor>;

export function defaultLoader(model: ServedModel): Promise<RecordPredictor> {
  return Predictor.load(model.path, { backend: 'node', threads: 1, name: model.name });
}

/**
 * One predictor per model, loaded on first use; a failed load is retried on the next request. Once closed, no load
 * starts, and `release` frees every predictor whose load succeeded (awaiting loads still running).
 */
export function predictorCache(load: PredictorLoader) {
  const cache = new Map<string, Promise<RecordPredictor>>();
  let closed = false;
  const get = async (model: ServedModel) => {
    if (closed) throw new RequestError(503, 'server', 'closing');
    const cached = cache.get(model.name);
    if (cached) return cached;
    const loading = load(model);
    cache.set(model.name, loading);
    loading.catch(() => {
      if (cache.get(model.name) === loading) cache.delete(model.name);
    });
    return loading;
  };
  const close = () => {
    closed = true;
  };
  const release = async (onError: (error: unknown) => void) => {
    const loads = await Promise.allSettled(cache.values());
    cache.clear();
    const loaded = loads.flatMap((load) => (load.status === 'fulfilled' ? [load.value] : []));
    const released = await Promise.allSettled(loaded.map(async (predictor) => predictor.release?.()));
    for (const result of released) if (result.status === 'rejected') onError(result.reason);
  };
  return { get, close, release };
}
