/**
 * Pure EDF / EDF+ reader (European Data Format, Kemp et al. 1992; EDF+, Kemp & Olivan 2003): bytes in, EcgRecord
 * out, annotations in `metadata.annotations`.
 *
 * Layout: a 256-byte ASCII header, 256 bytes per signal (each field stored for all signals in turn), then data
 * records: per record, each signal's samples (little-endian int16) one signal after the other.
 * physical = (digital - digital min) * (physical max - physical min) / (digital max - digital min) + physical min.
 * EDF+ 'EDF Annotations' signals hold time-stamped annotation lists (TALs): `+onset[\x15duration]\x14text\x14...\0`;
 * the first TAL of each record only keeps time (the record's start after the header's start time) and is not an
 * annotation.
 *
 * Choices: an EcgRecord has one rate, so ordinary signals sampled at another rate than the first are left out and
 * named in `metadata.skippedSignals`; EDF+D (discontinuous) records are read as if contiguous, with a note. Age
 * and sex come from the EDF+ patient field (`code sex birthdate name`).
 */
import { FormatError } from '../errors.js';
import { checkFs, checkSamples, FLOAT32_MAX, readLimits, type ReadLimits } from './limits.js';
import type { EcgRecord, Sex } from './record.js';

export interface EdfAnnotation {
  /**
   * Seconds from the record's first sample. The file's onsets count from the header's start time, which the first
   * data record may follow (its time-keeping TAL says by how much); in EDF+D each data record's own start is
   * subtracted, so onsets follow the samples as they are read (contiguous).
   */
  onset: number;
  /** Seconds (0 when the annotation gives none). */
  duration: number;
  text: string;
}

interface EdfSignal {
  label: string;
  transducer: string;
  units: string;
  physicalMin: number;
  physicalMax: number;
  digitalMin: number;
  digitalMax: number;
  prefiltering: string;
  samplesPerRecord: number;
}

interface EdfHeader {
  version: string;
  patient: string;
  recording: string;
  startDate: string;
  startTime: string;
  headerBytes: number;
  reserved: string;
  records: number;
  recordSeconds: number;
  signals: EdfSignal[];
}

const ANNOTATION_LABEL = 'EDF Annotations';

/** Fields of the signal header, in file order, with their widths. */
const SIGNAL_FIELDS = [
  ['label', 16],
  ['transducer', 80],
  ['units', 8],
  ['physicalMin', 8],
  ['physicalMax', 8],
  ['digitalMin', 8],
  ['digitalMax', 8],
  ['prefiltering', 80],
  ['samplesPerRecord', 8],
  ['reserved', 32],
] as const;

const NUMERIC = new Set(['physicalMin', 'physicalMax', 'digitalMin', 'digitalMax', 'samplesPerRecord']);

/** Whether bytes start with EDF's version field: "0" padded with spaces. */
function hasEdfVersion(bytes: Uint8Array): boolean {
  return bytes.length >= 256 && ascii(bytes, 0, 8) === '0       ';
}

/**
 * Whether bytes start like an EDF file: the version field, and a header-bytes field of 256 x (signals + 1). Both
 * are needed to tell EDF from a WFDB header: plain EDF's patient field is free text, which may start like a
 * record line ("0       12345 M ...").
 */
export function looksLikeEdf(bytes: Uint8Array): boolean {
  if (!hasEdfVersion(bytes)) return false;
  const headerBytes = ascii(bytes, 184, 8).trim();
  const count = ascii(bytes, 252, 4).trim();
  return (
    /^\d+$/.test(headerBytes) && /^\d+$/.test(count) && Number(headerBytes) === 256 * (Number(count) + 1)
  );
}

/**
 * Samples per data record over its duration, in Hz. The duration is a decimal text field: 21 samples in "0.7" s is
 * 30.000000000000004 in floating point, which would read as another rate than a model's 30 Hz (and resample); the
 * quotient is rounded to 12 significant digits, far below any real rate's precision.
 */
