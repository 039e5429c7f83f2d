/**
 * Seeded mutation fuzzer for the WFDB readers (used by fuzz.test.ts), with the mutations of the fuzz bench
 * (bench/fuzz/mutate.ts): fixture headers (lines and fields), signal files (bytes, length) and annotation files; runs the
 * pure readers and classifies the outcome: parsed, or one of our typed errors (by class), or a crash (anything
 * else, e.g. TypeError/RangeError), with the time each case took.
 */
import { EcgError, MissingFileError } from '../../../src/errors.js';
import { parseAnnotations } from '../../../src/io/wfdb/annotations.js';
import { headerText, wfdbRecordFromText } from '../../../src/io/wfdb/record.js';
import { seededRandom } from '../../../src/util/random.js';
import { int, mutateBytes, mutateText, pick, type Rng } from '../../../bench/fuzz/mutate.js';

export type { Rng };

export const seededRng: (seed: number) => Rng = seededRandom;

export interface RecordCase {
  header: string;
  files: Map<string, Uint8Array>;
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
    if (rng() < 0.6) header = mutateText(rng, header);
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
