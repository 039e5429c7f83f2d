/** Seeded random numbers for everything that must be reproducible (splits, bootstrap, fuzzing, augmentation). */

/** Largest seed of seededRandom (2^32 - 1). */
export const MAX_SEED = 0xffffffff;

/**
 * mulberry32: small and fast, with the same sequence on every platform; uniform in [0, 1). Its state is 32 bits:
 * a seed outside 0 .. 2^32 - 1 (or not whole) is refused, as it would silently be another seed's stream
 * (2^32 is 0's, -1 is 2^32 - 1's, 1.5 is 1's).
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`seed must be a whole number from 0 to ${MAX_SEED}, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
