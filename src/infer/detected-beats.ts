/**
 * Beat models on records without beat annotations (`efficientecg predict`, the web page): the R peaks of the QRS
 * detector become the beats to classify, with RR features by the MIT-BIH rule of src/datasets/mitdb/aami.ts.
 * Browser-safe.
 */
import { beatsFromAnnotations } from '../datasets/mitdb/aami.js';
import type { BeatInput } from './predictor.js';

/** R peaks -> the beats to classify (the first and last beat borrow their neighbour's RR interval). */
export function beatsOfPeaks(rPeaks: ArrayLike<number>, fs: number): BeatInput[] {
  return beatsFromAnnotations(
    Array.from(rPeaks, (sample) => ({ sample, symbol: 'N' })),
    fs,
  );
}
