/**
 * Validates the R-peak detector on the MIT-BIH Arrhythmia Database against its reference beat annotations.
 *
 *   npx tsx scripts/validate-qrs.ts <mitdb dir> [record,record,...] [--lead N]
 *
 * Comparison (ANSI/AAMI EC57 practice, as in bxb): whole records, both leads given to the detector; reference =
 * beat annotations only (N L R B A a J S V r F e j n E / f Q ?); a detection matches a reference beat within
 * 150 ms, one to one, closest first; detections and beats inside ventricular flutter/fibrillation episodes
 * (between the `[` and `]` annotations, record 207) are left out, as EC57 excludes VF from QRS detection.
 * Prints per record: beats, TP, FN, FP, Se, +P, and the gross line (sums over records).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnnotations, readRecord } from '../src/io/index.js';
import { detectQrs } from '../src/signal/qrs.js';
import { flutterEpisodes, matchEvents } from '../src/signal/detect/match.js';

const BEAT_SYMBOLS = new Set('NLRBAaJSVrFejnE/fQ?');
const TOLERANCE_S = 0.15;

interface Row {
  record: string;
  beats: number;
  tp: number;
  fn: number;
  fp: number;
  flags: string[];
}

async function validateRecord(dir: string, record: string, lead: number | undefined): Promise<Row> {
  const ecg = await readRecord(join(dir, `${record}.hea`));
  const annotations = await readAnnotations(join(dir, `${record}.atr`));
  const length = ecg.signals[0]?.length ?? 0;
  const episodes = flutterEpisodes(annotations, length);
  const outside = (s: number) => !episodes.some(([a, b]) => s >= a && s <= b);
  const reference = annotations
    .filter((a) => BEAT_SYMBOLS.has(a.symbol) && outside(a.sample))
    .map((a) => a.sample);
  const detection = detectQrs(lead === undefined ? ecg.signals : ecg.signals[lead]!, ecg.fs);
  const detected = Array.from(detection.rPeaks).filter(outside);
  const m = matchEvents(reference, detected, Math.round(TOLERANCE_S * ecg.fs));
  return {
    record,
    beats: reference.length,
    tp: m.truePositives,
    fn: m.falseNegatives,
    fp: m.falsePositives,
    flags: detection.flags,
  };
}

const percent = (num: number, den: number) => (den > 0 ? ((100 * num) / den).toFixed(2) : '-');

function formatRow(r: Omit<Row, 'flags'> & { flags?: string[] }): string {
  const cells = [r.record, r.beats, r.tp, r.fn, r.fp, percent(r.tp, r.tp + r.fn), percent(r.tp, r.tp + r.fp)];
  return `${cells.map((c) => String(c).padStart(7)).join(' ')}  ${(r.flags ?? []).join(',')}`;
}

async function main(): Promise<void> {
  const [dir, list] = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--lead');
  if (!dir) throw new Error('usage: npx tsx scripts/validate-qrs.ts <mitdb dir> [records] [--lead N]');
  const leadIndex = process.argv.indexOf('--lead');
  const lead = leadIndex > 0 ? Number(process.argv[leadIndex + 1]) : undefined;
  const records = (list ?? readFileSync(join(dir, 'RECORDS'), 'utf8')).split(/[\s,]+/).filter(Boolean);
  console.log(['record', 'beats', 'TP', 'FN', 'FP', 'Se%', '+P%'].map((h) => h.padStart(7)).join(' '));
  const rows: Row[] = [];
  for (const record of records) {
    const row = await validateRecord(dir, record, lead);
    rows.push(row);
    console.log(formatRow(row));
  }
  const sum = (key: 'beats' | 'tp' | 'fn' | 'fp') => rows.reduce((s, r) => s + r[key], 0);
  console.log(
    formatRow({ record: 'gross', beats: sum('beats'), tp: sum('tp'), fn: sum('fn'), fp: sum('fp') }),
  );
  console.log(`matching window ±${TOLERANCE_S * 1000} ms, whole records, VF episodes excluded`);
}

await main();
