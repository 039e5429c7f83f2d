/**
 * ECG records from MAT-files: the CPSC 2018 originals (struct `ECG` with `sex`, `age`, `data` 12 x N at 500 Hz)
 * and plain `val` matrices (PhysioNet / CinC 2017 style, leads in rows, sampling rate given by the caller).
 */
import { FormatError } from '../../errors.js';
import { checkFs, checkSamples, FLOAT32_MAX, readLimits } from '../limits.js';
import { FS_HINT, type EcgRecord, type Sex } from '../record.js';
import { parseMat, type ParseMatOptions } from './parse.js';
import { describeMatValue, type MatFile, type MatNumeric, type MatValue } from './types.js';

export interface MatRecordOptions extends ParseMatOptions {
  /** Sampling frequency in Hz of a `val` matrix (required there); a CPSC 2018 struct is 500 Hz and ignores it. */
  fs?: number;
  /** ADC units per physical unit for a `val` matrix (e.g. 1000 for CinC 2017); values are divided by it. */
  gain?: number;
  /** Physical units; default "mV", or "adu" for a `val` matrix read without a gain. */
  units?: string;
  /** Lead names in row order; default the standard 12 leads for 12 rows, else "ch1", "ch2"... */
  leads?: string[];
  /** Record name; default the file name of `source` without ".mat". */
  name?: string;
}

const TWELVE_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
const CPSC_FS = 500;
/** WFDB's "invalid sample" value for 16-bit data, which `val` matrices (from wfdb2mat) inherit. */
const INT16_INVALID = -32768;

/** Reads an ECG record from MAT-file bytes; `source` names them in errors. */
export function readMatRecord(
  bytes: Uint8Array,
  source = '<bytes>',
  options: MatRecordOptions = {},
): EcgRecord {
  const file = parseMat(bytes, source, options);
  const ecg = file.variables.get('ECG');
  if (ecg?.kind === 'struct') return cpscRecord(file, ecg.elements[0], source, options);
  const val = file.variables.get('val');
  if (val?.kind === 'numeric') return valRecord(file, val, source, options);
  const found = [...file.variables].map(([name, value]) => `${name} (${describeMatValue(value)})`);
  throw new FormatError(
    source,
    `no ECG variable (expected struct 'ECG' with field 'data', or matrix 'val'); variables: ${found.join(', ') || 'none'}`,
  );
}

function cpscRecord(
  file: MatFile,
  ecg: Map<string, MatValue> | undefined,
  source: string,
  options: MatRecordOptions,
): EcgRecord {
  const data = ecg?.get('data');
  if (data?.kind !== 'numeric') {
    throw new FormatError(
      source,
      `struct 'ECG' has no numeric field 'data' (fields: ${[...(ecg?.keys() ?? [])]})`,
    );
  }
  // CPSC 2018 records are 500 Hz: the caller's fs is for records that carry no rate (as the HDF5 reader's rule).
  const fs = checkFs(CPSC_FS, source, readLimits(options.limits));
  const signals = rowsAsSignals(data, source, 1, false, options);
  return {
    name: options.name ?? nameFromSource(source),
    fs,
    leads: leadNames(signals.length, options.leads, source),
    units: signals.map(() => options.units ?? 'mV'),
    signals,
    age: parseAge(ecg?.get('age')),
    sex: parseSex(ecg?.get('sex')),
    metadata: { format: `mat-v${file.level}`, variable: 'ECG' },
  };
}

function valRecord(file: MatFile, val: MatNumeric, source: string, options: MatRecordOptions): EcgRecord {
  if (options.fs === undefined) {
    throw new FormatError(
      source,
      `matrix 'val' carries no sampling frequency: give it (${FS_HINT}) or read the record through its WFDB header`,
    );
  }
  const gain = options.gain ?? 1;
  if (!(gain > 0) || !Number.isFinite(gain)) throw new FormatError(source, `invalid gain ${gain}`);
  const fs = checkFs(options.fs, source, readLimits(options.limits));
  const signals = rowsAsSignals(val, source, gain, val.class === 'int16', options);
  return {
    name: options.name ?? nameFromSource(source),
    fs,
    leads: leadNames(signals.length, options.leads, source),
    units: signals.map(() => options.units ?? (options.gain === undefined ? 'adu' : 'mV')),
    signals,
    age: null,
    sex: 'unknown',
    metadata: { format: `mat-v${file.level}`, variable: 'val', gain },
  };
}

/** Leads in rows of a 2-D matrix (column-major), divided by `gain`; int16 -32768 becomes NaN when asked. */
function rowsAsSignals(
  matrix: MatNumeric,
  source: string,
  gain: number,
  int16Invalid: boolean,
  options: MatRecordOptions,
): Float32Array[] {
  const [rows = 0, columns = 0, ...rest] = matrix.dims;
  if (rest.some((d) => d !== 1))
    throw new FormatError(source, `ECG matrix has ${matrix.dims.length} dimensions`);
  if (rows === 0 || columns === 0)
    throw new FormatError(source, `ECG matrix is empty (${matrix.dims.join('x')})`);
  checkSamples(source, columns, rows, readLimits(options.limits));
  // Element by element (Number() of each): no float64 copy of the whole matrix.
  const values = matrix.real;
  return Array.from({ length: rows }, (_, r) => {
    const lead = new Float32Array(columns);
    for (let c = 0; c < columns; c++) {
      const value = Number(values[r + c * rows]!);
      const scaled = int16Invalid && value === INT16_INVALID ? NaN : value / gain;
      if (Math.abs(scaled) > FLOAT32_MAX) throw beyondFloat32(source, r, c, scaled);
      lead[c] = scaled;
    }
    return lead;
  });
}

function beyondFloat32(source: string, row: number, column: number, value: number): FormatError {
  return new FormatError(
    source,
    `lead ${row + 1}, sample ${column + 1}: ${value} (after the gain) is beyond float32 (±3.4e38), the precision samples are read in`,
  );
}

function leadNames(count: number, given: string[] | undefined, source: string): string[] {
  if (given) {
    if (given.length !== count)
      throw new FormatError(source, `${given.length} lead names for ${count} leads`);
    return [...given];
  }
  return count === TWELVE_LEADS.length
    ? [...TWELVE_LEADS]
    : Array.from({ length: count }, (_, i) => `ch${i + 1}`);
}

function parseAge(value: MatValue | undefined): number | null {
  if (value?.kind !== 'numeric' || value.real.length !== 1) return null;
  const age = Number(value.real[0]);
  return Number.isFinite(age) && age >= 0 && age < 150 ? age : null;
}

function parseSex(value: MatValue | undefined): Sex {
  const text = value?.kind === 'char' ? (value.rows[0] ?? '').trim().toLowerCase() : '';
  if (text === 'male' || text === 'm') return 'male';
  if (text === 'female' || text === 'f') return 'female';
  return 'unknown';
}

function nameFromSource(source: string): string {
  const base = source.split(/[\\/]/).pop() ?? source;
  return base.replace(/\.mat$/i, '');
}
