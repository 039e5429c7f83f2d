/**
 * Beat models in the page, as `efficientecg predict` runs them (src/infer/predict-file.ts): R peaks from
 * src/signal/qrs on all the record's leads, RR features from those peaks over the whole record (the MIT-BIH rule of
 * src/datasets/mitdb/aami.ts), beats whose QRS the record's edge cuts not classified (src/infer/detected-beats.ts),
 * then one Predictor.predictBeats call over all of them, so context, templates, cluster vote and gate see the whole
 * record as in the CLI. Its onnxruntime runs report progress and the page pauses between them, so it repaints and
 * stays responsive on a 30 min record, and a newer request can stop the work.
 */
import { classifiableBeats } from '../../src/infer/detected-beats.js';
import { PredictionStoppedError } from '../../src/errors.js';
import type { ModelInfo } from '../../src/infer/metadata.js';
import { modelQuality } from '../../src/infer/diagnose.js';
import { withDerivedLeads } from '../../src/infer/prepare.js';
import type { Predictor } from '../../src/infer/predictor.js';
import type { EcgRecord } from '../../src/io/record.js';
import type { QualityReport } from '../../src/signal/quality.js';

/** Beats per onnxruntime run: at least `minBeats` (runs are efficient), at most `maxBatches` runs however long. */
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
  /** Called before the first and after every onnxruntime run; false stops the run (another record or model). */
  onProgress: (done: number, total: number) => boolean;
  batching?: BeatBatching;
}

export function batchSize(total: number, batching: BeatBatching = BEAT_BATCHES): number {
  return Math.max(batching.minBeats, Math.ceil(total / batching.maxBatches));
}

/**
 * The quality gate diagnose() runs for a beat model (src/infer/diagnose.ts): on the leads the model reads (derived
 * ones included), so a flat lead it ignores never blocks: diagnose()'s own gate, modelQuality.
 */
export function beatQuality(
  record: EcgRecord,
  info: Pick<ModelInfo, 'leads' | 'task' | 'windowSamples' | 'fs'>,
): QualityReport {
  return modelQuality(withDerivedLeads(record, info.leads).record, info);
}

/** Lets the browser paint and handle input between batches. */
export const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Classifies every detected beat; null when `onProgress` stopped the run. */
export async function classifyBeats(
  predictor: Predictor,
  record: EcgRecord,
  rPeaks: Int32Array,
  run: BeatRun,
): Promise<ClassifiedBeats | null> {
  const { detected, classify, beats, notice } = classifiableBeats(
    rPeaks,
    record.fs,
    record.signals[0]?.length ?? 0,
  );
  if (!run.onProgress(0, beats.length)) return null;
  await pause();
  try {
    const prediction = await predictor.predictBeats(record, detected, {
      classify,
      batchSize: batchSize(beats.length, run.batching),
      onProgress: async (done, total) => {
        const going = run.onProgress(done, total);
        await pause();
        return going;
      },
    });
    return {
      beats: prediction.beats.map(({ sample, label }) => ({ sample, label })),
      counts: prediction.counts,
      notices: [notice, ...prediction.notices],
      untrained: prediction.untrained,
    };
  } catch (error) {
    if (error instanceof PredictionStoppedError) return null;
    throw error;
  }
}
