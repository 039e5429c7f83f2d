/**
 * Validates the delineator on LUDB against the experts' per-lead P/QRS/T onset-peak-offset annotations.
 *
 *   npx tsx scripts/validate-delineation.ts <ludb dir> [--leads ii|all] [--records 1,2,...]
 *   npx tsx scripts/validate-delineation.ts <ludb dir> --measurements [--per-record] [--records 1,2,...]
 *
 * R peaks: detectQrs on all 12 leads, located on the lead being evaluated. For each fiducial point a detection
 * matches a reference point within ±150 ms (one to one, closest first). LUDB experts annotate only part of some
 * records (beats at the start and end are often left out), so each lead is compared only inside its annotated
 * span: every expert point counts, but a detection that matches none is a false positive only when it lies
 * between the lead's first and last annotation (any symbol).
 * Prints per fiducial: reference count, TP, FN, FP, Se, +P and the timing error (detected - reference) mean ± SD
 * in ms.
 *
 * --measurements validates what `predict` shows instead (src/signal/measure.ts, docs/measurements.md): for each
 * record, measureRecord on the whole record minus a reference taken from the experts' points on the same lead
 * (see ludb-measurements.ts); prints n, mean ± SD and the mean absolute difference per measurement.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delineate as referenceWaves, readAnnotations, readRecord } from '../src/io/index.js';
import type { LeadDelineation } from '../src/io/index.js';
import { delineateBeats, type BeatDelineation } from '../src/signal/delineate.js';
import { detectQrs } from '../src/signal/qrs.js';
import { matchEvents } from '../src/signal/detect/match.js';
import { validateMeasurements } from './ludb-measurements.js';

const TOLERANCE_S = 0.15;
const LEADS = ['i', 'ii', 'iii', 'avr', 'avl', 'avf', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'];

type Fiducial = 'P on' | 'P peak' | 'P off' | 'QRS on' | 'QRS off' | 'T peak' | 'T off';

/** How to read each fiducial point from the reference annotations and from our delineation. */
const FIDUCIALS: Record<
  Fiducial,
  { reference: (d: LeadDelineation) => Array<number | null>; detected: (b: BeatDelineation) => number | null }
> = {
  'P on': { reference: (d) => d.p.map((w) => w.onset), detected: (b) => b.p?.onset ?? null },
  'P peak': { reference: (d) => d.p.map((w) => w.peak), detected: (b) => b.p?.peak ?? null },
  'P off': { reference: (d) => d.p.map((w) => w.offset), detected: (b) => b.p?.offset ?? null },
  'QRS on': { reference: (d) => d.qrs.map((w) => w.onset), detected: (b) => b.qrs.onset },
  'QRS off': { reference: (d) => d.qrs.map((w) => w.offset), detected: (b) => b.qrs.offset },
  'T peak': { reference: (d) => d.t.map((w) => w.peak), detected: (b) => b.t?.peak ?? null },
  'T off': { reference: (d) => d.t.map((w) => w.offset), detected: (b) => b.t?.offset ?? null },
};

interface Tally {
  tp: number;
  fn: number;
  fp: number;
  errorsMs: number[];
}

const present = (values: Array<number | null>) => values.filter((v): v is number => v !== null);

async function evaluateRecord(dir: string, id: string, leads: string[], tallies: Record<Fiducial, Tally>) {
  const record = await readRecord(join(dir, 'data', `${id}.hea`));
  for (const lead of leads) {
    const index = record.leads.findIndex((name) => name.toLowerCase() === lead);
    if (index < 0) continue;
    const annotations = await readAnnotations(join(dir, 'data', `${id}.${lead}`));
    if (annotations.length === 0) continue;
    const [first, last] = [annotations[0]!.sample, annotations[annotations.length - 1]!.sample];
    const inside = (s: number) => s >= first && s <= last;
    const rPeaks = detectQrs(record.signals, record.fs, { referenceLead: index }).rPeaks;
    const beats = delineateBeats(record.signals[index]!, record.fs, { rPeaks });
    const reference = referenceWaves(annotations);
    for (const [name, spec] of Object.entries(FIDUCIALS) as Array<[Fiducial, (typeof FIDUCIALS)[Fiducial]]>) {
      const ref = present(spec.reference(reference));
      const m = matchEvents(ref, present(beats.map(spec.detected)), Math.round(TOLERANCE_S * record.fs));
      const tally = tallies[name];
      tally.tp += m.truePositives;
      tally.fn += m.falseNegatives;
      tally.fp += m.extra.filter(inside).length;
      tally.errorsMs.push(...m.errors.map((e) => (1000 * e) / record.fs));
    }
  }
}

function meanSd(values: number[]): string {
  if (values.length === 0) return '-';
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return `${mean.toFixed(1)} ± ${sd.toFixed(1)}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (!dir || dir.startsWith('--')) {
    throw new Error(
      'usage: npx tsx scripts/validate-delineation.ts <ludb dir> [--leads ii|all | --measurements [--per-record]] ' +
        '[--records 1,2]',
    );
  }
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at > 0 ? args[at + 1] : undefined;
  };
  const leads = option('--leads') === 'all' ? LEADS : [option('--leads') ?? 'ii'];
  const records =
    option('--records')?.split(',') ??
    readFileSync(join(dir, 'RECORDS'), 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map((r) => r.replace(/^data\//, ''));
  if (args.includes('--measurements'))
    return validateMeasurements(dir, records, args.includes('--per-record'));
  const tallies = Object.fromEntries(
    Object.keys(FIDUCIALS).map((k) => [k, { tp: 0, fn: 0, fp: 0, errorsMs: [] }]),
  ) as unknown as Record<Fiducial, Tally>;
  for (const id of records) await evaluateRecord(dir, id, leads, tallies);
  const pct = (a: number, b: number) => (b > 0 ? ((100 * a) / b).toFixed(2) : '-');
  console.log(
    `LUDB, ${records.length} records, leads: ${leads.join(' ')}, tolerance ±${TOLERANCE_S * 1000} ms`,
  );
  console.log(
    ['point', 'ref', 'TP', 'FN', 'FP', 'Se%', '+P%'].map((h) => h.padStart(8)).join('') + '  error ms',
  );
  for (const [name, t] of Object.entries(tallies)) {
    const cells = [name, t.tp + t.fn, t.tp, t.fn, t.fp, pct(t.tp, t.tp + t.fn), pct(t.tp, t.tp + t.fp)];
    console.log(`${cells.map((c) => String(c).padStart(8)).join('')}  ${meanSd(t.errorsMs)}`);
  }
}

await main();
