/**
 * Batch assembly from the shared samples, pure and engine-free (loader workers import it): training crops at a
 * random start (the time-shift augmentation) with the other augmentations, and fixed validation windows.
 * Everything random comes from seededRandom(seed, epoch, step): a batch is a function of its key.
 */
import type { AugmentConfig } from './config.js';
import type { SampleStore } from './data.js';
import { rankKey, seededRandom, STREAM, type Random } from './random.js';

export type ShortRecords = 'zero-pad' | 'repeat';

export interface WindowSpec {
  /** Window length in samples. */
  samples: number;
  shortRecords: ShortRecords;
  fs: number;
}

/** A training batch to build: entry indices and the key of its random stream. */
export interface BatchRequest {
  indices: number[];
  seed: number;
  epoch: number;
  step: number;
  /** Data-parallel rank building its part of the batch (src/train/random.ts rankKey); 0 alone. */
  rank?: number;
}

/**
 * Copies `length` samples of one lead starting at `start` into `out` (length `window`); a record shorter than the
 * window lands at `shift` with zeros around it, or is tiled from its start when `repeat`.
 */
function copyLead(
  source: Float32Array,
  out: Float32Array,
  start: number,
  shift: number,
  shortRecords: ShortRecords,
): void {
  const window = out.length;
  if (source.length >= window) {
    out.set(source.subarray(start, start + window));
  } else if (shortRecords === 'repeat' && source.length > 0) {
    // Sample i of the tiled record is (i - shift) mod length; shift may exceed i + length (records under half a window).
    const n = source.length;
    for (let i = 0; i < window; i++) out[i] = source[(((i - shift) % n) + n) % n]!;
  } else {
    out.fill(0);
    out.set(source, shift);
  }
}

/** The lead views of record `index` (no copy). */
export function recordLeads(store: SampleStore, index: number): Float32Array[] {
  const { offset, length } = store.slots[index]!;
  return Array.from({ length: store.leads }, (_, lead) =>
    store.samples.subarray(offset + lead * length, offset + (lead + 1) * length),
  );
}

/** Writes one window of record `index` into `out` ([leads, window] at its start). */
export function writeWindow(
  store: SampleStore,
  index: number,
  window: WindowSpec,
  start: number,
  shift: number,
  out: Float32Array,
): void {
  recordLeads(store, index).forEach((lead, l) => {
    copyLead(
      lead,
      out.subarray(l * window.samples, (l + 1) * window.samples),
      start,
      shift,
      window.shortRecords,
    );
  });
}

/**
 * Training batch [indices.length, leads, window.samples], augmented. `reuse`, when it has the batch's length, is
 * cleared and filled instead of allocating (the loader's recycled buffers).
 */
export function assembleTrainingBatch(
  store: SampleStore,
  window: WindowSpec,
  augment: AugmentConfig,
  request: BatchRequest,
  reuse?: Float32Array,
): Float32Array {
  const size = store.leads * window.samples;
  const length = request.indices.length * size;
  const batch = reuse?.length === length ? reuse.fill(0) : new Float32Array(length);
  const random = seededRandom(
    request.seed,
    request.epoch,
    request.step,
    STREAM.augment,
    ...rankKey(request.rank ?? 0),
  );
  request.indices.forEach((index, b) => {
    const out = batch.subarray(b * size, (b + 1) * size);
    const length = store.slots[index]!.length;
    const slack = Math.abs(length - window.samples);
    // Long records: random crop start; short ones: random placement (zero-pad) or phase (repeat).
    const offset = random.int(slack + 1);
    writeWindow(store, index, window, length >= window.samples ? offset : 0, offset, out);
    augmentExample(out, store.leads, window, augment, random);
  });
  return batch;
}

/** Amplitude scaling, noise, baseline wander, lead dropout, in that order (each draws its parameters only when it fires). */
export function augmentExample(
  example: Float32Array,
  leads: number,
  window: WindowSpec,
  augment: AugmentConfig,
  random: Random,
): void {
  const n = window.samples;
  if (augment.scale.p > 0 && random.next() < augment.scale.p) {
    const factor = 1 + augment.scale.strength * (2 * random.next() - 1);
    for (let i = 0; i < example.length; i++) example[i] = example[i]! * factor;
  }
  if (augment.noise.p > 0 && random.next() < augment.noise.p) {
    for (let i = 0; i < example.length; i++) example[i] = example[i]! + augment.noise.std * random.normal();
  }
  if (augment.wander.p > 0 && random.next() < augment.wander.p) {
    const amplitude = augment.wander.amplitude * random.next();
    const omega = (2 * Math.PI * augment.wander.maxHz * (1 - random.next())) / window.fs;
    const phase = 2 * Math.PI * random.next();
    for (let l = 0; l < leads; l++) {
      for (let i = 0; i < n; i++)
        example[l * n + i] = example[l * n + i]! + amplitude * Math.sin(omega * i + phase);
    }
  }
  if (augment.leadDropout.p > 0 && leads > 1) dropLeads(example, leads, n, augment.leadDropout.p, random);
}

function dropLeads(example: Float32Array, leads: number, n: number, p: number, random: Random): void {
  const dropped = Array.from({ length: leads }, () => random.next() < p);
  if (dropped.every(Boolean)) dropped[random.int(leads)] = false; // keep at least one lead
  dropped.forEach((drop, l) => {
    if (drop) example.fill(0, l * n, (l + 1) * n);
  });
}

/** Validation windows start where inference's do (one rule, src/signal/windows.ts). */
export { windowStarts } from '../signal/windows.js';
