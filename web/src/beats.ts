/**
 * Beat models in the page, as `efficientecg predict` runs them (src/infer/predict-file.ts): R peaks from
 * src/signal/qrs on all the record's leads, RR features from those peaks over the whole record (the MIT-BIH rule of
 * src/datasets/mitdb/aami.ts), beats whose QRS the record's edge cuts left out (src/infer/detected-beats.ts), then
 * Predictor.predictBeats. The beats go in batches with a pause between them, so
 * the page repaints (progress) and stays responsive on a 30 min record, and a newer request can stop the work.
 */
import { beatsOfPeaks, classifiableBeats } from '../../src/infer/detected-beats.js';
import type { Predictor } from '../../src/infer/predictor.js';

export { beatsOfPeaks };
import type { EcgRecord } from '../../src/io/record.js';

/**
 * Each predictBeats call prepares (resamples, filters, standardises) the whole record again, so batches are large:
 * at least `minBeats`, and at most `maxBatches` of them however long the record.
 */
export const BEAT_BATCHES = { minBeats: 256, maxBatches: 8 } as const;

export interface BeatBatching {
  minBeats: number;
  maxBatches: number;
}

export interface ClassifiedBeats {
  /** Class per beat, in time order. */
  beats: Array<{ sample: number; label: string }>;
  /** Beats per class, every class of the model (its output order). */
  counts: Record<string, number>;
  notices: string[];
  untrained: boolean;
}

export interface BeatRun {
  /** Called after every batch; false stops the run (another record or model was chosen). */
  onProgress: (done: number, total: number) => boolean;
  batching?: BeatBatching;
}

export function batchSize(total: number, batching: BeatBatching = BEAT_BATCHES): number {
  return Math.max(batching.minBeats, Math.ceil(total / batching.maxBatches));
}

/** Lets the browser paint and handle input between batches. */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Classifies every detected beat; null when `onProgress` stopped the run. */
export async function classifyBeats(
  predictor: Predictor,
  record: EcgRecord,
  rPeaks: Int32Array,
  run: BeatRun,
): Promise<ClassifiedBeats | null> {
  const { beats: inputs, notice } = classifiableBeats(rPeaks, record.fs, record.signals[0]?.length ?? 0);
  const labels = predictor.info.labels;
  const result: ClassifiedBeats = {
    beats: [],
    counts: Object.fromEntries(labels.map((label) => [label, 0])),
    notices: [notice],
    untrained: predictor.info.untrained,
  };
  const size = batchSize(inputs.length, run.batching);
  if (!run.onProgress(0, inputs.length)) return null;
  for (let from = 0; from < inputs.length; from += size) {
    await pause();
    const batch = await predictor.predictBeats(record, inputs.slice(from, from + size));
    if (from === 0) result.notices.push(...batch.notices);
    for (const { sample, label } of batch.beats) {
      result.beats.push({ sample, label });
      result.counts[label]! += 1;
    }
    if (!run.onProgress(Math.min(inputs.length, from + size), inputs.length)) return null;
  }
  if (inputs.length === 0) result.notices.push(...(await predictor.predictBeats(record, [])).notices);
  return result;
}
