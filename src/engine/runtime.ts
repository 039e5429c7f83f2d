/**
 * Engine settings: intra-op threads (per calling thread), the random seed and the memory allocator
 * (native/memory.cc), the last two process-wide.
 */
import { availableParallelism } from 'node:os';
import { EcgError } from '../errors.js';
import { loadAddon } from './binding.js';
import type { AllocatorOption, AllocatorStats } from './binding.js';

const ALLOCATOR_OPTIONS: readonly AllocatorOption[] = [
  'mmapThreshold',
  'trimThreshold',
  'topPad',
  'arenaMax',
];

/** The most intra-op threads setNumThreads takes: libtorch waits forever when it cannot start one it was asked for. */
export function maxNumThreads(): number {
  return Math.min(4 * availableParallelism(), 1024);
}

/**
 * Intra-op threads for the libtorch ops that the calling thread runs (the addon starts with one per core; Debian's
 * libtorch default is 1). The setting is OpenMP's, per thread: a worker thread has its own.
 */
export function setNumThreads(threads: number): void {
  const max = maxNumThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > max)
    throw new EcgError(`threads must be a positive integer up to ${max}, got ${threads}`);
  loadAddon().setNumThreads(threads);
}

export function getNumThreads(): number {
  return loadAddon().getNumThreads();
}

/** Seeds libtorch's generator (initialisation, dropout, randn). */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new EcgError(`seed must be a non-negative integer, got ${seed}`);
  loadAddon().manualSeed(seed);
}

/**
 * Gives cached and free memory back to the OS: empties the tensor cache (the freed tensor blocks it keeps for reuse)
 * and returns glibc malloc's free pages (malloc_trim). Call it after a phase that will not repeat, e.g. training
 * before serving; a training loop does not need it (the cache never holds more than the live peak).
 */
export function releaseFreeMemory(): void {
  loadAddon().releaseFreeMemory();
}

/** The tensor cache's counters and glibc's heap totals (ARCHITECTURE.md, "Memory"). */
export function allocatorStats(): AllocatorStats {
  return loadAddon().allocatorStats();
}

/**
 * Serves CPU tensors of 64 KiB and more from the tensor cache (default: on) or from libtorch's default allocator
 * (glibc malloc). Applies to tensors created afterwards; existing ones are freed by the allocator that made them.
 */
export function setTensorCache(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new EcgError(`enabled must be a boolean, got ${String(enabled)}`);
  loadAddon().setTensorCache(enabled);
}

/**
 * Sets a glibc mallopt() parameter (bytes, or arenas for arenaMax) for the memory the tensor cache does not serve.
 * Setting mmapThreshold, trimThreshold or topPad disables glibc's dynamic mmap threshold. Returns false when the C
 * library is not glibc or rejects the value.
 */
export function setAllocatorOption(name: AllocatorOption, value: number): boolean {
  if (!ALLOCATOR_OPTIONS.includes(name))
    throw new EcgError(
      `allocator option must be one of ${ALLOCATOR_OPTIONS.join(', ')}, got ${String(name)}`,
    );
  if (!Number.isSafeInteger(value) || value < 0 || value > 2 ** 31 - 1)
    throw new EcgError(`allocator option ${name} must be an integer in [0, 2^31 - 1], got ${value}`);
  return loadAddon().setAllocatorOption(name, value);
}
