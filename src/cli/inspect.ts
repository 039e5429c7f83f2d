import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { expandInputs } from '../io/find-records.js';
import { HDF5_EXTENSIONS, parseExamName, withHdf5Exams } from '../io/hdf5.js';
import { MissingFileError } from '../errors.js';
import { positiveNumber } from './parsers.js';
import { readRecord, readWfdb, readWfdbHeader } from '../io/read.js';
import { recordDuration, recordLength, type EcgRecord } from '../io/record.js';
import { extension } from '../io/source.js';

/** What `inspect` prints; the JSON keys are part of the CLI's interface. */
export interface RecordDescription {
  record: string;
  format: string;
  fs: number;
  n_samples: number;
  duration_s: number;
  age: number | null;
  sex: string;
  /** null when the source carries no checksums (MAT, CSV) or its checksum fields are 0 (not recorded). */
  checksums_ok: boolean | null;
  /** 'agree' | 'mismatch' | 'not recorded' (header fields 0, e.g. CinC 2017) | 'not available' (MAT, CSV). */
  checksum_status: ChecksumStatus;
  /** The record's start as ISO 8601 (WFDB base date and time, either date style), null when not given. */
  start_time: string | null;
  leads: LeadDescription[];
  notes: string[];
}

export interface LeadDescription {
  name: string;
  units: string;
  gain: number | null;
  baseline: number | null;
  format: string;
  adc_resolution: number | null;
  adc_zero: number | null;
  samples_per_frame: number | null;
  checksum: { header: number | null; data: number; ok: boolean | null } | null;
}

export type ChecksumStatus = 'agree' | 'mismatch' | 'not recorded' | 'not available';

/** WFDB records are described from header and data (like wfdbdesc); other files from the decoded record. */
export async function describeRecord(
  input: string,
  options: { fs?: number } = {},
): Promise<RecordDescription> {
  if (await isWfdb(input)) return describeWfdb(input);
  return describeOther(await readRecord(input, options), extension(input));
}

async function isWfdb(input: string): Promise<boolean> {
  const ext = extension(input);
  if (ext === 'hea' || ext === 'dat' || ext === '') return true;
  if (ext !== 'mat') return false;
  try {
    await readWfdbHeader(input);
    return true;
  } catch (error) {
    if (error instanceof MissingFileError) return false;
    throw error;
  }
}

async function describeWfdb(input: string): Promise<RecordDescription> {
  const { record, header, checksums, notes } = await readWfdb(input);
  const formats = [
    ...new Set(header.signals.map((s) => s.format + (s.byteOffset ? `+${s.byteOffset}` : ''))),
  ];
  const compared = checksums.filter((c) => c.ok !== null);
  const ok = compared.length === 0 ? null : compared.every((c) => c.ok);
  const zeroFields = checksums.some((c) => c.expected === 0 && c.ok === null);
  return {
    ...summary(record, `wfdb ${formats.join(',')}`),
    checksums_ok: ok,
    checksum_status: ok === false ? 'mismatch' : zeroFields ? 'not recorded' : ok ? 'agree' : 'not available',
    start_time: header.startTime,
    leads: header.signals.map((s, i) => ({
      name: record.leads[i]!,
      units: s.units,
      gain: s.adcGain,
      baseline: s.baseline,
      format: String(s.format),
      adc_resolution: s.adcResolution,
      adc_zero: s.adcZero,
      samples_per_frame: s.samplesPerFrame,
      checksum: { header: checksums[i]!.expected, data: checksums[i]!.actual, ok: checksums[i]!.ok },
    })),
    notes,
  };
}

function describeOther(record: EcgRecord, ext: string): RecordDescription {
  return {
    ...summary(record, ext),
    checksums_ok: null,
    checksum_status: 'not available',
    start_time: null,
    leads: record.leads.map((name, i) => ({
      name,
      units: record.units[i] ?? '',
      gain: null,
      baseline: null,
      format: ext,
      adc_resolution: null,
      adc_zero: null,
      samples_per_frame: null,
      checksum: null,
    })),
    notes: [],
  };
}

function summary(record: EcgRecord, format: string) {
  return {
    record: record.name,
    format,
    fs: record.fs,
    n_samples: recordLength(record),
    duration_s: recordDuration(record),
    age: record.age,
    sex: record.sex,
  };
}

function formatText(d: RecordDescription): string {
  const checks = {
    agree: 'all agree',
    mismatch: 'MISMATCH',
    'not recorded': 'not recorded (checksum fields are 0)',
    'not available': 'not available',
  }[d.checksum_status];
  const lines = [
    `Record ${d.record}`,
    `Format: ${d.format}`,
    `Sampling frequency: ${d.fs} Hz`,
    `Length: ${d.n_samples} samples (${d.duration_s.toFixed(3)} s)`,
    ...(d.start_time === null ? [] : [`Start: ${d.start_time.replace('T', ' ')}`]),
    `Age: ${d.age ?? 'unknown'}  Sex: ${d.sex}`,
    `Checksums: ${checks}`,
    `Leads (${d.leads.length}):`,
    ...d.leads.map((l, i) => {
      const calibration = l.gain === null ? '' : `  gain ${l.gain} adu/${l.units}  baseline ${l.baseline}`;
      const check = l.checksum?.ok === false ? `  checksum ${l.checksum.data} != ${l.checksum.header}` : '';
      return `  ${i}: ${l.name} [${l.units}]${calibration}${check}`;
    }),
    ...d.notes.map((note) => `Note: ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'Describe a record (WFDB .hea/.dat, .mat, .csv): rate, length, leads, gains, age/sex, checksums',
    )
    .argument(
      '<record>',
      'header path, record path without extension, URL, .mat, .csv, an HDF5 exam (FILE#ID) or file (each exam), or a folder (each record in it)',
    )
    .option('--json', 'print JSON')
    .option(
      '--fs <hz>',
      'sampling frequency for files that do not carry one (CSV, bare .mat)',
      positiveNumber,
    )
    .action(async (input: string, options: { json?: boolean; fs?: number }) => {
      const readOptions = options.fs === undefined ? {} : { fs: options.fs };
      if (!isFolder(input) && !isWholeHdf5(input)) {
        const description = await describeRecord(input, readOptions);
        process.stdout.write(
          options.json ? `${JSON.stringify(description, null, 2)}\n` : formatText(description),
        );
        return;
      }
      const described = await describeFolder(input, readOptions);
      if (described.length > 0 && described.every((d) => 'error' in d)) process.exitCode = 1;
      process.stdout.write(
        options.json
          ? `${JSON.stringify(described, null, 2)}\n`
          : described.map((d) => ('error' in d ? `${d.file}: ERROR ${d.error}\n` : formatText(d))).join('\n'),
      );
    });
}

const isFolder = (input: string) => existsSync(input) && statSync(input).isDirectory();
/** An HDF5 file named without an exam: described exam by exam, as a folder is record by record. */
const isWholeHdf5 = (input: string) => HDF5_EXTENSIONS.has(extension(input)) && parseExamName(input) === null;

/**
 * Every record in a folder (as `predict DIR` finds them), or every exam of an HDF5 file, described; a record that
 * cannot be read gives its error.
 */
export async function describeFolder(
  dir: string,
  options: { fs?: number } = {},
): Promise<Array<RecordDescription | { file: string; error: string }>> {
  const out: Array<RecordDescription | { file: string; error: string }> = [];
  for await (const file of withHdf5Exams(isFolder(dir) ? expandInputs([dir]) : [dir], options)) {
    try {
      out.push(await describeRecord(file, options));
    } catch (error) {
      out.push({ file, error: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  return out;
}
