/**
 * `validate-delineation.ts --measurements`: the record measurements `predict` shows (src/signal/measure.ts) against
 * references derived from LUDB's expert P/QRS/T points, one difference (ours - reference) per record.
 *
 * The references use the leads our code uses and the same definitions, so a difference is a delineation error,
 * not a change of definition:
 * - HR, PR, QRS, QT from lead II's expert points: medians over the annotated beats of RR (consecutive QRS peaks),
 *   P onset -> QRS onset (the P whose peak lies between the previous QRS peak and this QRS onset), QRS onset ->
 *   offset, QRS onset -> offset of the T whose peak lies between this QRS peak and the next; QTc = QT / sqrt(RR).
 * - Axis: atan2 of the median net QRS areas (level at onset) of aVF and I, each between that lead's own expert QRS
 *   onset and offset. Differences are taken on the circle. The experts' axis class (header comment) is tabulated
 *   beside it as an independent check.
 * A measurement counts for a record when both we and the reference give it; the other cases are counted apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delineate, readAnnotations, readRecord, type LeadDelineation } from '../src/io/index.js';
import { measureRecord, type Measurements } from '../src/signal/measure.js';

const KEYS = ['heartRate', 'pr', 'qrs', 'qt', 'qtc', 'axis'] as const;
type Key = (typeof KEYS)[number];
type Values = Record<Key, number | null>;

const UNITS: Record<Key, string> = {
  heartRate: 'bpm',
  pr: 'ms',
  qrs: 'ms',
  qt: 'ms',
  qtc: 'ms',
  axis: 'deg',
};

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** RR, PR, QRS and QT (in samples) of each expert-annotated beat on one lead. */
function beatIntervals(waves: LeadDelineation) {
  const out = { rr: [] as number[], pr: [] as number[], qrs: [] as number[], qt: [] as number[] };
  waves.qrs.forEach((qrs, i) => {
    const previous = waves.qrs[i - 1]?.peak ?? -Infinity;
    const next = waves.qrs[i + 1]?.peak ?? Infinity;
    if (i > 0) out.rr.push(qrs.peak - previous);
    if (qrs.onset === null) return;
    const onset = qrs.onset;
    const p = waves.p.find((w) => w.peak > previous && w.peak < onset);
    const t = waves.t.find((w) => w.peak > qrs.peak && w.peak < next);
    if (p?.onset != null) out.pr.push(onset - p.onset);
    if (qrs.offset !== null) out.qrs.push(qrs.offset - onset);
    if (t?.offset != null) out.qt.push(t.offset - onset);
  });
  return out;
}

/** Median net QRS area (sum above the level at onset) between one lead's own expert QRS boundaries. */
function netQrsArea(signal: Float32Array, waves: LeadDelineation): number | null {
  const areas = waves.qrs.flatMap((w) => {
    if (w.onset === null || w.offset === null) return [];
    let sum = 0;
    for (let k = w.onset; k <= w.offset; k++) sum += signal[k]! - signal[w.onset]!;
    return [sum];
  });
  return median(areas);
}

async function leadWaves(dir: string, id: string, lead: string): Promise<LeadDelineation> {
  return delineate(await readAnnotations(join(dir, 'data', `${id}.${lead}`)));
}

async function referenceValues(dir: string, id: string, signals: Map<string, Float32Array>, fs: number) {
  const beats = beatIntervals(await leadWaves(dir, id, 'ii'));
  const ms = (samples: number[]) => {
    const m = median(samples);
    return m === null ? null : (1000 * m) / fs;
  };
  const rrSeconds = median(beats.rr) === null ? null : median(beats.rr)! / fs;
  const qt = ms(beats.qt);
  const areaI = netQrsArea(signals.get('i')!, await leadWaves(dir, id, 'i'));
  const areaF = netQrsArea(signals.get('avf')!, await leadWaves(dir, id, 'avf'));
  return {
    heartRate: rrSeconds === null ? null : 60 / rrSeconds,
    pr: ms(beats.pr),
    qrs: ms(beats.qrs),
    qt,
    qtc: qt !== null && rrSeconds !== null ? qt / Math.sqrt(rrSeconds) : null,
    axis: areaI === null || areaF === null ? null : (Math.atan2(areaF, areaI) * 180) / Math.PI,
  } satisfies Values;
}

