/**
 * Pure WFDB encoders (the inverse of the readers, as wfdb-python's wrsamp / wrann): an EcgRecord to a header and
 * one format 16 or 212 signal file; annotations to an MIT-format annotation file. Bytes and text out, no I/O.
 *
 * Digital values: d = round(p * gain + baseline), NaN -> the format's invalid code. Gains and baselines are given
 * per lead or, by default, chosen as wfdb-python does: the lead's physical range spread over the format's whole
 * valid digital range (a constant lead p gets gain |1/p| and baseline 0, so that it is written as +-1 and read back
 * as p; gain 1 and baseline 1 when p is 0). Checksums are the 16-bit sums of the digital samples.
 */
import { ConfigError } from '../../errors.js';
import type { EcgRecord } from '../record.js';
import { WFDB_FORMATS } from './formats.js';
import type { WfdbAnnotation } from './annotations.js';

export type WritableFormat = 16 | 212;

export interface WfdbWriteOptions {
  /** Signal file format (default 16). */
  format?: WritableFormat;
  /** ADC units per physical unit, per lead (default: from each lead's range). */
  gains?: readonly number[];
  /** Digital value of physical zero, per lead (default: from each lead's range). */
  baselines?: readonly number[];
  /** Record name in the header and file names (default: record.name). */
  name?: string;
}

export interface EncodedWfdbRecord {
  /** `<name>.hea` contents. */
  header: string;
  /** `<name>.dat` contents. */
  data: Uint8Array;
  headerName: string;
  dataName: string;
  /** Per lead: gain, baseline and checksum written. */
  leads: Array<{ gain: number; baseline: number; checksum: number }>;
}

/** Valid digital range of each writable format (its most negative value marks invalid samples). */
const DIGITAL_RANGE: Record<WritableFormat, { min: number; max: number; bits: number }> = {
  16: { min: -32767, max: 32767, bits: 16 },
  212: { min: -2047, max: 2047, bits: 12 },
};

/** Encodes a record as a WFDB header and one interleaved signal file. ConfigError for bad names or options. */
export function encodeWfdbRecord(record: EcgRecord, options: WfdbWriteOptions = {}): EncodedWfdbRecord {
  const format = options.format ?? 16;
  const range = DIGITAL_RANGE[format];
  if (range === undefined) throw new ConfigError(`format: expected 16 or 212, got ${String(format)}`);
  const name = options.name ?? record.name;
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new ConfigError(`record name ${JSON.stringify(name)}: WFDB names are letters, digits and _`);
  const leads = record.signals.length;
  const length = record.signals[0]?.length ?? 0;
  if (leads === 0) throw new ConfigError(`${name}: a record to write needs at least one lead`);
  if (record.signals.some((s) => s.length !== length))
    throw new ConfigError(`${name}: every lead must have the same length`);
  checkPerLead(options.gains, leads, 'gains', (g) => Number.isFinite(g) && g > 0);
  checkPerLead(options.baselines, leads, 'baselines', Number.isInteger);
  const scales = record.signals.map((signal, lead) => {
    const auto = autoScale(signal, range);
    return { gain: options.gains?.[lead] ?? auto.gain, baseline: options.baselines?.[lead] ?? auto.baseline };
  });
  const invalid = WFDB_FORMATS[format].invalid!;
  const digital = new Int32Array(length * leads);
  const sums = new Array<number>(leads).fill(0);
  record.signals.forEach((signal, lead) => {
    const { gain, baseline } = scales[lead]!;
    for (let n = 0; n < length; n++) {
      const d = toDigital(signal[n]!, gain, baseline, range, invalid, `${name} lead ${lead} sample ${n}`);
      digital[n * leads + lead] = d;
      sums[lead] = (sums[lead]! + d) & 0xffff;
    }
  });
  const checksums = sums.map((sum) => (sum << 16) >> 16);
  const dataName = `${name}.dat`;
  const lines = [`${name} ${leads} ${record.fs} ${length}`];
  record.signals.forEach((_, lead) => {
    const { gain, baseline } = scales[lead]!;
    const units = (record.units[lead] ?? 'mV').replace(/[\s\p{Cc}]/gu, '_') || 'mV';
    // A line break in a lead name would end the signal line: the rest would be read as another line.
    const description = (record.leads[lead] ?? `signal ${lead}`).replace(/[\p{Cc}\u2028\u2029]/gu, ' ');
    lines.push(
      `${dataName} ${format} ${gain}(${baseline})/${units} ${range.bits} 0 ${digital[lead] ?? 0} ${checksums[lead]} 0 ${description}`,
    );
  });
  lines.push(...commentLines(record));
  return {
    header: `${lines.join('\n')}\n`,
    data: format === 16 ? encode16(digital) : encode212(digital),
    headerName: `${name}.hea`,
    dataName,
    leads: scales.map((s, lead) => ({ ...s, checksum: checksums[lead]! })),
  };
}

function checkPerLead(
  values: readonly number[] | undefined,
  leads: number,
  what: string,
  valid: (v: number) => boolean,
): void {
  if (values === undefined) return;
  if (values.length !== leads || !values.every(valid))
    throw new ConfigError(
      `${what}: expected ${leads} values (one per lead) of the right kind, got [${values.join(', ')}]`,
    );
}