export function samplingRate(samplesPerRecord: number, recordSeconds: number): number {
  return Number((samplesPerRecord / recordSeconds).toPrecision(12));
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let text = '';
  for (let i = start; i < start + length && i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

export function parseEdfHeader(bytes: Uint8Array, source: string): EdfHeader {
  if (!hasEdfVersion(bytes))
    throw new FormatError(source, 'not an EDF file (the header must start with version "0")');
  const text = (start: number, length: number) => ascii(bytes, start, length).trim();
  const num = (value: string, what: string) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n))
      throw new FormatError(source, `${what}: "${value}" is not a number`);
    return n;
  };
  const count = num(text(252, 4), 'number of signals');
  const headerBytes = num(text(184, 8), 'header bytes');
  if (!Number.isInteger(count) || count < 1 || headerBytes !== 256 * (count + 1))
    throw new FormatError(source, `header: ${count} signals do not match ${headerBytes} header bytes`);
  if (bytes.length < headerBytes) throw new FormatError(source, `truncated header (${bytes.length} bytes)`);
  const fields: Record<string, string[]> = {};
  let offset = 256;
  for (const [name, width] of SIGNAL_FIELDS) {
    fields[name] = Array.from({ length: count }, (_, i) => text(offset + i * width, width));
    offset += count * width;
  }
  const signals = Array.from({ length: count }, (_, i) => {
    const signal: Record<string, string | number> = {};
    for (const [name] of SIGNAL_FIELDS) {
      const value = fields[name]![i]!;
      signal[name] = NUMERIC.has(name) ? num(value, `signal ${i + 1} ${name}`) : value;
    }
    return signal as unknown as EdfSignal;
  });
  for (const [i, s] of signals.entries()) {
    if (!Number.isInteger(s.samplesPerRecord) || s.samplesPerRecord < 1)
      throw new FormatError(
        source,
        `signal ${i + 1} (${s.label}): ${s.samplesPerRecord} samples per data record`,
      );
    if (s.digitalMax <= s.digitalMin)
      throw new FormatError(source, `signal ${i + 1} (${s.label}): digital maximum not above the minimum`);
    // The spec requires them to differ (a reversed range is a polarity, allowed); equal, every sample reads the same.
    if (s.physicalMax === s.physicalMin && s.label !== ANNOTATION_LABEL)
      throw new FormatError(
        source,
        `signal ${i + 1} (${s.label}): physical minimum and maximum are equal (${s.physicalMin}): every sample would read ${s.physicalMin}`,
      );
  }
  return {
    version: text(0, 8),
    patient: text(8, 80),
    recording: text(88, 80),
    startDate: text(168, 8),
    startTime: text(176, 8),
    headerBytes,
    reserved: text(192, 44),
    records: num(text(236, 8), 'number of data records'),
    recordSeconds: num(text(244, 8), 'data record duration'),
    signals,
  };
}

