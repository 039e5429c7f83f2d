/**
 * Voltage units. A model trained on z-scored leads ignores them; one that reads amplitudes (`standardize: false`,
 * e.g. the voltage criteria of hypertrophy) must see every record in one unit, so its leads are brought to
 * millivolts, in training and at inference alike, and a lead in anything but a voltage is refused. The quality gate
 * and the measurements read leads in mV too (`leadsInMillivolts`), but skip their mV thresholds on other units.
 */
import { SignalError } from '../errors.js';
import { quantile } from '../util/quantile.js';

/** Millivolts per one of `unit` (mV, µV/uV, V, nV, any case), or null for ADC units, z-scores and anything else. */
export function millivoltsPer(unit: string): number | null {
  const u = unit.trim();
  if (/^mv$/i.test(u)) return 1;
  if (/^[uµμ]v$/i.test(u)) return 1e-3;
  if (/^v$/i.test(u)) return 1e3;
  if (/^nv$/i.test(u)) return 1e-6;
  return null;
}

/** The lead in millivolts; `where` names the record and lead in the error for a unit that is not a voltage. */
export function toMillivolts(x: Float32Array, unit: string, where: string): Float32Array {
  const scale = millivoltsPer(unit);
  if (scale === null)
    throw new SignalError(
      `${where}: units "${unit}" are not a voltage (mV, µV or V); a model without standardisation reads amplitudes in mV`,
    );
  return scale === 1 ? x : x.map((v) => v * scale);
}

/**
 * The span of peak-to-peak amplitudes (median over leads, mV, after the 0.5-40 Hz band-pass) that ECGs in millivolts
 * show. Measured on the data here: PTB-XL 845 records 0.38-3.59 (median 1.11), LUDB 200 records 0.37-1.41, MIT-BIH 26
 * records 1.20-5.15, CinC 2017 (one noisy handheld lead) 3,000 records 0.21-10.6 (99th percentile 5.7). Outside it
 * the leads were almost surely read in another unit (µV or V labelled mV, 1000x off; 1e-4 V units read as mV are
 * 10x off and land above it for most records), which a model reading amplitudes turns into confident garbage.
 */
export const PLAUSIBLE_MILLIVOLTS = { low: 0.1, high: 8 } as const;

/** Peak-to-peak amplitude of a lead, robust to spikes: its 99.5th minus its 0.5th percentile (NaN skipped). */
export function robustPeakToPeak(x: ArrayLike<number>): number {
  const values = Array.from(x)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return values.length === 0 ? 0 : quantile(values, 0.995) - quantile(values, 0.005);
}

/**
 * A notice when leads in millivolts have amplitudes no ECG in mV has (null when plausible, or when every lead is
 * flat: a flat record is reported elsewhere). `where` names the record.
 */
/** Words every amplitude notice holds, so that batch tools (evaluate) can count the records that got one. */
export const AMPLITUDE_NOTICE_MARK = 'this model reads amplitudes';

export function amplitudeNotice(leads: ReadonlyArray<Float32Array | null>, where: string): string | null {
  const spans = leads
    .filter((x): x is Float32Array => x !== null)
    .map(robustPeakToPeak)
    .sort((a, b) => a - b);
  if (spans.length === 0) return null;
  const median = spans[Math.floor(spans.length / 2)]!;
  if (median === 0 || (median >= PLAUSIBLE_MILLIVOLTS.low && median <= PLAUSIBLE_MILLIVOLTS.high))
    return null;
  const guess =
    median > PLAUSIBLE_MILLIVOLTS.high ? 'a smaller unit (µV, 1e-4 V) or ADC units' : 'a larger unit (V)';
  return (
    `${where}: the leads span ${median.toPrecision(3)} mV peak to peak (median over leads), outside the ` +
    `${PLAUSIBLE_MILLIVOLTS.low}-${PLAUSIBLE_MILLIVOLTS.high} mV of an ECG; ${AMPLITUDE_NOTICE_MARK}, so its ` +
    `output is not to be trusted: the file's unit is probably ${guess}, not mV (a CSV header can give it: "II (uV)")`
  );
}

/**
 * The leads in millivolts, for code with thresholds in mV (the quality gate, delineation, measurements), so that a
 * record gives the same findings in µV, mV or V. A lead whose unit is not a voltage (ADC units, z-scores, unknown)
 * keeps its values with `voltage` false: its amplitude thresholds are to be skipped, not guessed. Without `units`,
 * every lead is taken to be in mV.
 */
export function leadsInMillivolts(
  signals: readonly Float32Array[],
  units?: readonly string[],
): { signals: Float32Array[]; voltage: boolean[] } {
  const scales = signals.map((_, i) => (units ? millivoltsPer(units[i] ?? 'mV') : 1));
  return {
    signals: signals.map((x, i) =>
      scales[i] === null || scales[i] === 1 ? x : x.map((v) => v * scales[i]!),
    ),
    voltage: scales.map((s) => s !== null),
  };
}

/** A notice naming the leads whose unit is not a voltage (null when all are): their amplitude checks were skipped. */
export function nonVoltageNotice(leads: readonly string[], units: readonly string[]): string | null {
  const byUnit = new Map<string, string[]>();
  leads.forEach((lead, i) => {
    const unit = units[i] ?? 'mV';
    if (millivoltsPer(unit) === null) byUnit.set(unit, [...(byUnit.get(unit) ?? []), lead]);
  });
  if (byUnit.size === 0) return null;
  const named = [...byUnit].map(([unit, names]) => `${names.join(', ')} in "${unit}"`).join('; ');
  return (
    `leads not in a voltage unit (${named}): the quality gate and the measurements skipped their amplitude ` +
    `thresholds there (a lead is flat only when it never changes, P and T waves need no minimum height, no axis from them)`
  );
}
