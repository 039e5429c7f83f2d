/**
 * Pure WFDB header (.hea) parser: text in, typed header out (no I/O, works in the browser).
 *
 * Every field of the record, signal and segment lines is described once, in a table per line type
 * (token position, separator, pattern, parser and spec default); one generic routine applies a table to a
 * line. Defaults follow the WFDB header(5) specification.
 */
import { FormatError, excerpt } from '../../errors.js';
import { fsProblem, DEFAULT_READ_LIMITS, FLOAT32_MAX, type FsLimits } from '../limits.js';
import { formatSpec, isWfdbFormat, type WfdbFormat } from './formats.js';

export interface WfdbRecordLine {
  recordName: string;
  /** Number of segments of a multi-segment record, null for an ordinary record. */
  nSegments: number | null;
  nSignals: number;
  /** Sampling frequency in frames per second (250 when absent, per spec). */
  fs: number;
  /** Counter frequency (equals fs when absent or not positive). */
  counterFrequency: number;
  baseCounter: number;
  /** Samples per signal; null when absent or zero (length unspecified, checksums disabled). */
  nSamples: number | null;
  /** As written: `hh:mm:ss` (WFDB). */
  baseTime: string | null;
  /** As written: `dd/mm/yyyy` (WFDB) or `dd-Mon-yyyy` (CinC 2020/21, which puts it before the time). */
  baseDate: string | null;
  /** The start as ISO 8601 local time (`2020-05-12T12:33:59`, or the date alone), null without a valid date. */
  startTime: string | null;
}

export interface WfdbSignalSpec {
  fileName: string;
  format: WfdbFormat;
  samplesPerFrame: number;
  skew: number;
  byteOffset: number;
  /** ADC units per physical unit; 200 when the header gives 0 or nothing (uncalibrated). */
  adcGain: number;
  /** True when the header gave a non-zero gain. */
  calibrated: boolean;
  baseline: number;
  units: string;
  adcResolution: number;
  adcZero: number;
  initialValue: number;
  /** 16-bit checksum of all samples, null when absent. */
  checksum: number | null;
  blockSize: number;
  description: string;
}

export interface WfdbSegmentSpec {
  recordName: string;
  nSamples: number;
}

/** Age and sex found in the header comments, whichever dialect wrote them. */
export interface WfdbPatientInfo {
  age: number | null;
  sex: 'male' | 'female' | 'unknown';
}

export interface WfdbHeader extends WfdbRecordLine {
  signals: WfdbSignalSpec[];
  /** Segment lines of a multi-segment record (empty otherwise). */
  segments: WfdbSegmentSpec[];
  /** Comment lines without their leading '#', in file order. */
  comments: string[];
  /** `key: value` comments (`#Age: 56`, `#<sex>: F`), keys without '<>'. */
  commentFields: Record<string, string>;
  patient: WfdbPatientInfo;
}

/** One field of a line: which whitespace token holds it, what precedes/follows it there, how to read it. */
interface FieldSpec<T, Fields> {
  token: number;
  prefix?: string;
  suffix?: string;
  pattern: string;
  parse: (text: string) => T;
  /** The spec makes the field mandatory. */
  required?: true;
  /** Value when the field is absent (may depend on other fields as given in the header). */
  fallback: (given: Partial<Fields>) => T;
}

type LineTable<Fields> = { [K in keyof Fields]: FieldSpec<Fields[K], Fields> };

const INT = '[-+]?\\d+';
// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter splits a run of digits between its two `\d` in every way
// (a 60,000-digit field took 26 s to refuse).
const FLOAT = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?';
const NUMBER_PATTERNS = new Set([INT, FLOAT, '\\d+']);
/** Longest run of number characters accepted in a numeric token: far beyond any real value (2^53 has 16 digits). */
const MAX_NUMBER_CHARS = 64;
const toNumber = (text: string): number => Number(text);

const DEFAULT_FS = 250;
const DEFAULT_GAIN = 200;
/** Largest digital value magnitude of any format (32 bits). */
const MAX_DIGITAL = 2 ** 31;

