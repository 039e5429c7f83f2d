/**
 * A torch.distributed process group over the addon: c10d TCPStore rendezvous (rank 0 hosts it on the master port)
 * and ProcessGroupGloo collectives, the engine behind PyTorch's DDP on CPU. Every collective is synchronous and in
 * place, and fails with a typed error naming the rank and the operation: CollectiveTimeoutError (a peer did not
 * answer within the timeout), PeerLostError (a peer died), PortInUseError (the master port is taken).
 */
import {
  CollectiveTimeoutError,
  ConfigError,
  DistributedError,
  EngineUnavailableError,
  PeerLostError,
  PortInUseError,
} from '../errors.js';
import { loadAddon, type NativeProcessGroup, type NativeProcessGroupOptions } from './binding.js';
import type { Tensor } from './tensor.js';

/** The addon's options, as the public API names them (rendezvous address, port, timeout, Gloo's interface). */
export type ProcessGroupOptions = NativeProcessGroupOptions;

export type ReduceOp = 'sum' | 'mean';

const ERROR_CLASSES = {
  TIMEOUT: CollectiveTimeoutError,
  PEER_LOST: PeerLostError,
  ADDRESS_IN_USE: PortInUseError,
} as const;

/** The addon's error (with its `code`) as the typed error of that failure. */
function typedError(rank: number, operation: string, cause: unknown): Error {
  if (!(cause instanceof Error)) return new DistributedError(rank, operation, String(cause));
  const code = (cause as Error & { code?: string }).code;
  if (code === undefined) return cause; // an argument error from the addon, not a distributed failure
  const problem = cause.message;
  const ErrorClass = ERROR_CLASSES[code as keyof typeof ERROR_CLASSES] ?? DistributedError;
  const error = new ErrorClass(rank, operation, problem);
  error.cause = cause;
  return error;
}

/** Ranks are C ints in libtorch: a larger world size would wrap (2^32 + 1 became 1). */
const MAX_WORLD_SIZE = 2 ** 31 - 1;

function validate(options: ProcessGroupOptions): void {
  const { rank, worldSize, masterPort, timeoutMs, masterAddr } = options;
  if (!Number.isInteger(worldSize) || worldSize < 1 || worldSize > MAX_WORLD_SIZE)
    throw new ConfigError(`world size must be an integer in [1, ${MAX_WORLD_SIZE}], got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize)
    throw new ConfigError(`rank must be an integer in [0, ${worldSize}), got ${rank}`);
  if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535)
    throw new ConfigError(`master port must be in 1..65535, got ${masterPort}`);
  if (!(Number.isFinite(timeoutMs) && timeoutMs >= 1))
    throw new ConfigError(`timeout must be a finite number of ms >= 1, got ${timeoutMs}`);
  if (masterAddr.trim() === '') throw new ConfigError('master address is empty');
}

/** Whether this build of the addon has the process group (it needs Gloo's headers at build time). */
export function distributedAvailable(): boolean {
  return loadAddon().distributedAvailable;
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  #native: NativeProcessGroup;

  private constructor(native: NativeProcessGroup, options: ProcessGroupOptions) {
    this.#native = native;
    this.rank = options.rank;
    this.worldSize = options.worldSize;
  }

  /** Joins the group: blocks until every rank has joined, or throws a typed error after the timeout. */
  static init(options: ProcessGroupOptions): ProcessGroup {
    validate(options);
    const addon = loadAddon();
    if (!addon.distributedAvailable || addon.ProcessGroupHandle === undefined)
      throw new EngineUnavailableError(
        "this build of the libtorch engine has no process group: install Gloo's headers (Debian: sudo apt-get install libgloo-dev), then npm run build:native -- --force",
      );
    const operation = `rendezvous at ${options.masterAddr}:${options.masterPort} (world size ${options.worldSize})`;
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      try {
        return new ProcessGroup(new addon.ProcessGroupHandle(options), options);
      } catch (cause) {
        const error = typedError(options.rank, operation, cause);
        // libtorch 1.13's client gives up early when the master is not listening yet (a launcher may start
        // workers first): try again until the timeout is really spent.
        if (!(error instanceof CollectiveTimeoutError) || options.rank === 0 || Date.now() >= deadline)
          throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      }
    }
  }

  /**
   * Every tensor becomes its sum (or mean) over the ranks, in place, in one message round (one flat buffer). Ranks
   * whose tensors differ in element count or dtype all get a DistributedError and the tensors stay as they were.
   */
  allReduce(tensors: readonly Tensor[], op: ReduceOp = 'sum'): void {
    this.#call('allReduce', () =>
      this.#native.allReduce(
        tensors.map((t) => t.handle),
        op,
      ),
    );
  }

  /** Every tensor takes the values it has on `root`, in place. */
  broadcast(tensors: readonly Tensor[], root = 0): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize)
      throw new ConfigError(`broadcast root must be a rank in [0, ${this.worldSize}), got ${root}`);
    this.#call('broadcast', () =>
      this.#native.broadcast(
        tensors.map((t) => t.handle),
        root,
      ),
    );
  }

  /** Returns when every rank has called it. */
  barrier(): void {
    this.#call('barrier', () => this.#native.barrier());
  }

  /** Closes the connections (and, on rank 0, the store's port). Later calls throw; destroying twice is harmless. */
  destroy(): void {
    this.#native.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }

  #call(operation: string, body: () => void): void {
    try {
      body();
    } catch (cause) {
      throw typedError(this.rank, operation, cause);
    }
  }
}
