/** Signal processing: filters, resampling, normalisation, QRS detection, wave delineation and rhythm features. */
export {
  butter,
  iirnotch,
  sosfilt,
  sosfiltfilt,
  sosfiltZi,
  sosfiltfiltPadlen,
  bandpass,
  notch,
  removeBaseline,
  type Sos,
  type SosSection,
  type FilterType,
  type NanOptions,
  type Samples,
} from './filters.js';
export { resample, resamplePoly, kaiserLowpass } from './resample.js';
export { standardize, standardizeRecord, leadStats, type LeadStats } from './normalize.js';
export { detectQrs, type QrsDetection, type QrsFlag, type QrsOptions } from './qrs.js';
export {
  delineateBeats,
  type BeatDelineation,
  type WavePoints,
  type DelineationOptions,
} from './delineate.js';
export {
  rhythmFeatures,
  featuresFromBeats,
  rrStatistics,
  sampleEntropy,
  type RhythmFeatures,
  type RhythmInput,
  type BeatRhythm,
} from './rhythm.js';
export { recordRhythm, type RecordRhythm } from './rhythm-record.js';
