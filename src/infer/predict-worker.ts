/** Worker thread of `predict`: one PredictorCache (onnxruntime sessions, 1 thread each); answers file requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { PredictorCache, predictFile, type FileResult, type ModelTarget } from './predict-file.js';

type Post = (message: { id: number; result: FileResult }) => void;

/**
 * Posts the result of one file. A result that cannot be posted (postMessage throws, e.g. a DataCloneError) is
 * posted as that file's failure instead: left as a rejection, it would be unhandled, kill the thread and fail the
 * file with a WorkerError that names nothing.
 */
export async function postResult(
  id: number,
  result: Promise<FileResult>,
  file: string,
  post: Post,
): Promise<void> {
  try {
    post({ id, result: await result });
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    post({ id, result: { ok: false, file, error: text } });
  }
}

// Only as a worker: tests import `postResult` on the main thread, where there is no parent port nor target.
if (parentPort !== null) {
  const port = parentPort;
  const target = (workerData as { target: ModelTarget }).target;
  const cache = new PredictorCache();
  port.on('message', (message: { id: number; file: string } | { close: true }) => {
    if ('close' in message) {
      void cache.close().then(() => port.close());
      return;
    }
    const result = predictFile(message.file, target, cache);
    void postResult(message.id, result, message.file, (m) => port.postMessage(m));
  });
}
