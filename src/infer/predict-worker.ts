/** Worker thread of `predict`: one PredictorCache (onnxruntime sessions, 1 thread each); answers file requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { PredictorCache, predictFile, type ModelTarget } from './predict-file.js';

const target = (workerData as { target: ModelTarget }).target;
const cache = new PredictorCache();

parentPort?.on('message', (message: { id: number; file: string } | { close: true }) => {
  if ('close' in message) {
    void cache.close().then(() => parentPort?.close());
    return;
  }
  void predictFile(message.file, target, cache).then((result) =>
    parentPort?.postMessage({ id: message.id, result }),
  );
});