/**
 * The lead's finite range spread over the digital range (wfdb-python's adc_gain / baseline choice); for a constant
 * lead, wfdb-python's choice too: gain |1/p| and baseline 0 (gain 1, baseline 1 when p is 0), exact once read back.
 */
function autoScale(
  signal: Float32Array,
  range: { min: number; max: number },
): { gain: number; baseline: number } {
  let low = Infinity;
  let high = -Infinity;
  for (const v of signal) {
    if (!Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (!(high > low)) {
    if (!Number.isFinite(low)) return { gain: 1, baseline: 0 }; // no finite sample
    return low === 0 ? { gain: 1, baseline: 1 } : { gain: Math.abs(1 / low), baseline: 0 };
  }
  // One step of slack so that rounding never pushes the extremes past the range.
  const gain = (range.max - range.min - 1) / (high - low);
  return { gain, baseline: Math.ceil(range.min - low * gain) };
}

function toDigital(
  value: number,
  gain: number,
  baseline: number,
  range: { min: number; max: number },
  invalid: number,
  where: string,
): number {
  if (Number.isNaN(value)) return invalid;
  const d = Math.round(value * gain + baseline);
  if (!(d >= range.min && d <= range.max))
    throw new ConfigError(
      `${where}: ${value} is outside the format's range at gain ${gain}, baseline ${baseline}`,
    );
  return d;
}

/** The record's age, sex and other comments as `#` lines (what the PhysioNet challenge headers carry). */
function commentLines(record: EcgRecord): string[] {
  const lines: string[] = [];
  if (record.age !== null) lines.push(`#Age: ${record.age}`);
  if (record.sex !== 'unknown') lines.push(`#Sex: ${record.sex === 'male' ? 'Male' : 'Female'}`);
  return lines;
}

function encode16(digital: Int32Array): Uint8Array {
  const out = new Uint8Array(digital.length * 2);
  const view = new DataView(out.buffer);
  digital.forEach((d, i) => view.setInt16(2 * i, d, true));
  return out;
}

/** Two 12-bit samples in three bytes, the middle byte holding both high nibbles; an odd last sample takes two. */
function encode212(digital: Int32Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((digital.length * 3) / 2));
  for (let i = 0, o = 0; i < digital.length; i += 2, o += 3) {
    const a = digital[i]! & 0xfff;
    const b = i + 1 < digital.length ? digital[i + 1]! & 0xfff : 0;
    out[o] = a & 0xff;
    out[o + 1] = ((a >> 8) & 0x0f) | (((b >> 8) & 0x0f) << 4);
    if (i + 1 < digital.length) out[o + 2] = b & 0xff;
  }
  return out;
}

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;

/**
 * Encodes annotations (sorted by sample) as an MIT-format annotation file: one word per annotation (code, interval
 * since the previous one), SKIP for intervals past 1023 samples, SUB / CHN / NUM / AUX after the annotation they
 * modify (CHN and NUM only when they change, as they carry over), and a zero word at the end.
 */
export function encodeAnnotations(annotations: readonly WfdbAnnotation[]): Uint8Array {
  const bytes: number[] = [];
  const word = (value: number) => bytes.push(value & 0xff, (value >> 8) & 0xff);
  let time = 0;
  let chan = 0;
  let num = 0;
  annotations.forEach((a, i) => {
    checkAnnotation(a, i, time);
    let interval = a.sample - time;
    if (interval > 0x3ff) {
      word(SKIP << 10);
      word((interval >>> 16) & 0xffff);
      word(interval & 0xffff);
      interval = 0;
    }
    word((a.code << 10) | interval);
    time = a.sample;
    if (a.subtype !== 0) word((SUB << 10) | a.subtype);
    if (a.chan !== chan) word((CHN << 10) | (chan = a.chan));
    if (a.num !== num) word((NUM << 10) | (num = a.num));
    if (a.aux !== null) {
      const text = Array.from(a.aux, (c) => c.charCodeAt(0) & 0xff);
      word((AUX << 10) | text.length);
      bytes.push(...text);
      if (text.length & 1) bytes.push(0);
    }
  });
  word(0);
  return Uint8Array.from(bytes);
}

function checkAnnotation(a: WfdbAnnotation, index: number, previous: number): void {
  const where = `annotations[${index}]`;
  if (!Number.isInteger(a.sample) || a.sample < previous)
    throw new ConfigError(
      `${where}: sample ${a.sample} (annotations must be sorted, at integer samples >= 0)`,
    );
  if (!Number.isInteger(a.code) || a.code < 1 || a.code > 49)
    throw new ConfigError(`${where}: code ${a.code} is not an annotation code (1..49)`);
  for (const [field, value] of [
    ['subtype', a.subtype],
    ['chan', a.chan],
    ['num', a.num],
  ] as const)
    if (!Number.isInteger(value) || value < 0 || value > 0x3ff)
      throw new ConfigError(`${where}: ${field} ${value} is outside 0..1023`);
  if (a.aux !== null && a.aux.length > 0x3ff)
    throw new ConfigError(`${where}: aux is longer than 1023 bytes`);
}
