/**
 * Predicts many files on worker threads (one onnxruntime session per worker and model), with results delivered in
 * input order as soon as every earlier file is done, so that output streams and stays deterministic.
 * jobs = 0 predicts on the main thread (tests, debugging).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PredictorCache, predictFile, type FileResult, type ModelTarget } from './predict-file.js';

export interface PoolOptions {
  jobs: number;
  /** Called once per file, in input order. */
  onResult: (result: FileResult, index: number) => void;
}

function workerUrl(): URL {
  // .ts under tsx (tests), .js when built.
  return new URL(`./predict-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

/** From .ts sources (tests, tsx) the worker registers tsx first: Node 20 does not pass loader hooks to workers. */
export function startWorker(target: ModelTarget): Worker {
  const url = workerUrl();
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: { target } });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = `import(${tsx}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(entry, { eval: true, workerData: { target } });
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