/** Reads an EDF or EDF+ file. Every problem is a FormatError naming the file. */
export function readEdfRecord(
  bytes: Uint8Array,
  source: string,
  limits: Partial<ReadLimits> = {},
): EcgRecord {
  const budget = readLimits(limits);
  const header = parseEdfHeader(bytes, source);
  if (header.signals.length > budget.maxLeads)
    throw new FormatError(
      source,
      `${header.signals.length} signals exceeds the limit of ${budget.maxLeads} leads`,
    );
  const recordSamples = header.signals.reduce((sum, s) => sum + s.samplesPerRecord, 0);
  const available = Math.floor((bytes.length - header.headerBytes) / (2 * recordSamples));
  // -1 means "unknown" in EDF: as many records as the file holds.
  const records = header.records === -1 ? available : header.records;
  if (!Number.isInteger(records) || records < 0 || available < records)
    throw new FormatError(
      source,
      `truncated: header declares ${header.records} data records, the file holds ${available}`,
    );
  const ordinary = header.signals.flatMap((s, i) => (s.label === ANNOTATION_LABEL ? [] : [i]));
  if (ordinary.length === 0) throw new FormatError(source, 'no signals besides annotations');
  const rate = header.signals[ordinary[0]!]!.samplesPerRecord;
  const kept = ordinary.filter((i) => header.signals[i]!.samplesPerRecord === rate);
  const skipped = ordinary.filter((i) => !kept.includes(i)).map((i) => header.signals[i]!.label);
  const fs = checkFs(samplingRate(rate, header.recordSeconds), source, budget);
  checkSamples(source, records * rate, kept.length, budget);
  const starts = signalOffsets(header);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const i of kept) checkPhysicalRange(header.signals[i]!, i, source);
  const signals = kept.map((i) => physicalSignal(view, header, i, starts[i]!, recordSamples, records));
  const annotationSignals = header.signals.flatMap((s, i) => (s.label === ANNOTATION_LABEL ? [i] : []));
  const annotations = edfAnnotations(
    bytes,
    header,
    annotationSignals,
    starts,
    recordSamples,
    records,
    source,
  );
  annotations.sort((a, b) => a.onset - b.onset);
  const patient = patientOf(header);
  const plus = header.reserved.startsWith('EDF+');
  return {
    name: source.replace(/^.*[/\\]/, '').replace(/\.(edf|rec)$/i, ''),
    fs,
    leads: kept.map((i) => header.signals[i]!.label),
    units: kept.map((i) => header.signals[i]!.units || 'mV'),
    signals,
    age: patient.age,
    sex: patient.sex,
    metadata: {
      source: plus ? 'edf+' : 'edf',
      patient: header.patient,
      recording: header.recording,
      startDate: header.startDate,
      startTime: header.startTime,
      annotations,
      skippedSignals: skipped,
      prefiltering: kept.map((i) => header.signals[i]!.prefiltering),
      notes: header.reserved.startsWith('EDF+D')
        ? ['EDF+D (discontinuous): data records read as contiguous']
        : [],
    },
  };
}

/** Offset of each signal's samples within a data record, in samples. */
function signalOffsets(header: EdfHeader): number[] {
  let at = 0;
  return header.signals.map((s) => {
    const start = at;
    at += s.samplesPerRecord;
    return start;
  });
}

/**
 * Refuses a signal whose physical range, extended over every int16 sample as the linear map does, leaves float32
 * (a physical minimum of -1e308 read as -Infinity): the samples would be infinite, or NaN where the scale is.
 */
function checkPhysicalRange(s: EdfSignal, index: number, source: string): void {
  const scale = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
  const at = (digital: number) => (digital - s.digitalMin) * scale + s.physicalMin;
  const extremes = [s.physicalMin, s.physicalMax, at(-32768), at(32767)];
  if (extremes.every((x) => Math.abs(x) <= FLOAT32_MAX)) return;
  throw new FormatError(
    source,
    `signal ${index + 1} (${s.label}): physical range ${s.physicalMin} to ${s.physicalMax} over digital ` +
      `${s.digitalMin} to ${s.digitalMax} makes samples beyond float32 (±3.4e38)`,
  );
}

function physicalSignal(
  view: DataView,
  header: EdfHeader,
  index: number,
  start: number,
  recordSamples: number,
  records: number,
): Float32Array {
  const s = header.signals[index]!;
  const scale = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
  const out = new Float32Array(records * s.samplesPerRecord);
  for (let r = 0, o = 0; r < records; r++) {
    let at = header.headerBytes + 2 * (r * recordSamples + start);
    for (let k = 0; k < s.samplesPerRecord; k++, at += 2)
      out[o++] = (view.getInt16(at, true) - s.digitalMin) * scale + s.physicalMin;
  }
  return out;
}

