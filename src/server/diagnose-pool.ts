/**
 * The server's worker threads for uploads (diagnose-worker.ts). Reading a long, fast-sampled record and its quality
 * gate and measurements take seconds to tens of seconds; on the server's thread they would stall every other request
 * (health probes, other uploads) meanwhile. At most `size` workers (the queue's maxActive: the queue already bounds
 * the jobs running at once), each started on first need and kept, with its predictors, for the server's life.
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../util/worker-thread.js';
import type { EcgResult } from '../infer/result.js';
import { fromWire, type WireError } from './api-errors.js';
import type { ServedModel } from './catalog.js';
import type { UploadLimits } from './diagnose-upload.js';
import type { PredictRequest } from './upload.js';

export interface WorkerSetup {
  models: ServedModel[];
  limits: UploadLimits;
}

export type PoolMessage = { id: number; job: PredictRequest } | { close: true };

type WorkerReply =
  { id: number; result: EcgResult } | { id: number; error: WireError } | { released: WireError[] };

/** How long a closing worker may take to release its predictors before it is terminated. */
const STOP_GRACE_MS = 5000;

export class DiagnosePool {
  readonly #setup: WorkerSetup;
  readonly #idle: Worker[] = [];
  readonly #alive = new Set<Worker>();
  readonly #waiting: Array<(worker: Worker) => void> = [];
  #jobs = 0;

  /** `onError` gets what no request would report: a worker failing while idle, a predictor release failing. */
  constructor(
    models: ReadonlyMap<string, ServedModel>,
    limits: UploadLimits,
    readonly size: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#setup = { models: [...models.values()], limits };
  }

  async run(job: PredictRequest): Promise<EcgResult> {
    const worker = await this.#take();
    try {
      return await this.#ask(worker, job);
    } finally {
      this.#give(worker);
    }
  }

  /** Stops every worker once it has released its predictors (run no job after this). */
  async close(): Promise<void> {
    await Promise.all([...this.#alive].map((worker) => this.#stop(worker)));
  }

  #take(): Promise<Worker> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#alive.size < this.size) return Promise.resolve(this.#start());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hands `worker` to the next job waiting, or keeps it idle; a worker that died is replaced. */
  #give(worker: Worker): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(this.#alive.has(worker) ? worker : this.#start());
    else if (this.#alive.has(worker)) this.#idle.push(worker);
  }

  #start(): Worker {
    const worker = startWorker(this.#setup);
    this.#alive.add(worker);
    // A worker's 'error' without a listener would end the server; a job's own listener reports its error.
    worker.on('error', (error) => {
      if (worker.listenerCount('error') === 1) this.onError(error);
    });
    worker.once('exit', () => {
      this.#alive.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
    });
    return worker;
  }

  #ask(worker: Worker, job: PredictRequest): Promise<EcgResult> {
    const id = ++this.#jobs;
    return new Promise<EcgResult>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (!('id' in reply) || reply.id !== id) return;
        stop();
        if ('error' in reply) reject(fromWire(reply.error));
        else resolve(reply.result);
      };
      const onError = (error: Error) => (stop(), reject(error));
      const onExit = (code: number) => (stop(), reject(new Error(`diagnosis worker exited (code ${code})`)));
      const stop = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ id, job } satisfies PoolMessage);
    });
  }

  async #stop(worker: Worker): Promise<void> {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: WorkerReply) => {
      if ('released' in reply) for (const failure of reply.released) this.onError(fromWire(failure));
    });
    worker.postMessage({ close: true } satisfies PoolMessage);
    const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

function startWorker(setup: WorkerSetup): Worker {
  return startSiblingWorker(import.meta.url, 'diagnose-worker', setup);
}
