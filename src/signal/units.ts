/**
 * Voltage units. A model trained on z-scored leads ignores them; one that reads amplitudes (`standardize: false`,
 * e.g. the voltage criteria of hypertrophy) must see every record in one unit, so its leads are brought to
 * millivolts, in training and at inference alike, and a lead in anything but a voltage is refused.
 */
import { SignalError } from '../errors.js';

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
