/**
 * Seeded randomness for training data, independent of libtorch's generator: a counter-keyed 32-bit hash picks the
 * stream (seed, epoch, step, ...) and a small PRNG (sfc32) draws from it. Any batch can therefore be rebuilt from its
 * key alone, whichever worker builds it and in whichever order the workers finish.
 */

/** Mixes integers into one 32-bit value (murmur3 finaliser over a running combination). */
export function hashKey(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Fold values above 2^32 in as two words so large seeds stay distinct.
    const low = part >>> 0;
    const high = Math.floor(part / 2 ** 32) >>> 0;
    h = fmix(h ^ fmix(low + 0x85ebca6b));
    h = fmix(h ^ fmix(high + 0xc2b2ae35));
  }
  return h >>> 0;
}

function fmix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic stream of uniforms in [0, 1). */
export interface Random {
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/** sfc32 seeded from hashKey(parts): fast, 128-bit state, good enough for augmentation and shuffling. */
export function seededRandom(...parts: readonly number[]): Random {
  let a = hashKey(...parts, 1);
  let b = hashKey(...parts, 2);
  let c = hashKey(...parts, 3);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // Warm-up: the first outputs of sfc32 are correlated with the seed.
  return {
    next,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    int: (n) => Math.min(n - 1, Math.floor(next() * n)),
  };
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Stream purposes, so that the epoch order, a batch's augmentation and libtorch's seed never share a stream. */
export const STREAM = { order: 1, augment: 2, torch: 3, tokenDropout: 4 } as const;

/**
 * The extra key of data-parallel rank `rank`'s streams: ranks > 0 draw their own augmentation, token dropout and
 * dropout masks (their part of a batch holds other examples); rank 0 adds nothing, so a single process and rank 0
 * keep the keys every earlier run used.
 */
export function rankKey(rank: number): number[] {
  return rank === 0 ? [] : [rank];
}

/** The libtorch seed of one training step (dropout, stochastic depth) on data-parallel rank `rank`: 31-bit. */
export function torchSeed(seed: number, epoch: number, step: number, rank = 0): number {
  return hashKey(seed, epoch, step, STREAM.torch, ...rankKey(rank)) & 0x7fffffff;
}
