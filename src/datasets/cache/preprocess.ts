/**
 * Preprocessing as data: a JSON config (saved in cache indexes and with models) and the function it stands
 * for, built from src/signal. A custom Preprocessor can be passed instead, as long as its config describes it.
 */
import type { EcgRecord } from '../../io/record.js';
import { bandpass, resample, standardize } from '../../signal/index.js';

export interface PreprocessConfig {
  /** Resample every lead to this rate (Hz); null keeps the source rate. */
  resampleTo: number | null;
  /** Zero-phase Butterworth band-pass [low, high] Hz (order 2, forward-backward); null for none. */
  bandpass: [number, number] | null;
  /** z-score every lead. */
  standardize: boolean;
}

export interface Preprocessor {
  /** JSON-serialisable description: part of the cache key, so two different functions need two configs. */
  config: unknown;
  apply(record: EcgRecord): EcgRecord | Promise<EcgRecord>;
}

export const NO_PREPROCESSING: PreprocessConfig = { resampleTo: null, bandpass: null, standardize: false };

export function preprocessorFromConfig(config: PreprocessConfig): Preprocessor {
  return {
    config: { kind: 'standard', ...config },
    apply: (record) => {
      const fs = config.resampleTo ?? record.fs;
      const band = config.bandpass;
      const signals = record.signals.map((lead) => {
        // NaN gaps are bridged for filtering and restored, so that invalid samples stay visible.
        let x = fs === record.fs ? lead : resample(lead, record.fs, fs, { nan: 'bridge' });
        if (band !== null) x = bandpass(x, fs, band[0], band[1], 2, { nan: 'bridge' });
        return config.standardize ? standardize(x) : x;
      });
      const units = config.standardize ? record.units.map(() => 'z') : record.units;
      return { ...record, fs, signals, units };
    },
  };
}
