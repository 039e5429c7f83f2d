/**
 * ECG records from delimited text (pure: text in, EcgRecord out). One lead per column, optional header row of
 * lead names (with an optional unit: "II (mV)" or "II [mV]"), comma, semicolon or tab separated, and an optional
 * time column recognised by its name, from which the sampling frequency can be derived.
 */
import { FormatError } from '../errors.js';
import type { EcgRecord } from './record.js';

export interface CsvRecordOptions {
  /** Sampling frequency in Hz; required unless a time column gives it. */
  fs?: number;
  /** Lead names in column order (overrides the header). */
  leads?: string[];
  /** Units for every lead when the header gives none (default "mV"). */
  units?: string;
  /** Record name; default the file name of `source` without its extension. */
  name?: string;
}

type Delimiter = ',' | ';' | '\t';

/** Time columns: header names that hold time, and the factor that turns their values into seconds. */
const TIME_COLUMNS: Array<{ pattern: RegExp; toSeconds: number }> = [
  { pattern: /^(time|t|sec|secs|seconds|time_?s|time \(s\)|time \[s\]|elapsed time)$/i, toSeconds: 1 },
  { pattern: /^(ms|time_?ms|time \(ms\)|time \[ms\]|milliseconds)$/i, toSeconds: 1e-3 },
];
/** Sample-index columns carry no sampling rate: they are dropped. */
const INDEX_COLUMN = /^(sample|samples|sample #|index|idx|n|#)$/i;
/** A time column and an explicit fs must agree this closely. */
const FS_TOLERANCE = 0.01;

interface Table {
  header: string[] | null;
  rows: string[][];
  /** 1-based line number of each row, for error messages. */
  lines: number[];
  delimiter: Delimiter;
}

/** Reads an ECG from CSV/TSV text; `source` names it in errors. Empty cells and "NaN" become NaN. */
export function readCsvRecord(text: string, source = '<text>', options: CsvRecordOptions = {}): EcgRecord {
  const table = splitTable(text, source);
  const names = table.header ?? table.rows[0]!.map((_, i) => `ch${i + 1}`);
  const columns = names.map((name, index) => ({ name, index, time: timeScale(name) }));
  const timeColumn = table.header ? columns.find((c) => c.time !== null) : undefined;
  const leadColumns = columns.filter((c) => c !== timeColumn && !(table.header && INDEX_COLUMN.test(c.name)));
  if (leadColumns.length === 0) throw new FormatError(source, 'no lead columns');
  const fs = samplingFrequency(table, timeColumn, options.fs, source);
  const parsed = leadColumns.map((column) => parseColumn(table, column.index, column.name, source));
  const headerUnits = leadColumns.map((c) => splitUnit(c.name));
  const leads = options.leads ?? headerUnits.map((h) => h.lead);
  if (leads.length !== leadColumns.length) {
    throw new FormatError(source, `${leads.length} lead names for ${leadColumns.length} lead columns`);
  }
  return {
    name: options.name ?? (source.split(/[\\/]/).pop() ?? source).replace(/\.(csv|tsv|txt)$/i, ''),
    fs,
    leads: [...leads],
    units: headerUnits.map((h) => h.unit ?? options.units ?? 'mV'),
    signals: parsed,
    age: null,
    sex: 'unknown',
    metadata: { format: 'csv', delimiter: table.delimiter, timeColumn: timeColumn?.name ?? null },
  };
}

function splitTable(text: string, source: string): Table {
  const allLines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const numbered = allLines.map((line, i) => ({ line, number: i + 1 })).filter((l) => l.line.trim() !== '');
  if (numbered.length === 0) throw new FormatError(source, 'no data (empty text)');
  const delimiter = detectDelimiter(numbered[0]!.line);
  let cells = numbered.map((l) => l.line.split(delimiter).map(unquote));
  // A delimiter at the end of every line is a writer's habit, not an empty last column.
  if (cells.every((row) => row.length > 1 && row[row.length - 1] === ''))
    cells = cells.map((row) => row.slice(0, -1));
  const width = cells[0]!.length;
  cells.forEach((row, i) => {
    if (row.length !== width) {
      throw new FormatError(source, `line ${numbered[i]!.number} has ${row.length} cells, expected ${width}`);
    }
  });
  const hasHeader = cells[0]!.some((cell) => cell !== '' && parseNumber(cell, delimiter) === null);
  const rows = hasHeader ? cells.slice(1) : cells;
  const lines = numbered.map((l) => l.number).slice(hasHeader ? 1 : 0);
  if (rows.length === 0) throw new FormatError(source, 'header row but no data rows');
  return { header: hasHeader ? cells[0]! : null, rows, lines, delimiter };
}

/** The most frequent of the three delimiters on the first line (comma when there is a single column). */
function detectDelimiter(line: string): Delimiter {
  const counts = ([',', ';', '\t'] as const).map((d) => ({ d, n: line.split(d).length - 1 }));
  return counts.reduce((best, c) => (c.n > best.n ? c : best)).d;
}

function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
}

