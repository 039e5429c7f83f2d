/**
 * Preprocessing as data: a JSON config (saved in cache indexes and with models) and the function it stands
 * for, built from src/signal. A custom Preprocessor can be passed instead, as long as its config describes it.
 */
import type { EcgRecord } from '../../io/record.js';
import { bandpass, resample, standardize } from '../../signal/index.js';
import { toMillivolts } from '../../signal/units.js';

export interface PreprocessConfig {
  /** Resample every lead to this rate (Hz); null keeps the source rate. */
  resampleTo: number | null;
  /** Zero-phase Butterworth band-pass [low, high] Hz (order 2, forward-backward); null for none. */
  bandpass: [number, number] | null;
  /** z-score every lead; without it, leads are brought to millivolts (signal/units.ts). */
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
    // `amplitude` keys caches made since leads without standardisation are converted to mV.
    config: { kind: 'standard', ...config, ...(config.standardize ? {} : { amplitude: 'mV' }) },
    apply: (record) => {
      const fs = config.resampleTo ?? record.fs;
      const band = config.bandpass;
      const signals = record.signals.map((lead, l) => {
        // A lead with no valid sample (absent in a segment, all invalid codes) has no gap to bridge: it stays NaN,
        // as it does without filtering, rather than failing the whole dataset.
        if (!hasFinite(lead)) return nanLead(lead, record.fs, fs);
        // NaN gaps are bridged for filtering and restored, so that invalid samples stay visible.
        let x = fs === record.fs ? lead : resample(lead, record.fs, fs, { nan: 'bridge' });
        if (band !== null) x = bandpass(x, fs, band[0], band[1], 2, { nan: 'bridge' });
        return config.standardize
          ? standardize(x)
          : toMillivolts(x, record.units[l] ?? 'mV', `record ${record.name}, lead ${record.leads[l]}`);
      });
      const units = record.units.map(() => (config.standardize ? 'z' : 'mV'));
      return { ...record, fs, signals, units };
    },
  };
}

function hasFinite(x: Float32Array): boolean {
  for (const value of x) if (Number.isFinite(value)) return true;
  return false;
}

/** An all-NaN lead at the rate `to`, as long as the record's other leads come out of the resampler. */
function nanLead(lead: Float32Array, from: number, to: number): Float32Array {
  const length = from === to ? lead.length : resample(new Float32Array(lead.length), from, to).length;
  return new Float32Array(length).fill(NaN);
}
