/**
 * Loader worker: holds the shared samples (workerData) and answers batch requests with the assembled batch,
 * whose buffer is transferred back (no copy). It never touches the tensor engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assembleTrainingBatch, type BatchRequest } from './batch.js';
import type { WorkerSetup } from './loader.js';

const setup = workerData as WorkerSetup;

parentPort?.on('message', (message: { id: number; request: BatchRequest }) => {
  const batch = assembleTrainingBatch(setup.store, setup.window, setup.augment, message.request);
  parentPort?.postMessage({ id: message.id, batch }, [batch.buffer as ArrayBuffer]);
});
