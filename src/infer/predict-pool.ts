/**
 * Predicts many files on worker threads (one onnxruntime session per worker and model), with results delivered in
 * input order as soon as every earlier file is done, so that output streams and stays deterministic.
 * jobs = 0 predicts on the main thread (tests, debugging).
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../util/worker-thread.js';
import { PredictorCache, predictFile, type FileResult, type ModelTarget } from './predict-file.js';

export interface PoolOptions {
  jobs: number;
  /** Called once per file, in input order. */
  onResult: (result: FileResult, index: number) => void;
}

/** A `predict` worker (predict-worker.ts) for `target`. */
export function startWorker(target: ModelTarget): Worker {
  return startSiblingWorker(import.meta.url, 'predict-worker', { target });
}

export async function predictFiles(
  files: readonly string[],
  target: ModelTarget,
  options: PoolOptions,
): Promise<FileResult[]> {
  const results = new Array<FileResult | undefined>(files.length);
  let emitted = 0;
  const deliver = (index: number, result: FileResult) => {
    results[index] = result;
    while (emitted < files.length && results[emitted] !== undefined) {
      options.onResult(results[emitted]!, emitted);
      emitted++;
    }
  };
  const jobs = Math.min(options.jobs, files.length);
  if (jobs <= 0) {
    const cache = new PredictorCache();
    try {
      for (const [index, file] of files.entries()) deliver(index, await predictFile(file, target, cache));
    } finally {
      await cache.close();
    }
    return results as FileResult[];
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      const worker = startWorker(target);
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      failed.catch(() => undefined); // A crash after the last file must not become an unhandled rejection.
      try {
        while (next < files.length) {
          const index = next++;
          const result = await Promise.race([
            new Promise<FileResult>((resolve) => {
              const listen = (message: { id: number; result: FileResult }) => {
                if (message.id !== index) return;
                worker.off('message', listen);
                resolve(message.result);
              };
              worker.on('message', listen);
              worker.postMessage({ id: index, file: files[index] });
            }),
            failed,
          ]);
          deliver(index, result);
        }
      } finally {
        worker.postMessage({ close: true });
        await new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          setTimeout(() => void worker.terminate(), 5000).unref();
        });
      }
    }),
  );
  return results as FileResult[];
}
