/**
 * ECG records from delimited text (pure: text in, EcgRecord out). One lead per column, optional header row of
 * lead names (with an optional unit: "II (mV)" or "II [mV]"), comma, semicolon or tab separated, and an optional
 * time column recognised by its name, from which the sampling frequency can be derived.
 */
import { excerpt, FormatError } from '../errors.js';
import { checkFileBytes, checkFs, checkSamples, FLOAT32_MAX, readLimits, type ReadLimits } from './limits.js';
import { FS_HINT, type EcgRecord } from './record.js';

export interface CsvRecordOptions {
  /** Sampling frequency in Hz; required unless a time column gives it. */
  fs?: number;
  /** Lead names in column order (overrides the header). */
  leads?: string[];
  /** Units for every lead when the header gives none (default "mV"). */
  units?: string;
  /** Record name; default the file name of `source` without its extension. */
  name?: string;
  /** Work budget (rows x columns, columns, sampling rate); default DEFAULT_READ_LIMITS. */
  limits?: Partial<ReadLimits>;
}

type Delimiter = ',' | ';' | '\t';

/** Time columns: header names that hold time, and the factor that turns their values into seconds. */
const TIME_COLUMNS: Array<{ pattern: RegExp; toSeconds: number }> = [
  {
    pattern: /^(time|t|sec|secs|seconds|time_?s|time \(s\)|time \[s\]|elapsed time)$/i,
    toSeconds: 1,
  },
  {
    pattern: /^(ms|time_?ms|time \(ms\)|time \[ms\]|milliseconds)$/i,
    toSeconds: 1e-3,
  },
];
/** Sample-index columns carry no sampling rate: they are dropped. */
const INDEX_COLUMN = /^(sample|samples|sample #|index|idx|n|#)$/i;
/** A time column and an explicit fs must agree this closely. */
const FS_TOLERANCE = 0.01;

/** The table, column by column: lead values as float32, every column kept until the time column is chosen. */
interface Table {
  header: string[] | null;
  /** One array per column: float64 (a time column needs its precision; leads are narrowed later). */
  columns: Float64Array[];
  rows: number;
  delimiter: Delimiter;
}

/** Reads an ECG from CSV/TSV text; `source` names it in errors. Empty cells and "NaN" become NaN. */
export function readCsvRecord(text: string, source = '<text>', options: CsvRecordOptions = {}): EcgRecord {
  const limits = readLimits(options.limits);
  checkFileBytes(source, text.length, limits, 'CSV text');
  const table = readTable(text, source, limits);
  const names = table.header ?? table.columns.map((_, i) => `ch${i + 1}`);
  const columns = names.map((name, index) => ({
    name,
    index,
    time: timeScale(name),
  }));
  const timeColumn = table.header ? columns.find((c) => c.time !== null) : undefined;
  const leadColumns = columns.filter((c) => c !== timeColumn && !(table.header && INDEX_COLUMN.test(c.name)));
  if (leadColumns.length === 0) throw new FormatError(source, 'no lead columns');
  const fs = checkFs(samplingFrequency(table, timeColumn, options.fs, source), source, limits);
  const parsed = leadColumns.map((column) => leadSamples(table.columns[column.index]!, column.name, source));
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
    metadata: {
      format: 'csv',
      delimiter: table.delimiter,
      timeColumn: timeColumn?.name ?? null,
    },
  };
}

/**
 * A lead column as float32, refusing a value float32 cannot hold (1e39, Infinity): it would read as ±Infinity.
 * (The time column keeps float64 and its full range.)
 */
function leadSamples(values: Float64Array, name: string, source: string): Float32Array {
  const samples = Float32Array.from(values);
  for (let i = 0; i < values.length; i++) {
    if (Math.abs(values[i]!) > FLOAT32_MAX)
      throw new FormatError(
        source,
        `column '${excerpt(name)}', data row ${i + 1}: ${values[i]} is beyond float32's range (±3.4e38)`,
      );
  }
  return samples;
}

/** Non-empty lines with their 1-based numbers, found one at a time (no array of every line of a large text). */
function* nonEmptyLines(text: string): Generator<{ line: string; number: number }> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let number = 1;
  while (start <= text.length) {
    const end = nextBreak(text, start);
    const line = text.slice(start, end);
    if (line.trim() !== '') yield { line, number };
    number++;
    start = end + (text[end] === '\r' && text[end + 1] === '\n' ? 2 : 1);
  }
}

/** Index of the next line break (\n, \r or \r\n) at or after `from`, or the text length (one scan, no lookahead past it). */
function nextBreak(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return text.length;
}

/**
 * Two passes over the text. The first counts rows and checks the budget (rows x columns) before anything is
 * allocated, and settles whether every line ends with a delimiter (a writer's habit, not an empty last column);
 * the second parses each line straight into preallocated columns.
 */
