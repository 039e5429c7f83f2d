/** Signal processing: filters, resampling, normalisation (and, from other modules, QRS detection and more). */
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
