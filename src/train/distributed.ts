/**
 * Data-parallel training over a torch.distributed process group (src/engine/distributed.ts), the way PyTorch's DDP
 * does it, behind the few hooks the one training loop (src/train/loop.ts) calls:
 *
 * - `broadcastState`: rank 0's parameters and buffers go to every rank before the first step, so that all ranks
 *   start from the same weights whatever their own initialisation or checkpoint.
 * - `shardBatches`: every rank draws the same seeded epoch order and global batches (batch size x world size), and
 *   keeps its contiguous part of each batch; a trailing batch too small to give every rank two examples is dropped.
 * - `syncGradients`: after backward, the gradients are averaged across ranks in buckets of at most `bucketBytes`
 *   (DDP's 25 MiB), each bucket one all-reduce of the flattened gradients, so the optimiser, clipping and schedule
 *   then do the same thing on every rank and the weights stay identical.
 * - `validationShard`: each rank scores its part of the validation split; the outputs are summed into one table on
 *   every rank (rows of the other ranks are zeros, so the sum is exact) and the metrics computed from it.
 *
 * As in DDP: BatchNorm normalises each rank's batch with that rank's own batch statistics (not synchronised across
 * ranks), and the running statistics are rank 0's, broadcast before every step (DDP's broadcast_buffers) and before
 * validation (the loop does it, so every rank scores with the model rank 0 saves). Not
 * synchronised: dropout masks (each rank draws its own), the training loss in the logs (rank 0's batch). Only rank 0
 * writes checkpoints and logs.
 */
import type { ProcessGroup } from '../engine/distributed.js';
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { DistributedError } from '../errors.js';
import type { Module } from '../nn/module.js';

/** DDP's default bucket size. */
export const DEFAULT_BUCKET_BYTES = 25 * 2 ** 20;

/** What a task needs to score only its rank's share of the validation split and still get every item's outputs. */
export interface ValidationShard {
  /** This rank's contiguous share of `items`. */
  part<T>(items: readonly T[]): T[];
  /** Every rank's rows (each rank passes its share's rows, `width` values each), in item order. */
  gather(rows: readonly Float64Array[], total: number, width: number): Float64Array[];
}

/** Time and bytes the gradient all-reduce took (for logs and bench/distributed.ts). */
export interface SyncStats {
  steps: number;
  allReduceMs: number;
  /** Gradient bytes each rank contributed per step. */
  bytesPerStep: number;
}

export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  readonly stats: SyncStats = { steps: 0, allReduceMs: 0, bytesPerStep: 0 };

  constructor(
    readonly group: ProcessGroup,
    private readonly bucketBytes = DEFAULT_BUCKET_BYTES,
  ) {
    this.rank = group.rank;
    this.worldSize = group.worldSize;
  }

  get isMain(): boolean {
    return this.rank === 0;
  }

  /** Rank 0's parameters and buffers (BatchNorm running statistics) on every rank. */
  broadcastState(module: Module): void {
    this.broadcast([...module.parameters(), ...module.namedBuffers().map(([, tensor]) => tensor)]);
  }

  /**
   * Rank 0's buffers on every rank, before each step, as DDP does (broadcast_buffers): the BatchNorm running
   * statistics every rank normalises with in evaluation are rank 0's.
   */
  broadcastBuffers(module: Module): void {
    this.broadcast(module.namedBuffers().map(([, tensor]) => tensor));
  }

  /** In buckets of one dtype each (the addon flattens a bucket into one buffer). */
  private broadcast(tensors: readonly Tensor[]): void {
    const byDtype = new Map<string, Tensor[]>();
    for (const t of tensors) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
    for (const group of byDtype.values())
      for (const bucket of buckets(group, this.bucketBytes)) this.group.broadcast(bucket, 0);
  }

  /** This rank's part of each global batch; a batch that cannot give every rank two examples is dropped. */
  shardBatches(batches: readonly number[][]): number[][] {
    return batches
      .filter((batch) => batch.length >= 2 * this.worldSize)
      .map((batch) => contiguousPart(batch, this.rank, this.worldSize));
  }

  /** Averages the gradients of `params` across ranks, bucket by bucket. */
  syncGradients(params: readonly Tensor[]): void {
    const started = performance.now();
    scope(() => {
      const grads = params
        .filter((p) => p.requiresGrad)
        .map((p, i) => {
          const grad = p.grad;
          if (grad === null)
            throw new DistributedError(
              this.rank,
              'gradient all-reduce',
              `parameter ${i} (shape [${p.shape.join(', ')}]) has no gradient: every trainable parameter must take part in each step`,
            );
          return grad;
        });
      let bytes = 0;
      for (const bucket of buckets(grads, this.bucketBytes)) {
        this.group.allReduce(bucket, 'mean');
        bytes += bucket.reduce((n, g) => n + g.size * 4, 0);
      }
      this.stats.bytesPerStep = bytes;
    });
    this.stats.steps++;
    this.stats.allReduceMs += performance.now() - started;
  }

  /** Rank 0's value of a number on every rank (null travels as NaN). */
  agree(value: number | null): number | null {
    return scope(() => {
      const tensor = F.tensor(Float64Array.from([value ?? Number.NaN]), [1]);
      this.group.broadcast([tensor], 0);
      const agreed = tensor.item();
      return Number.isNaN(agreed) ? null : agreed;
    });
  }

  readonly validationShard: ValidationShard = {
    part: (items) => contiguousPart(items, this.rank, this.worldSize),
    gather: (rows, total, width) =>
      scope(() => {
        const table = new Float64Array(total * width);
        const offset = partStart(total, this.rank, this.worldSize);
        rows.forEach((row, i) => table.set(row, (offset + i) * width));
        const tensor = F.tensor(table, [total, width]);
        this.group.allReduce([tensor], 'sum');
        const all = tensor.data<'float64'>();
        return Array.from({ length: total }, (_, i) => all.slice(i * width, (i + 1) * width));
      }),
  };

  barrier(): void {
    this.group.barrier();
  }

  destroy(): void {
    this.group.destroy();
  }
}

/** Where rank `rank`'s contiguous part of `n` items starts (the first n mod world ranks take one more). */
function partStart(n: number, rank: number, world: number): number {
  const base = Math.floor(n / world);
  return rank * base + Math.min(rank, n % world);
}

export function contiguousPart<T>(items: readonly T[], rank: number, world: number): T[] {
  return items.slice(partStart(items.length, rank, world), partStart(items.length, rank + 1, world));
}

/** Consecutive tensors grouped so that each group holds at most `capBytes` (a larger tensor is a group alone). */
export function buckets<T extends Tensor>(tensors: readonly T[], capBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const tensor of tensors) {
    const size = tensor.nbytes;
    if (current.length > 0 && bytes + size > capBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(tensor);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
