/**
 * Loader worker: holds the shared samples (workerData) and answers batch requests with the assembled batch,
 * whose buffer is transferred back (no copy). It never touches the tensor engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assembleTrainingBatch, type BatchRequest } from './batch.js';
import type { WorkerSetup } from './loader.js';

const setup = workerData as WorkerSetup;
// Buffers the trainer handed back (BatchSource.recycle); a few suffice, since only `depth` batches are in flight.
const spare: Float32Array[] = [];
const MAX_SPARE = 4;

type Message = { id: number; request: BatchRequest } | { recycle: Float32Array };

parentPort?.on('message', (message: Message) => {
  if ('recycle' in message) {
    if (spare.length < MAX_SPARE) spare.push(message.recycle);
    return;
  }
  const batch = assembleTrainingBatch(setup.store, setup.window, setup.augment, message.request, spare.pop());
  parentPort?.postMessage({ id: message.id, batch }, [batch.buffer as ArrayBuffer]);
});