/** CinC 2020/21's date style, `12-May-2020`. */
const MONTH_DATE = '\\d{1,2}-[A-Za-z]{3}-\\d{4}';
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The record line's tokens; `startTime` is derived from two of them. */
type RecordFields = Omit<WfdbRecordLine, 'startTime'>;

const RECORD_LINE: LineTable<RecordFields> = {
  recordName: { token: 0, pattern: '[^\\s/]+', parse: String, required: true, fallback: () => '' },
  nSegments: { token: 0, prefix: '/', pattern: '\\d+', parse: toNumber, fallback: () => null },
  nSignals: { token: 1, pattern: '\\d+', parse: toNumber, required: true, fallback: () => 0 },
  fs: { token: 2, pattern: FLOAT, parse: toNumber, fallback: () => DEFAULT_FS },
  counterFrequency: {
    token: 2,
    prefix: '/',
    pattern: FLOAT,
    parse: toNumber,
    fallback: (given) => given.fs ?? DEFAULT_FS,
  },
  baseCounter: { token: 2, prefix: '\\(', suffix: '\\)', pattern: FLOAT, parse: toNumber, fallback: () => 0 },
  nSamples: { token: 3, pattern: '\\d+', parse: (t) => Number(t) || null, fallback: () => null },
  // '-': no time given before a CinC-style date (recordLineText).
  baseTime: { token: 4, pattern: '[\\d:.]+|-', parse: (t) => (t === '-' ? null : t), fallback: () => null },
  baseDate: { token: 5, pattern: `[\\d/]+|${MONTH_DATE}`, parse: String, fallback: () => null },
};

type SignalFields = Omit<WfdbSignalSpec, 'description' | 'calibrated'>;

const SIGNAL_LINE: LineTable<SignalFields> = {
  fileName: { token: 0, pattern: '\\S+', parse: String, required: true, fallback: () => '' },
  format: {
    token: 1,
    pattern: '\\d+',
    parse: (t) => Number(t) as WfdbFormat,
    required: true,
    fallback: () => 16,
  },
  samplesPerFrame: { token: 1, prefix: 'x', pattern: '\\d+', parse: toNumber, fallback: () => 1 },
  skew: { token: 1, prefix: ':', pattern: '\\d+', parse: toNumber, fallback: () => 0 },
  byteOffset: { token: 1, prefix: '\\+', pattern: '\\d+', parse: toNumber, fallback: () => 0 },
  // 0 (or absent) means uncalibrated; readSignals substitutes the spec's 200 and records the fact.
  adcGain: { token: 2, pattern: FLOAT, parse: toNumber, fallback: () => 0 },
  baseline: {
    token: 2,
    prefix: '\\(',
    suffix: '\\)',
    pattern: INT,
    parse: toNumber,
    fallback: (given) => given.adcZero ?? 0,
  },
  units: { token: 2, prefix: '/', pattern: '\\S+', parse: String, fallback: () => 'mV' },
  adcResolution: {
    token: 3,
    pattern: '\\d+',
    parse: toNumber,
    // Unknown formats are rejected after the line is read; 12 keeps this fallback total.
    fallback: ({ format = 16 }) => (isWfdbFormat(format) ? formatSpec(format).defaultResolution : 12),
  },
  adcZero: { token: 4, pattern: INT, parse: toNumber, fallback: () => 0 },
  initialValue: { token: 5, pattern: INT, parse: toNumber, fallback: (given) => given.adcZero ?? 0 },
  checksum: { token: 6, pattern: INT, parse: toNumber, fallback: () => null },
  blockSize: { token: 7, pattern: INT, parse: toNumber, fallback: () => 0 },
};

const SEGMENT_LINE: LineTable<WfdbSegmentSpec> = {
  recordName: { token: 0, pattern: '\\S+', parse: String, required: true, fallback: () => '' },
  nSamples: { token: 1, pattern: '\\d+', parse: toNumber, required: true, fallback: () => 0 },
};