function readTable(text: string, source: string, limits: ReadLimits): Table {
  const first = nonEmptyLines(text).next();
  if (first.done) throw new FormatError(source, 'no data (empty text)');
  const delimiter = detectDelimiter(first.value.line);
  let lineCount = 0;
  let trailing = true;
  for (const { line } of nonEmptyLines(text)) {
    lineCount++;
    const cut = line.lastIndexOf(delimiter);
    trailing &&= cut >= 0 && unquote(line.slice(cut + 1)) === '';
  }
  const firstCells = splitCells(
    first.value.line,
    delimiter,
    trailing,
    limits.maxLeads + 2,
    source,
    first.value.number,
  );
  const width = firstCells.length;
  const hasHeader = firstCells.some((cell) => cell !== '' && parseNumber(cell, delimiter) === null);
  const rows = lineCount - (hasHeader ? 1 : 0);
  if (rows === 0) throw new FormatError(source, 'header row but no data rows');
  checkSamples(source, rows, width, limits);
  const columns = Array.from({ length: width }, () => new Float64Array(rows));
  const names = hasHeader ? firstCells : firstCells.map((_, i) => `ch${i + 1}`);
  let row = 0;
  for (const { line, number } of nonEmptyLines(text)) {
    if (hasHeader && number === first.value.number) continue;
    const cells = splitCells(line, delimiter, trailing, width, source, number);
    if (cells.length !== width)
      throw new FormatError(source, `line ${number} has ${cells.length} cells, expected ${width}`);
    cells.forEach((cell, c) => {
      const value = parseNumber(cell, delimiter);
      if (value === null)
        throw new FormatError(
          source,
          `line ${number}, column ${c + 1} ('${excerpt(names[c]!)}'): "${excerpt(cell)}" is not a number`,
        );
      columns[c]![row] = value;
    });
    row++;
  }
  return { header: hasHeader ? firstCells : null, columns, rows, delimiter };
}

/**
 * The cells of one line, refusing a line with more than `maxCells` cells before splitting it (a 16 MiB line of
 * commas must not become 8 M strings).
 */
function splitCells(
  line: string,
  delimiter: Delimiter,
  trailing: boolean,
  maxCells: number,
  source: string,
  number: number,
): string[] {
  let count = 1;
  for (let at = line.indexOf(delimiter); at >= 0; at = line.indexOf(delimiter, at + 1)) {
    if (++count > maxCells + (trailing ? 1 : 0))
      throw new FormatError(source, `line ${number} has more than ${maxCells} cells`);
  }
  const cells = line.split(delimiter).map(unquote);
  return trailing ? cells.slice(0, -1) : cells;
}

/** The most frequent of the three delimiters on the first line (comma when there is a single column). */
function detectDelimiter(line: string): Delimiter {
  const counts = ([',', ';', '\t'] as const).map((d) => ({
    d,
    n: occurrences(line, d),
  }));
  return counts.reduce((best, c) => (c.n > best.n ? c : best)).d;
}

function occurrences(line: string, char: string): number {
  let n = 0;
  for (let at = line.indexOf(char); at >= 0; at = line.indexOf(char, at + 1)) n++;
  return n;
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
  if (given !== undefined) checkFs(given, source);
  if (!timeColumn) {
    if (given === undefined)
      throw new FormatError(source, `no time column: give the sampling rate (${FS_HINT})`);
    return given;
  }
  const times = table.columns[timeColumn.index]!;
  // Over the whole span, not per step: time stamps printed with few decimals make single steps uneven.
  const span = (times[times.length - 1]! - times[0]!) * timeColumn.time!;
  const derived = times.length > 1 && span > 0 ? (times.length - 1) / span : NaN;
  if (given === undefined) {
    if (!Number.isFinite(derived)) {
      throw new FormatError(
        source,
        `time column '${excerpt(timeColumn.name)}' does not increase: give the sampling rate (${FS_HINT})`,
      );
    }
    return roundFs(derived);
  }
  if (Number.isFinite(derived) && Math.abs(derived - given) > FS_TOLERANCE * given) {
    throw new FormatError(
      source,
      `time column '${excerpt(timeColumn.name)}' implies ${derived.toFixed(3)} Hz, not fs=${given}`,
    );
  }
  return given;
}

/** Rounded time stamps give an fs like 499.9998: snap to the nearest integer within 0.1 %. */
function roundFs(fs: number): number {
  const rounded = Math.round(fs);
  return Math.abs(rounded - fs) <= 1e-3 * fs ? rounded : fs;
}

/**
 * `II (mV)` or `II [mV]` -> lead and unit, as `/^(.*?)\s*[([]\s*([^)\]]+?)\s*[)\]]$/` reads them, without the regex:
 * it tried every split of a long run of openers (a 60,000-character header cell took 11 s). The unit is between the
 * first opener after the last inner closer and the closing bracket; the lead is what precedes that opener.
 */
function splitUnit(header: string): { lead: string; unit: string | null } {
  const none = { lead: header, unit: null };
  const end = header.length - 1;
  if (end < 0 || (header[end] !== ')' && header[end] !== ']')) return none;
  const innerCloser = Math.max(header.lastIndexOf(')', end - 1), header.lastIndexOf(']', end - 1));
  const opener = firstIndex(header.indexOf('(', innerCloser + 1), header.indexOf('[', innerCloser + 1));
  // The unit needs a character; the lead cannot hold a line break (the regex's `.`).
  if (opener < 0 || opener > end - 2) return none;
  const lead = header.slice(0, opener).trimEnd();
  if (lead === '' || /[\n\r\u2028\u2029]/.test(lead)) return none;
  const inside = header.slice(opener + 1, end);
  // All blank: the regex's lazy unit keeps the last blank character.
  return { lead, unit: inside.trim() === '' ? inside.slice(-1) : inside.trim() };
}

/** The smaller of two indexOf results, -1 when both are. */
function firstIndex(a: number, b: number): number {
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}
