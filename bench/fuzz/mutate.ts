/**
 * Seeded mutations for the fuzz bench: bytes (cuts, growth, flips, interesting integers at aligned offsets, spliced
 * chunks) and text (fields replaced by hostile tokens, lines dropped or repeated, characters changed).
 */
export type Rng = () => number;

export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

/** Tokens aimed at the issue-17 failures: absurd rates and lengths, null formats, paths out of the folder. */
export const HOSTILE_TOKENS = [
  '0',
  '-1',
  '0.2',
  '0.24',
  '1e-9',
  '1e39',
  '1e400',
  '30000',
  '3e7',
  'NaN',
  'Infinity',
  '536870912',
  '4294967296',
  '99999999999999999999',
  '1000000000000',
  '212x1000000',
  '16:999999999',
  '16+999999999',
  '16x0',
  '0',
  '8',
  '310',
  '311',
  '17',
  '~',
  '/dev/zero',
  '../x.dat',
  '/etc/passwd',
  'http://x/y.dat',
  '0(0)/mV',
  '1e-300(5)/mV',
  '200(',
  '/',
  '#',
  '\t',
  '',
  'x',
  '\u00e9',
  ',,,,,,,,',
  '"',
  '""',
  '1,5',
  'time',
  'ms',
  '{',
  '}',
  '[',
  ']',
  'null',
  '[0, 4294967295]',
  '"F32"',
  '"I32"',
  '"BOOL"',
] as const;

const INTERESTING_U32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 1e9,
];

export function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  switch (int(rng, 6)) {
    case 0:
      return bytes.slice(0, int(rng, bytes.length + 1));
    case 1: {
      const grown = new Uint8Array(bytes.length + 1 + int(rng, 256));
      grown.set(bytes);
      for (let i = bytes.length; i < grown.length; i++) grown[i] = int(rng, 256);
      return grown;
    }
    case 2: {
      const copy = bytes.slice();
      if (copy.length < 4) return copy;
      const at = int(rng, copy.length - 3) & ~3;
      new DataView(copy.buffer).setUint32(at, pick(rng, INTERESTING_U32), rng() < 0.5);
      return copy;
    }
    case 3: {
      if (bytes.length < 2) return bytes.slice();
      const from = int(rng, bytes.length);
      const length = 1 + int(rng, Math.min(512, bytes.length - from));
      const at = int(rng, bytes.length);
      const out = new Uint8Array(bytes.length + length);
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(from, from + length), at);
      out.set(bytes.subarray(at), at + length);
      return out;
    }
    default: {
      const copy = bytes.slice();
      const flips = 1 + int(rng, 8);
      for (let k = 0; k < flips && copy.length > 0; k++) copy[int(rng, copy.length)] = int(rng, 256);
      return copy;
    }
  }
}

/** One mutation of a text (a header, a CSV table, a JSON header), splitting fields on `separator`. */
export function mutateText(rng: Rng, text: string, separator: RegExp = / /): string {
  const lines = text.split('\n');
  const line = int(rng, lines.length);
  switch (int(rng, 7)) {
    case 0: {
      const words = lines[line]!.split(separator);
      words[int(rng, words.length)] = pick(rng, HOSTILE_TOKENS);
      lines[line] = words.join(separator.source === ' ' ? ' ' : ',');
      break;
    }
    case 1:
      lines.splice(line, 1);
      break;
    case 2:
      lines.splice(line, 0, ...Array.from({ length: 1 + int(rng, 3) }, () => lines[int(rng, lines.length)]!));
      break;
    case 3:
      return text.slice(0, int(rng, text.length));
    case 4: {
      const at = int(rng, text.length);
      return text.slice(0, at) + String.fromCharCode(int(rng, 256)) + text.slice(at + 1);
    }
    case 5: {
      // A number anywhere replaced by a hostile one.
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
      if (numbers.length === 0) return text;
      const m = pick(rng, numbers);
      return text.slice(0, m.index) + pick(rng, HOSTILE_TOKENS) + text.slice(m.index! + m[0].length);
    }
    default:
      lines[line] = `${lines[line]} ${pick(rng, HOSTILE_TOKENS)}`;
  }
  return lines.join('\n');
}
