/**
 * Pure reader of MIT-format WFDB annotation files (`.atr`, `.qrs`, LUDB's per-lead `.i` ... `.v6`), bytes in.
 *
 * Each annotation is a little-endian 16-bit word: the top 6 bits are the type code A, the low 10 bits the
 * interval I (samples since the previous annotation). Codes 59..63 are pseudo-annotations: SKIP (a 32-bit
 * interval follows, PDP-11 order: high word first), and NUM, SUB, CHN, AUX which modify the annotation that
 * precedes them (NUM and CHN carry over to later annotations). A zero word ends the file.
 */
import { FormatError } from '../../errors.js';
import { checkFileBytes, readLimits, type ReadLimits } from '../limits.js';

export interface WfdbAnnotation {
  /** Time in samples from the start of the record. */
  sample: number;
  /** Numeric type code (ecgcodes.h). */
  code: number;
  /** Mnemonic ("N", "V", "+", "(", ...). */
  symbol: string;
  subtype: number;
  chan: number;
  num: number;
  /** Auxiliary text (rhythm labels such as "(AFIB"), null when absent. */
  aux: string | null;
}

/** Standard annotation codes (WFDB ecgcodes.h), their mnemonics, and which label a beat (WFDB's isqrs). */
export const ANNOTATION_CODES: Record<number, { symbol: string; meaning: string; beat?: true }> = {
  0: { symbol: ' ', meaning: 'not-QRS' },
  1: { symbol: 'N', meaning: 'normal beat', beat: true },
  2: { symbol: 'L', meaning: 'left bundle branch block beat', beat: true },
  3: { symbol: 'R', meaning: 'right bundle branch block beat', beat: true },
  4: { symbol: 'a', meaning: 'aberrated atrial premature beat', beat: true },
  5: { symbol: 'V', meaning: 'premature ventricular contraction', beat: true },
  6: { symbol: 'F', meaning: 'fusion of ventricular and normal beat', beat: true },
  7: { symbol: 'J', meaning: 'nodal (junctional) premature beat', beat: true },
  8: { symbol: 'A', meaning: 'atrial premature beat', beat: true },
  9: { symbol: 'S', meaning: 'supraventricular premature or ectopic beat', beat: true },
  10: { symbol: 'E', meaning: 'ventricular escape beat', beat: true },
  11: { symbol: 'j', meaning: 'nodal (junctional) escape beat', beat: true },
  12: { symbol: '/', meaning: 'paced beat', beat: true },
  13: { symbol: 'Q', meaning: 'unclassifiable beat', beat: true },
  14: { symbol: '~', meaning: 'change in signal quality' },
  16: { symbol: '|', meaning: 'isolated QRS-like artifact' },
  18: { symbol: 's', meaning: 'ST change' },
  19: { symbol: 'T', meaning: 'T-wave change' },
  20: { symbol: '*', meaning: 'systole' },
  21: { symbol: 'D', meaning: 'diastole' },
  22: { symbol: '"', meaning: 'comment annotation' },
  23: { symbol: '=', meaning: 'measurement annotation' },
  24: { symbol: 'p', meaning: 'P-wave peak' },
  25: { symbol: 'B', meaning: 'left or right bundle branch block', beat: true },
  26: { symbol: '^', meaning: 'non-conducted pacer spike' },
  27: { symbol: 't', meaning: 'T-wave peak' },
  28: { symbol: '+', meaning: 'rhythm change' },
  29: { symbol: 'u', meaning: 'U-wave peak' },
  30: { symbol: '?', meaning: 'learning', beat: true },
  31: { symbol: '!', meaning: 'ventricular flutter wave' },
  32: { symbol: '[', meaning: 'start of ventricular flutter/fibrillation' },
  33: { symbol: ']', meaning: 'end of ventricular flutter/fibrillation' },
  34: { symbol: 'e', meaning: 'atrial escape beat', beat: true },
  35: { symbol: 'n', meaning: 'supraventricular escape beat', beat: true },
  36: { symbol: '@', meaning: 'link to external data' },
  37: { symbol: 'x', meaning: 'non-conducted P-wave (blocked APB)' },
  38: { symbol: 'f', meaning: 'fusion of paced and normal beat', beat: true },
  39: { symbol: '(', meaning: 'waveform onset' },
  40: { symbol: ')', meaning: 'waveform end' },
  41: { symbol: 'r', meaning: 'R-on-T premature ventricular contraction', beat: true },
};

