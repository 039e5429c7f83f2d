/**
 * Bounded work queue: at most `maxActive` tasks run, at most `maxWaiting` more wait; beyond that a request is
 * refused at once (503 + Retry-After) instead of piling up memory. A request reserves its place BEFORE its body is
 * read, so the uploads held in memory are bounded by the queue's capacity too.
 */
import { RequestError } from '../errors.js';

export interface QueueState {
  active: number;
  waiting: number;
  maxActive: number;
  maxWaiting: number;
}

export interface Ticket {
  /** Runs `task` when a slot is free; the ticket is spent afterwards. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Gives the place back (idempotent; called after run or when the request ends early). */
  release(): void;
}

export class WorkQueue {
  #active = 0;
  #reserved = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
  ) {
    if (!(Number.isInteger(maxActive) && maxActive >= 1))
      throw new RangeError(`maxActive must be >= 1, got ${maxActive}`);
    if (!(Number.isInteger(maxWaiting) && maxWaiting >= 0))
      throw new RangeError(`maxWaiting must be >= 0, got ${maxWaiting}`);
  }

  get state(): QueueState {
    return {
      active: this.#active,
      waiting: this.#reserved - this.#active,
      maxActive: this.maxActive,
      maxWaiting: this.maxWaiting,
    };
  }

  /** A place in the queue, or RequestError 503 when every place is taken. */
  reserve(): Ticket {
    if (this.#reserved >= this.maxActive + this.maxWaiting) {
      throw new RequestError(
        503,
        'server',
        `busy: ${this.#reserved} requests in progress or queued, retry shortly`,
      );
    }
    this.#reserved++;
    let state: 'reserved' | 'running' | 'done' = 'reserved';
    const release = () => {
      if (state === 'done') return;
      if (state === 'running') this.#finish();
      state = 'done';
      this.#reserved--;
    };
    const run = async <T>(task: () => Promise<T>): Promise<T> => {
      if (state !== 'reserved') throw new Error('WorkQueue: a ticket runs once');
      await this.#slot();
      state = 'running';
      try {
        return await task();
      } finally {
        release();
      }
    };
    return { run, release };
  }

  #slot(): Promise<void> {
    if (this.#active < this.maxActive) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Hands the slot to the next waiter, or frees it. */
  #finish(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#active--;
  }
}