/** The experts' axis class from the header ("Electric axis of the heart: left axis deviation."). */
function expertAxisClass(dir: string, id: string): string {
  const header = readFileSync(join(dir, 'data', `${id}.hea`), 'utf8');
  return /Electric axis of the heart:\s*([^.\n]+)/i.exec(header)?.[1]?.trim() ?? 'none';
}

interface RecordRow {
  id: string;
  ours: Measurements;
  reference: Values;
  axisClass: string;
}

async function measureOne(dir: string, id: string): Promise<RecordRow> {
  const record = await readRecord(join(dir, 'data', `${id}.hea`));
  const signals = new Map(record.leads.map((lead, i) => [lead.toLowerCase(), record.signals[i]!]));
  return {
    id,
    ours: measureRecord(record),
    reference: await referenceValues(dir, id, signals, record.fs),
    axisClass: expertAxisClass(dir, id),
  };
}

function difference(key: Key, ours: number, reference: number): number {
  if (key !== 'axis') return ours - reference;
  const d = ((((ours - reference) % 360) + 540) % 360) - 180;
  return d === -180 ? 180 : d;
}

function summaryLine(key: Key, rows: readonly RecordRow[]): string {
  const diffs: number[] = [];
  let oursOnly = 0;
  let referenceOnly = 0;
  for (const { ours, reference } of rows) {
    const [o, r] = [ours[key], reference[key]];
    if (o !== null && r !== null) diffs.push(difference(key, o, r));
    else if (o !== null) oursOnly++;
    else if (r !== null) referenceOnly++;
  }
  const n = diffs.length;
  const mean = diffs.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const sd = Math.sqrt(diffs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n - 1));
  const mad = diffs.reduce((s, v) => s + Math.abs(v), 0) / Math.max(1, n);
  const cells = [
    key,
    UNITS[key],
    n,
    n ? `${mean.toFixed(1)} ± ${sd.toFixed(1)}` : '-',
    n ? mad.toFixed(1) : '-',
  ];
  return `| ${[...cells, oursOnly, referenceOnly].join(' | ')} |`;
}

function axisClassLines(rows: readonly RecordRow[]): string[] {
  const classes = [...new Set(rows.map((r) => r.axisClass))].sort();
  const range = (values: number[]) => {
    const sorted = values.sort((a, b) => a - b);
    return sorted.length
      ? `${median(sorted)!.toFixed(0)} [${sorted[0]!.toFixed(0)}, ${sorted.at(-1)!.toFixed(0)}]`
      : '-';
  };
  return classes.map((name) => {
    const of = rows.filter((r) => r.axisClass === name);
    const ours = of.flatMap((r) => (r.ours.axis === null ? [] : [r.ours.axis]));
    const reference = of.flatMap((r) => (r.reference.axis === null ? [] : [r.reference.axis]));
    return `| ${name} | ${of.length} | ${range(ours)} | ${range(reference)} |`;
  });
}

function perRecordLines(rows: readonly RecordRow[]): string[] {
  const cell = (v: number | null) => (v === null ? '-' : v.toFixed(0));
  return [
    ['record', ...KEYS.flatMap((k) => [`${k}`, `${k}_ref`]), 'axis_class'].join('\t'),
    ...rows.map((r) =>
      [r.id, ...KEYS.flatMap((k) => [cell(r.ours[k]), cell(r.reference[k])]), r.axisClass].join('\t'),
    ),
  ];
}

export async function validateMeasurements(
  dir: string,
  records: string[],
  perRecord: boolean,
): Promise<void> {
  const rows: RecordRow[] = [];
  for (const id of records) rows.push(await measureOne(dir, id));
  if (perRecord) console.log(perRecordLines(rows).join('\n') + '\n');
  console.log(
    `LUDB, ${rows.length} records: ours (measureRecord, whole record) - expert reference, per record\n`,
  );
  console.log('| measure | unit | n | mean ± SD | mean abs | ours only | reference only |');
  console.log('|---|---|---|---|---|---|---|');
  for (const key of KEYS) console.log(summaryLine(key, rows));
  console.log("\nFrontal axis by the experts' class (degrees: median [min, max])\n");
  console.log('| expert class | records | ours | reference (expert points) |');
  console.log('|---|---|---|---|');
  for (const line of axisClassLines(rows)) console.log(line);
}
