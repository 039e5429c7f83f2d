/**
 * The measurements a clinician reads first, from the project's own detectors: heart rate (detectQrs R peaks),
 * PR, QRS, QT (delineateBeats on one lead: II when the record has it and the detector could use it, else the
 * detector's reference lead), QTc (Bazett: QT / sqrt(RR in s)) and the frontal QRS axis (net QRS area in leads I
 * and aVF, aVF derived as II - I/2 when absent). Record values are medians over beats; a value is null when too
 * few beats give it. Leads are read in mV (their amplitude floors are in mV); a lead not in a voltage gets no
 * floors and gives no axis (src/signal/units.ts leadsInMillivolts).
 * Validated on LUDB's expert annotations: scripts/validate-delineation.ts --measurements, docs/measurements.md.
 * Pure computation: runs in Node and in the browser.
 */
import { delineateBeats, type BeatDelineation } from './delineate.js';
import { detectQrs } from './qrs.js';
import { leadsInMillivolts } from './units.js';

export interface Measurements {
  heartRate: number | null;
  pr: number | null;
  qrs: number | null;
  qt: number | null;
  qtc: number | null;
  axis: number | null;
  beats: number;
  lead: string | null;
  method: string;
}

export interface MeasureInput {
  fs: number;
  leads: readonly string[];
  signals: readonly Float32Array[];
  /** Per lead (an EcgRecord's); default mV. */
  units?: readonly string[];
}

/**
 * How the values were measured, for the record at hand: the lead delineated (null: none was) and the leads the axis
 * came from (null: no axis), so a one-lead record is not said to have had lead II delineated nor an axis measured.
 */
export function measureMethod(leads: number, lead: string | null, axisFrom: string | null): string {
  return (
    `R peaks: ${leads > 1 ? 'multi-lead ' : ''}Pan-Tompkins (src/signal/qrs); P/QRS/T: slope and tangent ` +
    `delineation${lead === null ? '' : ` of lead ${lead}`} (src/signal/delineate); medians over beats; QTc Bazett` +
    (axisFrom === null ? '' : `; axis from net QRS areas of ${axisFrom}`)
  );
}

/** Fewer beats than this give no interval (too few to trust a median). */
const MIN_BEATS = 3;

export function measureRecord(record: MeasureInput): Measurements {
  const empty = { heartRate: null, pr: null, qrs: null, qt: null, qtc: null, axis: null };
  if (record.signals.length === 0 || record.fs <= 0 || (record.signals[0]?.length ?? 0) < 2 * record.fs) {
    return { ...empty, beats: 0, lead: null, method: measureMethod(record.signals.length, null, null) };
  }
  const { signals, voltage } = leadsInMillivolts(record.signals, record.units);
  const detection = detectQrs(signals, record.fs);
  const peaks = detection.rPeaks;
  // A flat or missing lead (one the detector left out) counts as absent: delineated, a flat II gave QRS 240 ms.
  const usable = (i: number | null) => (i !== null && detection.leadsUsed.includes(i) ? i : null);
  const lead = usable(leadIndex(record.leads, 'II')) ?? Math.max(0, detection.referenceLead);
  const rr = median(
    Array.from(peaks)
      .slice(1)
      .map((p, i) => (p - peaks[i]!) / record.fs),
  );
  const beats = delineateBeats(signals[lead]!, record.fs, { rPeaks: peaks, amplitudeFloors: voltage[lead] });
  const ms = (samples: number) => (1000 * samples) / record.fs;
  const interval = (of: (b: BeatDelineation) => number | null) => {
    const values = beats.map(of).filter((v): v is number => v !== null && v > 0);
    return values.length >= MIN_BEATS ? Math.round(ms(median(values)!)) : null;
  };
  const qt = interval((b) => (b.t?.offset == null ? null : b.t.offset - b.qrs.onset));
  const axis = frontalAxis({ ...record, signals }, beats, (i) => usable(i) !== null && voltage[i]!);
  const leadName = record.leads[lead] ?? null;
  return {
    heartRate: peaks.length > MIN_BEATS && rr !== null ? Math.round(60 / rr) : null,
    pr: interval((b) => (b.p?.onset == null ? null : b.qrs.onset - b.p.onset)),
    qrs: interval((b) => b.qrs.offset - b.qrs.onset),
    qt,
    qtc: qt !== null && rr !== null ? Math.round(qt / Math.sqrt(rr)) : null,
    axis: axis?.degrees ?? null,
    beats: peaks.length,
    lead: leadName,
    method: measureMethod(signals.length, leadName, axis?.from ?? null),
  };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Index of a standard lead by name (case and "lead " prefix ignored; MLII counts as II). */
function leadIndex(leads: readonly string[], name: string): number | null {
  const key = (n: string) => n.replace(/\s+/g, '').replace(/^LEAD/i, '').replace(/^ML/i, '').toUpperCase();
  const index = leads.findIndex((lead) => key(lead) === name.toUpperCase());
  return index >= 0 ? index : null;
}

/**
 * Frontal axis in degrees, (-180, 180]: atan2 of the net QRS areas (median over beats, from QRS onset to offset,
 * above the level at onset) of aVF and I. Needs lead I and aVF (or II to derive aVF = II - I/2), each `readable`
 * (moving, in a voltage: a ratio of areas in unknown units would be a guess). `from` names the leads used.
 */
function frontalAxis(
  record: MeasureInput,
  beats: readonly BeatDelineation[],
  readable: (lead: number) => boolean,
): { degrees: number; from: string } | null {
  const find = (name: string) => {
    const index = leadIndex(record.leads, name);
    return index !== null && readable(index) ? index : null;
  };
  const i = find('I');
  const avf = find('AVF');
  const ii = find('II');
  if (i === null || (avf === null && ii === null) || beats.length < MIN_BEATS) return null;
  const area = (signal: Float32Array) =>
    median(
      beats.map((b) => {
        const level = signal[b.qrs.onset]!;
        let sum = 0;
        for (let k = b.qrs.onset; k <= b.qrs.offset; k++)
          if (Number.isFinite(signal[k])) sum += signal[k]! - level;
        return Number.isFinite(sum) ? sum : 0;
      }),
    ) ?? 0;
  const areaI = area(record.signals[i]!);
  const areaF = avf !== null ? area(record.signals[avf]!) : area(record.signals[ii!]!) - areaI / 2;
  if (areaI === 0 && areaF === 0) return null;
  return {
    degrees: Math.round((Math.atan2(areaF, areaI) * 180) / Math.PI),
    from: avf !== null ? 'I and aVF' : 'I and aVF (derived as II - I/2)',
  };
}
