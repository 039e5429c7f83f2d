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
  /** Runs `task` when a slot is free; the ticket is spent afterwards. Rejects (503) if released before its turn. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Gives the place back (idempotent; called after run or when the request ends early). A waiting run leaves the
   * queue at once; a running task keeps its slot until it ends, so that no more than `maxActive` use the CPU.
   */
  release(): void;
}

type Phase = 'reserved' | 'waiting' | 'running' | 'abandoned' | 'done';

interface Waiter {
  grant(): void;
  cancel(error: Error): void;
}

const abandoned = () => new RequestError(503, 'request', 'abandoned before its turn came');

export class WorkQueue {
  #active = 0;
  #reserved = 0;
  readonly #waiters: Waiter[] = [];
  readonly #idle: Array<() => void> = [];

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
    let phase: Phase = 'reserved';
    let started = false;
    let waiter: Waiter | null = null;
    // Every way out of the queue passes here exactly once.
    const leave = () => {
      phase = 'done';
      this.#reserved--;
    };
    const release = () => {
      if (phase === 'reserved') leave();
      else if (phase === 'waiting') {
        this.#drop(waiter!);
        leave();
      } else if (phase === 'running') phase = 'abandoned';
    };
    const run = async <T>(task: () => Promise<T>): Promise<T> => {
      if (started) throw new Error('WorkQueue: a ticket runs once');
      started = true;
      if (phase === 'done') throw abandoned();
      phase = 'waiting';
      await new Promise<void>((resolve, reject) => {
        // The slot is ours the moment it is granted, before this function resumes.
        waiter = { grant: () => ((phase = 'running'), resolve()), cancel: reject };
        this.#enqueue(waiter);
      });
      try {
        // release() may have run between the grant and now.
        if ((phase as Phase) === 'abandoned') throw abandoned();
        return await task();
      } finally {
        this.#finish();
        leave();
      }
    };
    return { run, release };
  }

  /** Resolves when no task runs: what tasks use (predictor sessions) can then be released. */
  whenIdle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(waiter: Waiter): void {
    if (this.#active < this.maxActive) {
      this.#active++;
      waiter.grant();
    } else this.#waiters.push(waiter);
  }

  #drop(waiter: Waiter): void {
    this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
    waiter.cancel(abandoned());
  }

  /** Hands the slot to the next waiter, or frees it. */
  #finish(): void {
    const next = this.#waiters.shift();
    if (next) return next.grant();
    this.#active--;
    if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