/** Compiled form of a table: one anchored regex per token, capturing each of its fields. */
interface CompiledTable<Fields> {
  table: LineTable<Fields>;
  /** `numeric`: the token starts with a number, and its runs of number characters are bounded before matching. */
  tokens: Array<{ regex: RegExp; keys: Array<keyof Fields>; numeric: boolean }>;
}

function compile<Fields>(table: LineTable<Fields>): CompiledTable<Fields> {
  const tokens: CompiledTable<Fields>['tokens'] = [];
  for (const key of Object.keys(table) as Array<keyof Fields>) {
    const field = table[key];
    const slot = (tokens[field.token] ??= {
      regex: /$^/,
      keys: [],
      numeric: NUMBER_PATTERNS.has(field.pattern),
    });
    slot.keys.push(key);
  }
  for (const slot of tokens) {
    const parts = slot.keys.map((key, i) => {
      const { prefix = '', suffix = '', pattern } = table[key];
      const group = `${prefix}(${pattern})${suffix}`;
      return i === 0 ? group : `(?:${group})?`;
    });
    slot.regex = new RegExp(`^${parts.join('')}$`);
  }
  return { table, tokens };
}

const COMPILED = {
  record: compile(RECORD_LINE),
  signal: compile(SIGNAL_LINE),
  segment: compile(SEGMENT_LINE),
};

/** Splits off `count` whitespace-separated tokens; the remainder (trimmed) is returned as `rest`. */
function splitTokens(line: string, count: number): { tokens: string[]; rest: string } {
  const tokens: string[] = [];
  let position = 0;
  const word = /\S+/g;
  while (tokens.length < count) {
    word.lastIndex = position;
    const match = word.exec(line);
    if (!match) break;
    tokens.push(match[0]);
    position = match.index + match[0].length;
  }
  return { tokens, rest: line.slice(position).trim() };
}

function parseLine<Fields>(
  line: string,
  compiled: CompiledTable<Fields>,
  where: (problem: string) => FormatError,
): { fields: Fields; rest: string } {
  const { tokens, rest } = splitTokens(line, compiled.tokens.length);
  const given: Partial<Fields> = {};
  tokens.forEach((token, index) => {
    const slot = compiled.tokens[index];
    const run = slot?.numeric ? longestNumberRun(token) : 0;
    if (run > MAX_NUMBER_CHARS)
      throw where(`field ${index + 1} "${excerpt(token)}" holds a number of ${run} characters`);
    const match = slot?.regex.exec(token);
    if (!slot || !match) throw where(`cannot read field ${index + 1} "${excerpt(token)}"`);
    slot.keys.forEach((key, i) => {
      const text = match[i + 1];
      if (text !== undefined) given[key] = compiled.table[key].parse(text);
    });
  });
  const fields = {} as Fields;
  for (const key of Object.keys(compiled.table) as Array<keyof Fields>) {
    if (compiled.table[key].required && given[key] === undefined) throw where(`missing ${String(key)}`);
    fields[key] =
      given[key] !== undefined ? (given[key] as Fields[keyof Fields]) : compiled.table[key].fallback(given);
  }
  return { fields, rest };
}

