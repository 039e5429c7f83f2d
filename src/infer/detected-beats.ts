/**
 * Beat models on records without beat annotations (`efficientecg predict`, the server, the web page): the R peaks of the QRS
 * detector become the beats to classify, with RR features by the MIT-BIH rule of src/datasets/mitdb/aami.ts.
 * Browser-safe.
 */
import { beatsFromAnnotations } from '../datasets/mitdb/aami.js';
import type { EcgRecord } from '../io/record.js';
import { detectQrs } from '../signal/qrs.js';
import type { BeatInput, BeatPrediction, Predictor } from './predictor.js';

/**
 * An R peak closer than this to the record's first or last sample has its QRS complex cut by the edge. Such beats
 * are not classified: on 724 PTB-XL records with no ectopy, fibrillation or pacing in their statements, the beat
 * default called 48 of 174 of them S, V or F, against 71 of 8,137 beats away from the edges (docs/beats.md,
 * "Records from other sources"). 0.1 s is the QRS half-width the cluster vote also uses.
 */
export const EDGE_QRS_SECONDS = 0.1;

/** R peaks -> the beats to classify (the first and last beat borrow their neighbour's RR interval). */
export function beatsOfPeaks(rPeaks: ArrayLike<number>, fs: number): BeatInput[] {
  return beatsFromAnnotations(
    Array.from(rPeaks, (sample) => ({ sample, symbol: 'N' })),
    fs,
  );
}

/** The detected beats a beat model classifies, and how many were left out at the edges. */
export interface ClassifiableBeats {
  /** Every detected beat, in time order: the model's inputs (intervals, templates, the gate) read them all. */
  detected: BeatInput[];
  /** Per detected beat, whether it is classified: predictBeats' `classify`. */
  classify: boolean[];
  /** The classified beats. */
  beats: BeatInput[];
  /** Detected beats whose QRS the record's edge cuts (within EDGE_QRS_SECONDS of either end): not classified. */
  partial: number;
  /** The notice `predict` shows: how many beats the detector found and how many were left out. */
  notice: string;
}

/**
 * R peaks of a record of `length` samples -> the beats to classify: every peak stays in the model's inputs (so the
 * beats next to a left-out one keep their true intervals, as in training), the beats whose QRS is cut by an edge are
 * not classified.
 */
export function classifiableBeats(rPeaks: ArrayLike<number>, fs: number, length: number): ClassifiableBeats {
  const margin = EDGE_QRS_SECONDS * fs;
  const detected = beatsOfPeaks(rPeaks, fs);
  const classify = detected.map((beat) => beat.sample >= margin && beat.sample < length - margin);
  const beats = detected.filter((_, b) => classify[b]);
  const partial = detected.length - beats.length;
  const found = `${detected.length} beats found by the QRS detector (src/signal/qrs)`;
  const notice =
    partial === 0
      ? found
      : `${found}; ${partial} of them not classified: their QRS is cut by the record's start or end ` +
        `(R peak within ${EDGE_QRS_SECONDS} s of it)`;
  return { detected, classify, beats, partial, notice };
}

/** Every beat the QRS detector finds (all leads) classified by a beat model, with a notice saying how many. */
export async function predictDetectedBeats(
  predictor: Pick<Predictor, 'predictBeats'>,
  record: EcgRecord,
): Promise<BeatPrediction> {
  const length = record.signals[0]?.length ?? 0;
  const found = classifiableBeats(detectQrs(record.signals, record.fs).rPeaks, record.fs, length);
  const prediction = await predictor.predictBeats(record, found.detected, { classify: found.classify });
  prediction.notices.unshift(found.notice);
  return prediction;
}