/** A number, NaN for an empty or "NaN" cell, or null when the cell is not numeric. */
function parseNumber(cell: string, delimiter: Delimiter): number | null {
  if (cell === '' || /^nan$/i.test(cell)) return NaN;
  // With ';' or tab as separator, "1,25" is a decimal comma (European spreadsheets).
  const normalised = delimiter !== ',' && /^[^.,]*,[^.,]*$/.test(cell) ? cell.replace(',', '.') : cell;
  const value = Number(normalised);
  return Number.isNaN(value) || /^0x|^0b|^0o|^\s*$/i.test(normalised) ? null : value;
}

function parseColumn(table: Table, index: number, name: string, source: string): Float32Array {
  const out = new Float32Array(table.rows.length);
  table.rows.forEach((row, r) => {
    const value = parseNumber(row[index]!, table.delimiter);
    if (value === null) {
      throw new FormatError(
        source,
        `line ${table.lines[r]}, column ${index + 1} ('${name}'): "${row[index]}" is not a number`,
      );
    }
    out[r] = value;
  });
  return out;
}

function timeScale(name: string): number | null {
  return TIME_COLUMNS.find((t) => t.pattern.test(name))?.toSeconds ?? null;
}

/** fs from the option, from the time column's span, and a check that both agree when both exist. */
function samplingFrequency(
  table: Table,
  timeColumn: { index: number; name: string; time: number | null } | undefined,
  given: number | undefined,
  source: string,
): number {
  if (given !== undefined && (!(given > 0) || !Number.isFinite(given))) {
    throw new FormatError(source, `invalid sampling frequency ${given}`);
  }
  if (!timeColumn) {
    if (given === undefined)
      throw new FormatError(source, 'no time column: pass { fs } (sampling frequency in Hz)');
    return given;
  }
  const times = parseColumn(table, timeColumn.index, timeColumn.name, source);
  // Over the whole span, not per step: time stamps printed with few decimals make single steps uneven.
  const span = (times[times.length - 1]! - times[0]!) * timeColumn.time!;
  const derived = times.length > 1 && span > 0 ? (times.length - 1) / span : NaN;
  if (given === undefined) {
    if (!Number.isFinite(derived)) {
      throw new FormatError(source, `time column '${timeColumn.name}' does not increase: pass { fs }`);
    }
    return roundFs(derived);
  }
  if (Number.isFinite(derived) && Math.abs(derived - given) > FS_TOLERANCE * given) {
    throw new FormatError(
      source,
      `time column '${timeColumn.name}' implies ${derived.toFixed(3)} Hz, not fs=${given}`,
    );
  }
  return given;
}

/** Rounded time stamps give an fs like 499.9998: snap to the nearest integer within 0.1 %. */
function roundFs(fs: number): number {
  const rounded = Math.round(fs);
  return Math.abs(rounded - fs) <= 1e-3 * fs ? rounded : fs;
}

function splitUnit(header: string): { lead: string; unit: string | null } {
  const match = /^(.*?)\s*[([]\s*([^)\]]+?)\s*[)\]]$/.exec(header);
  return match && match[1] ? { lead: match[1], unit: match[2]! } : { lead: header, unit: null };
}