/** Length of the longest run of characters that can be part of a number (digits, sign, point, exponent). */
function longestNumberRun(token: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token[i]!;
    run =
      (c >= '0' && c <= '9') || c === '.' || c === 'e' || c === 'E' || c === '+' || c === '-' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** Header files are small; anything larger is not a header (and must not be scanned line by line). */
export const MAX_HEADER_CHARS = 1 << 20;
/** Far beyond any real record (the largest PhysioNet records have a few hundred signals). */
const MAX_SIGNALS = 100_000;

/**
 * Parses the text of a `.hea` file. `source` names it in errors; `limits` bounds the sampling rate.
 * Throws FormatError for anything that is not a well-formed header.
 */
export function parseWfdbHeader(
  text: string,
  source: string,
  limits: FsLimits = DEFAULT_READ_LIMITS,
): WfdbHeader {
  if (text.length > MAX_HEADER_CHARS)
    throw new FormatError(
      source,
      `header is too large (over ${MAX_HEADER_CHARS} characters): not a WFDB header`,
    );
  if (text.includes('\0')) throw new FormatError(source, 'header contains NUL bytes (binary file?)');
  const lines = text.split(/\r?\n/);
  const comments: string[] = [];
  const specLines: Array<{ text: string; number: number }> = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#')) comments.push(line.slice(1).trim());
    else if (line !== '') specLines.push({ text: line, number: index + 1 });
  });
  const first = specLines.shift();
  if (!first) throw new FormatError(source, 'no record line');
  const lineError = (number: number) => (problem: string) =>
    new FormatError(source, `line ${number}: ${problem}`);
  const recordLine = parseLine(recordLineText(first.text), COMPILED.record, lineError(first.number));
  const fields = recordLine.fields;
  const record: WfdbRecordLine = { ...fields, startTime: startTimeOf(fields.baseDate, fields.baseTime) };
  if (recordLine.rest !== '')
    throw lineError(first.number)(`unexpected text "${excerpt(recordLine.rest)}" on record line`);
  const badFs = fsProblem(record.fs, limits);
  if (badFs !== null) throw lineError(first.number)(badFs);
  if (!(record.counterFrequency > 0)) record.counterFrequency = record.fs;
  if (record.nSignals > MAX_SIGNALS)
    throw lineError(first.number)(`absurd number of signals ${record.nSignals}`);
  if (record.nSamples !== null && !Number.isSafeInteger(record.nSamples))
    throw lineError(first.number)(`absurd number of samples ${record.nSamples}`);

  const segments =
    record.nSegments === null ? [] : readSegments(record.nSegments, specLines, source, lineError);
  const signals = record.nSegments === null ? readSignals(record.nSignals, specLines, source, lineError) : [];
  const commentFields = parseCommentFields(comments);
  return {
    ...record,
    signals,
    segments,
    comments,
    commentFields,
    patient: patientInfo(comments, commentFields),
  };
}

/**
 * The record line as the field table reads it: a trailing `# comment` dropped, and CinC 2020/21's
 * `dd-Mon-yyyy hh:mm:ss` (date first) put in WFDB's order (time, then date).
 */
function recordLineText(line: string): string {
  const text = line.replace(/\s#.*$/, '');
  const { tokens, rest } = splitTokens(text, 6);
  const [date, time] = [tokens[4], tokens[5]];
  const dateFirst = date !== undefined && /[-/]/.test(date) && (time === undefined || time.includes(':'));
  if (!dateFirst) return text;
  return [...tokens.slice(0, 4), time ?? '-', date, rest].join(' ').trim();
}

/** ISO 8601 of `dd/mm/yyyy` or `dd-Mon-yyyy` and `hh:mm[:ss[.s]]`; null when the date is absent or not a date. */
function startTimeOf(date: string | null, time: string | null): string | null {
  if (date === null) return null;
  const numeric = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date);
  const named = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(date);
  const [day, month, year] = numeric
    ? [Number(numeric[1]), Number(numeric[2]), Number(numeric[3])]
    : named
      ? [Number(named[1]), MONTHS.indexOf(named[2]!.toLowerCase()) + 1, Number(named[3])]
      : [0, 0, 0];
  if (!(day >= 1 && day <= 31 && month >= 1 && month <= 12)) return null;
  const pad = (n: number) => String(n).padStart(2, '0');
  const iso = `${year}-${pad(month)}-${pad(day)}`;
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(time ?? '');
  return clock ? `${iso}T${pad(Number(clock[1]))}:${clock[2]}:${clock[3] ?? '00'}` : iso;
}

