/**
 * The fusion `beats` token in training: a PCA of single beats fitted on the training records only (a few evenly
 * spaced beats per record, so that long records do not dominate), then every record's pooled embedding
 * (src/signal/beat-embedding.ts, as the Predictor computes it at inference). Each record's beats are detected and
 * cut once (storedBeats) and serve both the fit and the token values.
 */
import { ConfigError } from '../errors.js';
import type { BeatPcaSpec } from '../models/fusion.js';
import {
  concatBeats,
  DEFAULT_BEAT_WINDOW,
  fitBeatPca,
  pcaOfSpec,
  pooledBeatFeatures,
  recordBeats,
  selectBeats,
  type BeatMatrix,
  type BeatWindow,
} from '../signal/beat-embedding.js';
import type { TrainingData } from './data.js';

export interface BeatPcaOptions {
  /** PCA components (the token has 2k values: k means, k SDs). */
  components: number;
  beatsPerRecord: number;
  window: BeatWindow;
  lead: number;
}

/** As measured in docs/beat-autoencoder.md: k = 16, 8 beats per record, -0.25..+0.45 s, the first lead. */
export const DEFAULT_BEAT_PCA: BeatPcaOptions = {
  components: 16,
  beatsPerRecord: 8,
  window: DEFAULT_BEAT_WINDOW,
  lead: 0,
};

/** Lead `lead` of stored record `index` (the prepared signal the model is trained on). */
export function storedLead(data: Pick<TrainingData, 'store'>, index: number, lead: number): Float32Array {
  const { samples, slots, leads } = data.store;
  const slot = slots[index]!;
  if (!(lead >= 0 && lead < leads))
    throw new ConfigError(`beats token: lead ${lead} is not among ${leads} leads`);
  return samples.subarray(slot.offset + lead * slot.length, slot.offset + (lead + 1) * slot.length);
}

/** Every stored record's beats on `lead` (entries order): R peaks detected and beats cut once per record. */
export function storedBeats(
  data: Pick<TrainingData, 'store' | 'fs'>,
  lead: number,
  window: BeatWindow,
): BeatMatrix[] {
  return data.store.slots.map((_, index) => recordBeats(storedLead(data, index, lead), data.fs, window));
}

/** The PCA of the training records' beats (`beats` from storedBeats), as the spec a `beats` token group stores. */
export function fitTrainingBeatPca(
  data: Pick<TrainingData, 'fs' | 'name'>,
  beats: readonly BeatMatrix[],
  train: readonly number[],
  options: BeatPcaOptions = DEFAULT_BEAT_PCA,
): BeatPcaSpec {
  const parts = train.map((index) => evenlySpaced(beats[index]!, options.beatsPerRecord));
  const joined = concatBeats(parts, parts[0]?.width ?? 0);
  if (joined.count < options.components) {
    throw new ConfigError(
      `beats token: ${joined.count} beats found in the ${train.length} training records of ${data.name}; a ${options.components}-component PCA needs more`,
    );
  }
  const pca = fitBeatPca(joined, options.components);
  const rows = (table: Float64Array, k: number) =>
    Array.from({ length: k }, (_, c) => Array.from(table.subarray(c * pca.width, (c + 1) * pca.width)));
  return {
    fs: data.fs,
    lead: options.lead,
    beforeSeconds: options.window.beforeSeconds,
    afterSeconds: options.window.afterSeconds,
    mean: Array.from(pca.mean),
    components: rows(pca.components, pca.k),
  };
}

/**
 * Every record's `beats` token values (entries order); null where a record has no whole beat. `beats` are the
 * records' beats cut as `spec` says (storedBeats with its lead and window).
 */
export function beatTokenValues(beats: readonly BeatMatrix[], spec: BeatPcaSpec): Array<number[] | null> {
  const pca = pcaOfSpec(spec);
  return beats.map((matrix) => pooledBeatFeatures(matrix, pca));
}

function evenlySpaced(beats: BeatMatrix, most: number): BeatMatrix {
  if (beats.count <= most) return beats;
  const rows = Array.from({ length: most }, (_, i) => Math.floor(((i + 0.5) * beats.count) / most));
  return selectBeats(beats, rows);
}
