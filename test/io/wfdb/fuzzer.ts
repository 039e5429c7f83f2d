/**
 * Seeded mutation fuzzer for the WFDB readers (used by fuzz.test.ts and bench/io-fuzz.ts).
 * Mutates the fixture headers (lines and fields), signal files (bytes, length) and annotation files, runs the
 * pure readers and classifies the outcome: parsed, or one of our typed errors (by class), or a crash (anything
 * else, e.g. TypeError/RangeError), with the time each case took.
 */
import { EcgError, MissingFileError } from '../../../src/errors.js';
import { parseAnnotations } from '../../../src/io/wfdb/annotations.js';
import { headerText, wfdbRecordFromText } from '../../../src/io/wfdb/record.js';
import { seededRandom } from '../../../src/util/random.js';

export type Rng = () => number;

export const seededRng: (seed: number) => Rng = seededRandom;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** Field values chosen to hit edge cases: huge, negative, zero, malformed, exotic syntax. */
const NASTY_TOKENS = [
  '0',
  '-1',
  '1000000000000',
  '99999999999999999999999',
  '1e400',
  'NaN',
  '212x1000000',
  '16:999999999',
  '16+999999999',
  '16x0',
  '8',
  '310',
  '311',
  '17',
  '0(0)/mV',
  '1e-300(5)/mV',
  '200(',
  '/',
  '#',
  '\t',
  '1/2(3)',
  '',
  'x',
  '\u00e9',
];

export interface RecordCase {
  header: string;
  files: Map<string, Uint8Array>;
}

function mutateHeader(rng: Rng, text: string): string {
  const lines = text.split('\n');
  const line = int(rng, lines.length);
  switch (int(rng, 6)) {
    case 0: {
      // replace one whitespace-separated field
      const words = lines[line]!.split(' ');
      words[int(rng, words.length)] = pick(rng, NASTY_TOKENS);
      lines[line] = words.join(' ');
      break;
    }
    case 1:
      lines.splice(line, 1);
      break;
    case 2:
      lines.splice(line, 0, lines[int(rng, lines.length)]!);
      break;
    case 3:
      return text.slice(0, int(rng, text.length));
    case 4: {
      const at = int(rng, text.length);
      return text.slice(0, at) + String.fromCharCode(int(rng, 256)) + text.slice(at + 1);
    }
    default:
      lines[line] = `${lines[line]} ${pick(rng, NASTY_TOKENS)}`;
  }
  return lines.join('\n');
}

function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  switch (int(rng, 4)) {
    case 0:
      return bytes.slice(0, int(rng, bytes.length + 1));
    case 1: {
      const grown = new Uint8Array(bytes.length + 1 + int(rng, 64));
      grown.set(bytes);
      for (let i = bytes.length; i < grown.length; i++) grown[i] = int(rng, 256);
      return grown;
    }
    default: {
      const copy = bytes.slice();
      const flips = 1 + int(rng, 8);
      for (let k = 0; k < flips && copy.length > 0; k++) copy[int(rng, copy.length)] = int(rng, 256);
      return copy;
    }
  }
}

export type Outcome = 'parsed' | string;

export interface FuzzResult {
  outcome: Outcome;
  /** Set for crashes: what escaped the typed errors. */
  crash?: string;
  ms: number;
}

function classify(run: () => void): FuzzResult {
  const start = performance.now();
  try {
    run();
    return { outcome: 'parsed', ms: performance.now() - start };
  } catch (error) {
    const ms = performance.now() - start;
    if (error instanceof EcgError) return { outcome: error.name, ms };
    return {
      outcome: 'crash',
      crash: error instanceof Error ? (error.stack ?? error.message) : String(error),
      ms,
    };
  }
}

/** One fuzz case over a record (header + data files) or an annotation file, mutated from the given seeds. */
export function fuzzCase(rng: Rng, records: RecordCase[], annotations: Uint8Array[]): FuzzResult {
  if (rng() < 0.25 && annotations.length > 0) {
    const bytes = mutateBytes(rng, pick(rng, annotations));
    return classify(() => parseAnnotations(bytes, 'fuzz.atr'));
  }
  const base = pick(rng, records);
  let header = base.header;
  const files = new Map(base.files);
  const mutations = 1 + int(rng, 3);
  for (let m = 0; m < mutations; m++) {
    if (rng() < 0.6) header = mutateHeader(rng, header);
    else {
      const name = pick(rng, [...files.keys()]);
      files.set(name, mutateBytes(rng, files.get(name)!));
    }
  }
  const strict = rng() < 0.5;
  return classify(() =>
    wfdbRecordFromText(
      header,
      (name) => {
        const bytes = files.get(name);
        if (!bytes) throw new MissingFileError(name);
        return bytes;
      },
      'fuzz.hea',
      { strict },
    ),
  );
}

export function headerOf(bytes: Uint8Array): string {
  return headerText(bytes);
}

/** Runs `count` cases from `seed`; returns counts by outcome, crashes (first few) and the slowest case. */
export function fuzz(seed: number, count: number, records: RecordCase[], annotations: Uint8Array[]) {
  const rng = seededRng(seed);
  const counts: Record<string, number> = {};
  const crashes: string[] = [];
  let slowestMs = 0;
  for (let i = 0; i < count; i++) {
    const result = fuzzCase(rng, records, annotations);
    counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
    if (result.crash && crashes.length < 5) crashes.push(`case ${i}: ${result.crash}`);
    slowestMs = Math.max(slowestMs, result.ms);
  }
  return { counts, crashes, slowestMs };
}