/**
 * The TALs of every annotation signal (`indices`, in file order), record by record. Only the first TAL of the
 * FIRST annotation signal keeps time (EDF+ 2.2.4: its onset is the data record's start); it is not an annotation
 * of its own, and its shift applies to every annotation signal of that data record. The other signals' empty
 * texts (padding some writers put there) are no annotations either.
 */
function edfAnnotations(
  bytes: Uint8Array,
  header: EdfHeader,
  indices: readonly number[],
  starts: readonly number[],
  recordSamples: number,
  records: number,
  source: string,
): EdfAnnotation[] {
  const out: EdfAnnotation[] = [];
  for (let r = 0; r < records; r++) {
    let shift = 0;
    indices.forEach((index, n) => {
      const length = 2 * header.signals[index]!.samplesPerRecord;
      const at = header.headerBytes + 2 * (r * recordSamples + starts[index]!);
      const lists = parseTals(bytes.subarray(at, at + length), `${source} data record ${r + 1}`);
      // Where the data record's samples sit in what is read: r whole records after the first sample.
      if (n === 0) shift = r * header.recordSeconds - (lists[0]?.onset ?? r * header.recordSeconds);
      lists.forEach((tal, k) => {
        for (const text of tal.texts)
          if (text !== '' || (n === 0 && k > 0))
            out.push({ onset: roundSeconds(tal.onset + shift), duration: tal.duration, text });
      });
    });
  }
  return out;
}

/** Onsets carry at most 100 ns (the TAL's own resolution in practice): drops the float error of the shift. */
function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e7) / 1e7;
}

/** Time-stamped annotation lists of one record's annotation bytes (NUL-separated). */
function parseTals(
  bytes: Uint8Array,
  where: string,
): Array<{ onset: number; duration: number; texts: string[] }> {
  const decoder = new TextDecoder('utf-8');
  const tals: Array<{ onset: number; duration: number; texts: string[] }> = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      const parts = decoder.decode(bytes.subarray(start, end)).split('\x14');
      const [onsetText = '', durationText] = parts[0]!.split('\x15');
      const onset = Number(onsetText);
      if (!/^[+-]/.test(onsetText) || !Number.isFinite(onset))
        throw new FormatError(where, `annotation onset "${onsetText}" is not a signed number of seconds`);
      const duration = durationText === undefined ? 0 : Number(durationText);
      if (!Number.isFinite(duration))
        throw new FormatError(where, `annotation duration "${durationText}" is not a number`);
      tals.push({ onset, duration, texts: parts.slice(1, -1) });
    }
    start = end + 1;
  }
  return tals;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** EDF+ patient field: `code sex birthdate name` (X for unknown); age at the start date when both are known. */
function patientOf(header: EdfHeader): { age: number | null; sex: Sex } {
  const [, sexField, birth] = header.patient.split(/\s+/);
  const sex: Sex = sexField === 'M' ? 'male' : sexField === 'F' ? 'female' : 'unknown';
  const born = /^(\d{2})-([A-Z]{3})-(\d{4})$/.exec(birth ?? '');
  const started = /^(\d{2})\.(\d{2})\.(\d{2})$/.exec(header.startDate);
  if (!header.reserved.startsWith('EDF+') || !born || !started) return { age: null, sex };
  // EDF start dates have two-digit years: 85-99 are 1985-1999, 00-84 are 2000-2084 (EDF+ clipping date).
  const year = Number(started[3]) + (Number(started[3]) >= 85 ? 1900 : 2000);
  const month = MONTHS.indexOf(born[2]!);
  const beforeBirthday =
    Number(started[2]) - 1 < month ||
    (Number(started[2]) - 1 === month && Number(started[1]) < Number(born[1]));
  const age = year - Number(born[3]) - (beforeBirthday ? 1 : 0);
  return { age: month < 0 || age < 0 ? null : age, sex };
}
