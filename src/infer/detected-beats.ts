/**
 * Beat models on records without beat annotations (`efficientecg predict`, the server, the web page): the R peaks of the QRS
 * detector become the beats to classify, with RR features by the MIT-BIH rule of src/datasets/mitdb/aami.ts.
 * Browser-safe.
 */
import { beatsFromAnnotations } from '../datasets/mitdb/aami.js';
import type { EcgRecord } from '../io/record.js';
import { detectQrs } from '../signal/qrs.js';
import type { BeatInput, BeatPrediction, Predictor } from './predictor.js';

/** R peaks -> the beats to classify (the first and last beat borrow their neighbour's RR interval). */
export function beatsOfPeaks(rPeaks: ArrayLike<number>, fs: number): BeatInput[] {
  return beatsFromAnnotations(
    Array.from(rPeaks, (sample) => ({ sample, symbol: 'N' })),
    fs,
  );
}

/** Every beat the QRS detector finds (all leads) classified by a beat model, with a notice saying how many. */
export async function predictDetectedBeats(
  predictor: Pick<Predictor, 'predictBeats'>,
  record: EcgRecord,
): Promise<BeatPrediction> {
  const beats = beatsOfPeaks(detectQrs(record.signals, record.fs).rPeaks, record.fs);
  const prediction = await predictor.predictBeats(record, beats);
  prediction.notices.unshift(`${beats.length} beats found by the QRS detector (src/signal/qrs)`);
  return prediction;
}
