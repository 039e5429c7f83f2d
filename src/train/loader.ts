/**
 * Batch sources: the trainer asks for batches by key and awaits them, keeping a few in flight so that assembly
 * (crop + augmentation) overlaps with libtorch compute. With workers, batches are built in worker threads that read
 * the SharedArrayBuffer samples; with 0 workers, on the main thread (tests, debugging). A batch depends only on its
 * request, so the worker that builds it and the order in which workers finish never change the result.
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../util/worker-thread.js';
import { EcgError } from '../errors.js';
import { assembleTrainingBatch, type BatchRequest, type WindowSpec } from './batch.js';
import type { AugmentConfig } from './config.js';
import type { SampleStore } from './data.js';

export interface WorkerSetup {
  store: SampleStore;
  window: WindowSpec;
  augment: AugmentConfig;
}

export interface BatchSource {
  /** Resolves with the batch [indices, leads, window] as a flat Float32Array. */
  build(request: BatchRequest): Promise<Float32Array>;
  /**
   * Hands a batch's buffer back once its data has been copied into a tensor. Workers refill recycled buffers
   * instead of allocating one per step: a transferred buffer stays allocated until the main thread's next full GC,
   * which is rare while a worker does the JS work, and such long-lived blocks scattered through glibc's heap pin it
   * (ARCHITECTURE.md, "Memory").
   */
  recycle(batch: Float32Array): void;
  /** Batches to keep in flight for overlap. */
  readonly depth: number;
  close(): Promise<void>;
}

export function createBatchSource(setup: WorkerSetup, workers: number): BatchSource {
  return workers === 0 ? mainThreadSource(setup) : new WorkerPool(setup, workers);
}

/** Builds on the main thread, in a macrotask: the trainer's await then lets the event loop (and finalizers) run. */
function mainThreadSource(setup: WorkerSetup): BatchSource {
  return {
    depth: 1,
    build: (request) =>
      new Promise((resolve, reject) =>
        setImmediate(() => {
          try {
            resolve(assembleTrainingBatch(setup.store, setup.window, setup.augment, request));
          } catch (error) {
            reject(error as Error);
          }
        }),
      ),
    recycle: () => undefined,
    close: async () => undefined,
  };
}

interface Pending {
  resolve: (batch: Float32Array) => void;
  reject: (error: Error) => void;
}

/** The worker module next to this one, in this module's own extension (.ts under tsx, .js when built). */
/** A loader worker (loader-worker.ts). */
function startWorker(setup: WorkerSetup): Worker {
  return startSiblingWorker(import.meta.url, 'loader-worker', setup);
}

class WorkerPool implements BatchSource {
  readonly depth: number;
  readonly #workers: Worker[];
  readonly #pending: Array<Map<number, Pending>>;
  #nextId = 0;
  #nextRecycle = 0;
  #failure: Error | null = null;

  constructor(setup: WorkerSetup, count: number) {
    this.depth = Math.max(2, count);
    this.#workers = Array.from({ length: count }, () => startWorker(setup));
    this.#pending = this.#workers.map(() => new Map());
    this.#workers.forEach((worker, w) => {
      worker.on('message', ({ id, batch }: { id: number; batch: Float32Array }) => {
        const pending = this.#pending[w]!.get(id);
        this.#pending[w]!.delete(id);
        pending?.resolve(batch);
      });
      worker.on('error', (error) => this.#fail(new EcgError(`loader worker ${w} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (this.#pending[w]!.size > 0) this.#fail(new EcgError(`loader worker ${w} exited (code ${code})`));
      });
    });
  }

  build(request: BatchRequest): Promise<Float32Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    // The least busy worker (ties: the first) takes the request.
    let chosen = 0;
    this.#pending.forEach((pending, w) => {
      if (pending.size < this.#pending[chosen]!.size) chosen = w;
    });
    const id = this.#nextId++;
    const promise = new Promise<Float32Array>((resolve, reject) => {
      this.#pending[chosen]!.set(id, { resolve, reject });
      this.#workers[chosen]!.postMessage({ id, request });
    });
    // Requests in flight may fail before the trainer awaits them: that is reported when it does, not as unhandled.
    promise.catch(() => undefined);
    return promise;
  }

  recycle(batch: Float32Array): void {
    if (this.#failure || batch.byteLength === 0) return;
    const worker = this.#workers[this.#nextRecycle++ % this.#workers.length]!;
    worker.postMessage({ recycle: batch }, [batch.buffer as ArrayBuffer]);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending) {
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    }
  }

  async close(): Promise<void> {
    for (const pending of this.#pending) pending.clear();
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
