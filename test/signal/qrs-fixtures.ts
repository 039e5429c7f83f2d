/** Shared test helpers for the rhythm-feature tests: the real fixtures and a synthetic ECG generator. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../src/util/random.js';

const DIR = fileURLToPath(new URL('../fixtures/qrs/', import.meta.url));

export interface RrGolden {
  rr_ms: number[];
  rr_mean_ms: number;
  heart_rate_bpm: number;
  sdnn_ms: number;
  rmssd_ms: number;
  pnn50: number;
  rr_cv: number;
  rr_sample_entropy: number | null;
}

export interface MitdbExcerpt {
  fs: number;
  length: number;
  leads: string[];
  signals: Float32Array[];
  beats: number[];
  golden: RrGolden;
}

export interface LudbLead {
  fs: number;
  signal: Float32Array;
  samples: number[];
  symbols: string[];
}

function int16(path: string): Int16Array {
  const bytes = readFileSync(path);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Int16Array(copy.buffer);
}

/** 60 s of MIT-BIH record 101 or 208 (both leads, mV) with its reference beats and golden RR statistics. */
export function mitdbExcerpt(record: '101' | '208'): MitdbExcerpt {
  const meta = JSON.parse(readFileSync(`${DIR}mitdb_${record}.json`, 'utf8'));
  const digital = int16(`${DIR}mitdb_${record}.bin`);
  const leads = meta.leads.length as number;
  const signals = meta.leads.map((_: string, l: number) => {
    const out = new Float32Array(meta.length);
    for (let i = 0; i < meta.length; i++)
      out[i] = (digital[i * leads + l]! - meta.baseline[l]) / meta.gain[l];
    return out;
  });
  return {
    fs: meta.fs,
    length: meta.length,
    leads: meta.leads,
    signals,
    beats: meta.beats,
    golden: meta.golden,
  };
}

/** LUDB record lead II (mV) with the experts' lead-II annotations. */
export function ludbLead(record: '2' | '8' | '9'): LudbLead {
  const meta = JSON.parse(readFileSync(`${DIR}ludb_${record}.json`, 'utf8'));
  const digital = int16(`${DIR}ludb_${record}.bin`);
  const signal = Float32Array.from(digital, (d) => (d - meta.baseline) / meta.gain);
  return { fs: meta.fs, signal, samples: meta.samples, symbols: meta.symbols };
}

/** Expert fiducial samples of one kind: '(' before / ')' after a peak symbol ('p', 'N', 't'), or the peak. */
export function expertPoints(
  lead: LudbLead,
  symbol: 'p' | 'N' | 't',
  which: 'onset' | 'peak' | 'offset',
): number[] {
  const out: number[] = [];
  lead.symbols.forEach((s, i) => {
    if (s !== symbol) return;
    if (which === 'peak') out.push(lead.samples[i]!);
    if (which === 'onset' && lead.symbols[i - 1] === '(') out.push(lead.samples[i - 1]!);
    if (which === 'offset' && lead.symbols[i + 1] === ')') out.push(lead.samples[i + 1]!);
  });
  return out;
}

export { seededRandom };

/**
 * A synthetic lead: sum of Gaussian waves per beat (P, Q, R, S, T; amplitudes in mV, centres and widths in s
 * relative to the R peak), R peaks at `beatTimes` seconds, `seconds` long at `fs` Hz.
 */
export function syntheticEcg(fs: number, seconds: number, beatTimes: number[], withP = true): Float32Array {
  const waves = [
    { a: withP ? 0.15 : 0, c: -0.2, w: 0.025 },
    { a: -0.1, c: -0.03, w: 0.008 },
    { a: 1.2, c: 0, w: 0.01 },
    { a: -0.25, c: 0.03, w: 0.008 },
    { a: 0.3, c: 0.28, w: 0.045 },
  ];
  const out = new Float32Array(Math.round(seconds * fs));
  for (const beat of beatTimes) {
    for (const { a, c, w } of waves) {
      const centre = (beat + c) * fs;
      const from = Math.max(0, Math.floor(centre - 5 * w * fs));
      const to = Math.min(out.length - 1, Math.ceil(centre + 5 * w * fs));
      for (let i = from; i <= to; i++) out[i]! += a * Math.exp(-0.5 * ((i - centre) / (w * fs)) ** 2);
    }
  }
  return out;
}

/** Beat times with a steady rate and a small seeded jitter, starting at `first` s. */
export function beatTimes(seconds: number, rrS: number, seed = 1, first = 0.5): number[] {
  const random = seededRandom(seed);
  const times: number[] = [];
  for (let t = first; t < seconds - 0.3; t += rrS * (0.9 + 0.2 * random())) times.push(t);
  return times;
}