/** Pseudo-annotation type codes of the MIT format. */
const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;

/** True for codes that label a QRS complex (beat annotations), as WFDB's isqrs table says. */
export function isBeatCode(code: number): boolean {
  return ANNOTATION_CODES[code]?.beat === true;
}

export function annotationSymbol(code: number): string {
  return ANNOTATION_CODES[code]?.symbol ?? `[${code}]`;
}

/** Decodes an MIT-format annotation file. `source` names it in errors; `limits` bounds its size and count. */
export function parseAnnotations(
  bytes: Uint8Array,
  source: string,
  limits: Partial<ReadLimits> = {},
): WfdbAnnotation[] {
  const budget = readLimits(limits);
  const maxAnnotations = budget.maxAnnotations;
  checkFileBytes(source, bytes.length, budget, 'annotation file');
  const annotations: WfdbAnnotation[] = [];
  const word = (at: number) => bytes[at]! | (bytes[at + 1]! << 8);
  let pos = 0;
  let time = 0;
  let chan = 0;
  let num = 0;
  let current: WfdbAnnotation | null = null;
  const modify = (what: string): WfdbAnnotation => {
    if (!current) throw new FormatError(source, `byte ${pos - 2}: ${what} before any annotation`);
    return current;
  };
  while (pos + 1 < bytes.length) {
    const value = word(pos);
    pos += 2;
    if (value === 0) return annotations;
    const type = value >> 10;
    const interval = value & 0x3ff;
    if (type === SKIP) {
      if (pos + 4 > bytes.length)
        throw new FormatError(source, `byte ${pos - 2}: SKIP without its 4-byte interval`);
      time += ((word(pos) << 16) | word(pos + 2)) + interval;
      pos += 4;
    } else if (type === NUM) {
      num = interval;
      modify('NUM').num = num;
    } else if (type === SUB) modify('SUB').subtype = interval;
    else if (type === CHN) {
      chan = interval;
      modify('CHN').chan = chan;
    } else if (type === AUX) {
      const target = modify('AUX');
      if (pos + interval > bytes.length)
        throw new FormatError(source, `byte ${pos - 2}: AUX string runs past the end`);
      target.aux = auxText(bytes.subarray(pos, pos + interval));
      pos += interval + (interval & 1);
    } else {
      time += interval;
      if (annotations.length >= maxAnnotations)
        throw new FormatError(
          source,
          `more than ${maxAnnotations} annotations (raise maxAnnotations to read them)`,
        );
      if (time < 0) throw new FormatError(source, `byte ${pos - 2}: annotation at negative time ${time}`);
      current = {
        sample: time,
        code: type,
        symbol: annotationSymbol(type),
        subtype: 0,
        chan,
        num,
        aux: null,
      };
      annotations.push(current);
    }
  }
  if (pos < bytes.length) throw new FormatError(source, 'odd number of bytes (truncated annotation word)');
  return annotations;
}

/** AUX strings are byte strings, usually NUL-terminated ASCII. */
function auxText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  let text = '';
  for (const byte of end < 0 ? bytes : bytes.subarray(0, end)) text += String.fromCharCode(byte);
  return text;
}

/** One delineated wave: onset, peak and offset sample (onset/offset null when the file lacks them). */
export interface WaveBoundaries {
  onset: number | null;
  peak: number;
  offset: number | null;
}

export interface LeadDelineation {
  p: WaveBoundaries[];
  qrs: WaveBoundaries[];
  t: WaveBoundaries[];
}

const WAVE_OF_SYMBOL: Record<string, keyof LeadDelineation> = { p: 'p', N: 'qrs', t: 't' };

/**
 * Turns a delineation annotation list (LUDB style: `(` onset, a peak symbol p / N / t, `)` offset) into
 * P, QRS and T onset-peak-offset triples. A bracket not adjacent to a peak is ignored.
 */
export function delineate(annotations: WfdbAnnotation[]): LeadDelineation {
  const result: LeadDelineation = { p: [], qrs: [], t: [] };
  annotations.forEach((annotation, i) => {
    const wave = WAVE_OF_SYMBOL[annotation.symbol];
    if (!wave) return;
    const before = annotations[i - 1];
    const after = annotations[i + 1];
    result[wave].push({
      onset: before?.symbol === '(' ? before.sample : null,
      peak: annotation.sample,
      offset: after?.symbol === ')' ? after.sample : null,
    });
  });
  return result;
}
