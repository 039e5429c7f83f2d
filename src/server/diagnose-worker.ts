/**
 * Worker thread of the server (diagnose-pool.ts): reads and diagnoses uploads with its own predictor per model
 * (onnxruntime sessions, 1 thread each), so that the server's thread keeps answering meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toWire } from './api-errors.js';
import { diagnoseUpload } from './diagnose-upload.js';
import type { PoolMessage, WorkerSetup } from './diagnose-pool.js';
import { defaultLoader, predictorCache } from './predictors.js';

const setup = workerData as WorkerSetup;
const models = new Map(setup.models.map((model) => [model.name, model]));
const predictors = predictorCache(defaultLoader);
const context = { models, limits: setup.limits, predictor: predictors.get };

async function close(): Promise<void> {
  predictors.close();
  const failures: unknown[] = [];
  await predictors.release((error) => failures.push(error));
  parentPort?.postMessage({ released: failures.map(toWire) });
  parentPort?.close();
}

parentPort?.on('message', (message: PoolMessage) => {
  if ('close' in message) return void close();
  const { id, job } = message;
  diagnoseUpload(job, context).then(
    (result) => parentPort?.postMessage({ id, result }),
    (error: unknown) => parentPort?.postMessage({ id, error: toWire(error) }),
  );
});
