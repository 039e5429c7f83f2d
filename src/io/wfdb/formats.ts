/**
 * WFDB signal file formats (signal(5)), one table keyed by format number. Each entry decodes a byte stream of
 * interleaved samples into digital (ADC) values; frames, skew and physical units are handled in signals.ts.
 */

export type WfdbFormat = 0 | 8 | 16 | 24 | 32 | 61 | 80 | 160 | 212 | 310 | 311;

export interface WfdbFormatSpec {
  /** Bytes that hold the first `n` samples of a stream. */
  bytesFor(n: number): number;
  /** Decodes the first `out.length` samples; `bytes` must hold at least bytesFor(out.length). */
  decode(bytes: Uint8Array, out: Int32Array): void;
  /** Digital value that marks an invalid sample (the format's most negative value), null if there is none. */
  invalid: number | null;
  /** Samples are first differences (format 8): value = initial value + running sum. */
  difference: boolean;
  /** ADC resolution assumed when the header gives none (header(5)). */
  defaultResolution: number;
}

/** Fixed-width formats: `width` bytes per sample, `read` gives the signed value at byte `i`. */
function fixedWidth(width: number, read: (b: Uint8Array, i: number) => number) {
  return {
    bytesFor: (n: number) => n * width,
    decode(bytes: Uint8Array, out: Int32Array): void {
      for (let s = 0, i = 0; s < out.length; s++, i += width) out[s] = read(bytes, i);
    },
  };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Format 16, the most common: a typed-array view when the host is little-endian and the data aligned. */
function decode16(bytes: Uint8Array, out: Int32Array): void {
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) {
    out.set(new Int16Array(bytes.buffer, bytes.byteOffset, out.length));
    return;
  }
  for (let s = 0, i = 0; s < out.length; s++, i += 2)
    out[s] = ((bytes[i]! | (bytes[i + 1]! << 8)) << 16) >> 16;
}

/** Format 212: two 12-bit samples in three bytes; the middle byte holds the high nibbles. */
const packed212 = {
  bytesFor: (n: number) => Math.ceil((n * 3) / 2),
  decode(bytes: Uint8Array, out: Int32Array): void {
    const pairs = out.length >> 1;
    for (let p = 0, i = 0; p < pairs; p++, i += 3) {
      const middle = bytes[i + 1]!;
      out[2 * p] = ((bytes[i]! | ((middle & 0x0f) << 8)) << 20) >> 20;
      out[2 * p + 1] = ((bytes[i + 2]! | ((middle & 0xf0) << 4)) << 20) >> 20;
    }
    if (out.length & 1) {
      const i = pairs * 3;
      out[out.length - 1] = ((bytes[i]! | ((bytes[i + 1]! & 0x0f) << 8)) << 20) >> 20;
    }
  },
};

const signExtend10 = (x: number) => (x << 22) >> 22;

/** Sample `k` (0..2) of a three-sample, four-byte block; a missing byte of a partial last block reads as 0. */
type BlockReader = (b: Uint8Array, i: number, k: number) => number;

function threeIn32(bytesForRemainder: [number, number, number], read: BlockReader) {
  return {
    bytesFor: (n: number) => Math.floor(n / 3) * 4 + bytesForRemainder[n % 3]!,
    decode(bytes: Uint8Array, out: Int32Array): void {
      for (let s = 0; s < out.length; s++) out[s] = signExtend10(read(bytes, ((s / 3) | 0) * 4, s % 3));
    },
  };
}

const word16 = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);

/**
 * Format 310: sample 0 = bits 1-10 of the first little-endian 16-bit word, sample 1 = bits 1-10 of the second,
 * sample 2 = the top 5 bits of the first word (low part) and of the second word (high part).
 */
const read310: BlockReader = (b, i, k) => {
  if (k === 0) return (word16(b, i) >> 1) & 0x3ff;
  if (k === 1) return (word16(b, i + 2) >> 1) & 0x3ff;
  return ((word16(b, i) >> 11) & 0x1f) | (((word16(b, i + 2) >> 11) & 0x1f) << 5);
};

/** Format 311: three 10-bit samples in the low 30 bits of a little-endian 32-bit word. */
const read311: BlockReader = (b, i, k) => {
  const word = word16(b, i) + (word16(b, i + 2) << 16);
  return (word >>> (10 * k)) & 0x3ff;
};

/**
 * Format 0 is a null signal: nothing is stored (file name usually "~"), as in the layout header of a multi-segment
 * record; its samples read as invalid (NaN). signals.ts never asks a file for it.
 */
export const NULL_FORMAT = 0;
const NULL_SAMPLE = -2147483648;

export const WFDB_FORMATS: Record<WfdbFormat, WfdbFormatSpec> = {
  0: {
    bytesFor: () => 0,
    decode: (_bytes, out) => out.fill(NULL_SAMPLE),
    invalid: NULL_SAMPLE,
    difference: false,
    defaultResolution: 12,
  },
  8: {
    ...fixedWidth(1, (b, i) => (b[i]! << 24) >> 24),
    invalid: null,
    difference: true,
    defaultResolution: 10,
  },
  16: {
    ...fixedWidth(2, (b, i) => ((b[i]! | (b[i + 1]! << 8)) << 16) >> 16),
    decode: decode16,
    invalid: -32768,
    difference: false,
    defaultResolution: 12,
  },
  24: {
    ...fixedWidth(3, (b, i) => ((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) << 8) >> 8),
    invalid: -8388608,
    difference: false,
    defaultResolution: 12,
  },
  32: {
    ...fixedWidth(4, (b, i) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)),
    invalid: -2147483648,
    difference: false,
    defaultResolution: 12,
  },
  61: {
    ...fixedWidth(2, (b, i) => (((b[i]! << 8) | b[i + 1]!) << 16) >> 16),
    invalid: -32768,
    difference: false,
    defaultResolution: 12,
  },
  80: { ...fixedWidth(1, (b, i) => b[i]! - 128), invalid: -128, difference: false, defaultResolution: 8 },
  160: {
    ...fixedWidth(2, (b, i) => (b[i]! | (b[i + 1]! << 8)) - 32768),
    invalid: -32768,
    difference: false,
    defaultResolution: 12,
  },
  212: { ...packed212, invalid: -2048, difference: false, defaultResolution: 12 },
  310: { ...threeIn32([0, 2, 4], read310), invalid: -512, difference: false, defaultResolution: 10 },
  311: { ...threeIn32([0, 2, 3], read311), invalid: -512, difference: false, defaultResolution: 10 },
};

export function isWfdbFormat(format: number): format is WfdbFormat {
  return Object.hasOwn(WFDB_FORMATS, format);
}

export function formatSpec(format: WfdbFormat): WfdbFormatSpec {
  return WFDB_FORMATS[format];
}

/** Largest number of samples whose bytes fit in `byteCount` (inverse of bytesFor). */
export function samplesIn(spec: WfdbFormatSpec, byteCount: number): number {
  const reference = 3000; // a multiple of every block size: bytesFor(reference) / reference is the exact rate
  let n = Math.floor((byteCount * reference) / spec.bytesFor(reference)) + 3;
  while (n > 0 && spec.bytesFor(n) > byteCount) n--;
  return n;
}
