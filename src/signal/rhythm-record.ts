/**
 * The record-level rhythm features a fusion model's `rhythm` token reads (src/models/fusion rhythmGroup). Training
 * (src/train/data.ts) and inference (src/infer/predictor.ts) both compute them here, from the same prepared signal
 * (the model's rate, band-pass and z-score) with its NaN gaps still NaN (training's preprocessed record before its
 * store reads them as 0, inference's prepareRecord `withGaps`), so the token means the same thing in both: the
 * detectors bridge the gaps and place nothing on them. Browser-safe.
 */
import { rhythmFeatures, type RhythmFeatures } from './rhythm.js';

export type RecordRhythm = Pick<
  RhythmFeatures,
  'rrMeanMs' | 'sdnnMs' | 'rmssdMs' | 'rrCv' | 'rrSampleEntropy' | 'pWaveRatio'
>;

/** null when detection fails on the record (the token is then missing, not invented). */
export function recordRhythm(record: {
  fs: number;
  signals: Float32Array[];
  leads?: string[];
}): RecordRhythm | null {
  try {
    // Without units on purpose: trained tokens read the prepared signal with the delineator's floors as they are.
    const f = rhythmFeatures({
      fs: record.fs,
      signals: record.signals,
      ...(record.leads ? { leads: record.leads } : {}),
    });
    return {
      rrMeanMs: f.rrMeanMs,
      sdnnMs: f.sdnnMs,
      rmssdMs: f.rmssdMs,
      rrCv: f.rrCv,
      rrSampleEntropy: f.rrSampleEntropy,
      pWaveRatio: f.pWaveRatio,
    };
  } catch {
    return null;
  }
}
