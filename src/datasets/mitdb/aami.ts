/**
 * MIT-BIH Arrhythmia beat classes (pure): the AAMI EC57 grouping of beat annotation symbols, the de Chazal
 * et al. (2004) inter-patient split, and RR-interval features per beat.
 */
import type { Sex } from '../../io/record.js';

export const AAMI_CLASSES = ['N', 'S', 'V', 'F', 'Q'] as const;
export type AamiClass = (typeof AAMI_CLASSES)[number];

/** MIT annotation symbol -> AAMI class, as de Chazal 2004 groups them. Other symbols are not beats we classify. */
export const AAMI_CLASS_OF_SYMBOL: Readonly<Record<string, AamiClass>> = {
  N: 'N', L: 'N', R: 'N', e: 'N', j: 'N',
  A: 'S', a: 'S', J: 'S', S: 'S',
  V: 'V', E: 'V',
  F: 'F',
  '/': 'Q', f: 'Q', Q: 'Q',
}; // prettier-ignore

/** Every beat annotation symbol of the MIT format (for RR intervals), mapped to an AAMI class or not. */
const BEAT_SYMBOLS = new Set([...Object.keys(AAMI_CLASS_OF_SYMBOL), 'B', 'r', 'n', '?']);

export function isBeatSymbol(symbol: string): boolean {
  return BEAT_SYMBOLS.has(symbol);
}

/** de Chazal, O'Dwyer & Reilly 2004: train on DS1, test on DS2, paced records excluded. */
export const MITDB_DS1 = ['101', '106', '108', '109', '112', '114', '115', '116', '118', '119', '122', '124', '201', '203', '205', '207', '208', '209', '215', '220', '223', '230'] as const; // prettier-ignore
export const MITDB_DS2 = ['100', '103', '105', '111', '113', '117', '121', '123', '200', '202', '210', '212', '213', '214', '219', '221', '222', '228', '231', '232', '233', '234'] as const; // prettier-ignore
export const MITDB_PACED = ['102', '104', '107', '217'] as const;

export interface Annotation {
  sample: number;
  symbol: string;
}

export interface Beat {
  /** Sample index of the annotated R peak. */
  sample: number;
  symbol: string;
  aami: AamiClass;
  /** Seconds from the previous beat (the next one for the first beat). */
  rrPrevious: number;
  /** Seconds to the next beat (the previous one for the last beat). */
  rrNext: number;
  /** Mean RR (s) over the `localBeats` intervals centred on this beat. */
  rrLocal: number;
  /** Mean RR (s) over the whole record. */
  rrRecord: number;
}

export interface BeatOptions {
  /** Number of RR intervals averaged for `rrLocal` (centred). de Chazal uses a +-5 beat neighbourhood. */
  localIntervals: number;
}

export const DEFAULT_BEAT_OPTIONS: BeatOptions = { localIntervals: 10 };

/**
 * Beats of a record with AAMI class and RR features. RR intervals use every beat annotation (also symbols
 * outside the AAMI map); only AAMI-mapped beats are returned. All beats are kept, also those in the first and
 * last seconds: that is how de Chazal's DS1 table (N 45,866 S 944 V 3,788 F 415 Q 8) counts.
 */
export function beatsFromAnnotations(
  annotations: readonly Annotation[],
  fs: number,
  options = DEFAULT_BEAT_OPTIONS,
): Beat[] {
  const beats = annotations.filter((annotation) => isBeatSymbol(annotation.symbol));
  const rr = beats.slice(1).map((beat, i) => (beat.sample - (beats[i] as Annotation).sample) / fs);
  if (rr.length === 0) return [];
  const rrRecord = rr.reduce((sum, value) => sum + value, 0) / rr.length;
  const prefix = [0];
  for (const value of rr) prefix.push((prefix[prefix.length - 1] as number) + value);
  const half = Math.max(1, Math.floor(options.localIntervals / 2));
  const result: Beat[] = [];
  beats.forEach((beat, i) => {
    const aami = Object.hasOwn(AAMI_CLASS_OF_SYMBOL, beat.symbol)
      ? AAMI_CLASS_OF_SYMBOL[beat.symbol]
      : undefined;
    if (aami === undefined) return;
    // Interval i-1 ends at beat i, interval i starts at beat i.
    const previous = rr[i - 1] ?? (rr[i] as number);
    const next = rr[i] ?? (rr[i - 1] as number);
    const lo = Math.max(0, i - half);
    const hi = Math.min(rr.length, i + half);
    const rrLocal = ((prefix[hi] as number) - (prefix[lo] as number)) / (hi - lo);
    result.push({
      sample: beat.sample,
      symbol: beat.symbol,
      aami,
      rrPrevious: previous,
      rrNext: next,
      rrLocal,
      rrRecord,
    });
  });
  return result;
}

export function aamiCounts(beats: readonly Pick<Beat, 'aami'>[]): Record<AamiClass, number> {
  const counts = { N: 0, S: 0, V: 0, F: 0, Q: 0 };
  for (const beat of beats) counts[beat.aami]++;
  return counts;
}

/**
 * Age and sex from the first header comment of an MIT-BIH record ("75 F 1011 654 x1"); "?" or -1 mean unknown.
 */
export function mitdbPatient(firstComment: string | undefined): { age: number | null; sex: Sex } {
  const [ageText, sexText] = (firstComment ?? '').trim().split(/\s+/);
  const age = Number(ageText);
  const sex: Sex = sexText === 'M' ? 'male' : sexText === 'F' ? 'female' : 'unknown';
  return { age: Number.isFinite(age) && age >= 0 && ageText !== '' ? age : null, sex };
}

export interface BeatWindow {
  beat: Beat;
  /** leads x (before + after) samples, lead-major. Out-of-record samples repeat the edge sample. */
  window: Float32Array;
  /** True when the window ran over the start or end of the record (edge samples repeated). */
  padded: boolean;
}

/**
 * A window of `before` samples before and `after` samples from each beat's R peak (inclusive of the peak).
 * Beats near the edges are kept, edge-padded and flagged, so that counts stay equal to the annotation counts.
 */
export function beatWindows(
  signals: readonly Float32Array[],
  beats: readonly Beat[],
  before: number,
  after: number,
): BeatWindow[] {
  const width = before + after;
  const length = signals[0]?.length ?? 0;
  return beats.map((beat) => {
    const window = new Float32Array(signals.length * width);
    const start = beat.sample - before;
    const padded = start < 0 || start + width > length;
    signals.forEach((signal, lead) => {
      for (let k = 0; k < width; k++) {
        const index = Math.min(length - 1, Math.max(0, start + k));
        window[lead * width + k] = signal[index] as number;
      }
    });
    return { beat, window, padded };
  });
}