function readSignals(
  count: number,
  lines: Array<{ text: string; number: number }>,
  source: string,
  lineError: (n: number) => (problem: string) => FormatError,
): WfdbSignalSpec[] {
  if (lines.length < count)
    throw new FormatError(
      source,
      `record line declares ${count} signals but ${lines.length} signal lines follow`,
    );
  return lines.slice(0, count).map(({ text, number }) => {
    const { fields, rest } = parseLine(text, COMPILED.signal, lineError(number));
    if (!isWfdbFormat(fields.format)) throw lineError(number)(`unknown signal format ${fields.format}`);
    if (fields.samplesPerFrame < 1) throw lineError(number)('samples per frame must be at least 1');
    if (!Number.isFinite(fields.adcGain)) throw lineError(number)(`invalid ADC gain ${fields.adcGain}`);
    // Samples are (d - baseline) / gain in float32, d any 32-bit value (format 8's running sum wraps there).
    if ((MAX_DIGITAL + Math.abs(fields.baseline)) / Math.abs(fields.adcGain || DEFAULT_GAIN) > FLOAT32_MAX)
      throw lineError(number)(
        `ADC gain ${fields.adcGain} with baseline ${fields.baseline} makes physical values beyond float32 (±3.4e38)`,
      );
    return {
      ...fields,
      adcGain: fields.adcGain || DEFAULT_GAIN,
      calibrated: fields.adcGain !== 0,
      description: rest,
    };
  });
}

function readSegments(
  count: number,
  lines: Array<{ text: string; number: number }>,
  source: string,
  lineError: (n: number) => (problem: string) => FormatError,
): WfdbSegmentSpec[] {
  if (lines.length < count)
    throw new FormatError(
      source,
      `record line declares ${count} segments but ${lines.length} segment lines follow`,
    );
  return lines
    .slice(0, count)
    .map(({ text, number }) => parseLine(text, COMPILED.segment, lineError(number)).fields);
}

/**
 * `Age: 56`, `<age>: 51`, `Dx: 164889003,...` -> lower-case key (without <>) -> value: the fields that
 * `/^<?([A-Za-z][\w .-]*?)>?\s*:\s*(.*)$/` found, read from the text before the first ':' (a key cannot hold one).
 * That regex tried every split of a colon-less run of spaces (a 120,000-character comment took 24 s).
 */
function parseCommentFields(comments: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const comment of comments) {
    const colon = comment.indexOf(':');
    if (colon < 0) continue;
    let key = comment.slice(0, colon).trimEnd();
    if (key.endsWith('>')) key = key.slice(0, -1);
    if (key.startsWith('<')) key = key.slice(1);
    const value = comment.slice(colon + 1).trimStart();
    // A line break inside the value (a lone \r, U+2028) makes no `key: value` comment, as before.
    if (/^[A-Za-z][\w .-]*$/.test(key) && !/[\n\r\u2028\u2029]/.test(value))
      fields[key.toLowerCase()] ??= value.trim();
  }
  return fields;
}

const SEX_WORDS: Record<string, WfdbPatientInfo['sex']> = {
  m: 'male',
  male: 'male',
  f: 'female',
  female: 'female',
};

/** PTB-XL writes 300 for ages above 89 (de-identification); 90 is the closest age it allows (LUDB writes 90). */
const PTBXL_OVER_89 = 300;
const OVER_89 = 90;

function parseAge(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text.trim())) return null;
  const age = Number(text);
  if (age === PTBXL_OVER_89) return OVER_89;
  return age >= 0 && age < 150 ? age : null;
}

/**
 * Age and sex in the three dialects met in practice: `#Age: 56` / `#Sex: Female` (PhysioNet challenges, PTB-XL),
 * `#<age>: 51` / `#<sex>: F` (LUDB), and MIT-BIH's first comment `# 69 M 1085 1629 x1` (age sex ...).
 */
function patientInfo(comments: string[], fields: Record<string, string>): WfdbPatientInfo {
  if (fields.age !== undefined || fields.sex !== undefined) {
    return {
      age: parseAge(fields.age),
      sex: SEX_WORDS[(fields.sex ?? '').trim().toLowerCase()] ?? 'unknown',
    };
  }
  const mit = /^(-?\d+|\?)\s+([MF?])\b/i.exec(comments[0] ?? '');
  if (mit?.[1] && mit[2]) return { age: parseAge(mit[1]), sex: SEX_WORDS[mit[2].toLowerCase()] ?? 'unknown' };
  return { age: null, sex: 'unknown' };
}
