/** Process-wide engine settings: intra-op threads and the random seed. */
import { EcgError } from '../errors.js';
import { loadAddon } from './binding.js';

/** Intra-op threads for libtorch (the addon starts with one per core; Debian's libtorch default is 1). */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1)
    throw new EcgError(`threads must be a positive integer, got ${threads}`);
  loadAddon().setNumThreads(threads);
}

export function getNumThreads(): number {
  return loadAddon().getNumThreads();
}

/** Seeds libtorch's generator (initialisation, dropout, randn). */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0)
    throw new EcgError(`seed must be a non-negative integer, got ${seed}`);
  loadAddon().manualSeed(seed);
}
