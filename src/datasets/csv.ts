/**
 * Pure text parsers for dataset index files: RFC 4180 CSV (quoted fields, doubled quotes, embedded newlines,
 * CRLF) and the Python dict literals PTB-XL writes in `scp_codes` ("{'NORM': 100.0, 'SR': 0.0}").
 */
import { excerpt, FormatError } from '../errors.js';

/** Longest `'KEY': number` item accepted in a dict literal (PTB-XL's are under 20 characters). */
export const MAX_DICT_ITEM_CHARS = 200;

/** Parses CSV text into rows of fields. Throws FormatError naming `source` on an unterminated quote. */
export function parseCsv(text: string, source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let quoteStartLine = 0;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    field = '';
    // A blank line is not a row.
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"' && field === '') {
      quoted = true;
      quoteStartLine = line;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      endRow();
      line++;
    } else if (char === '\r' && text[i + 1] === '\n') {
      continue;
    } else field += char;
  }
  if (quoted) throw new FormatError(source, `unterminated quoted field starting on line ${quoteStartLine}`);
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** CSV with a header line as objects keyed by column name; checks the required columns exist. */
export function parseCsvObjects(
  text: string,
  source: string,
  required: readonly string[] = [],
): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, source);
  if (header === undefined) throw new FormatError(source, 'empty CSV file');
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new FormatError(source, `missing column(s) ${missing.join(', ')}`);
  return rows.map((row, index) => {
    if (row.length !== header.length) {
      throw new FormatError(
        source,
        `row ${index + 2} has ${row.length} fields, the header has ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((column, c) => [column, row[c] ?? '']));
  });
}

/**
 * Parses a flat Python dict literal of string keys and numeric values, as written by pandas/str(dict):
 * "{'NORM': 100.0, 'SR': 0.0}". `{}` is an empty dict. Anything else is a FormatError.
 */
export function parsePythonNumberDict(text: string, source: string): Map<string, number> {
  const result = new Map<string, number>();
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}'))
    throw new FormatError(source, `not a dict literal: ${JSON.stringify(text)}`);
  const inner = body.slice(1, -1).trim();
  if (inner === '') return result;
  // Linear on any input: one way to split a number (`\d+\.?\d*` had n² of them on a run of digits that fails to match).
  const itemPattern = /^\s*(['"])((?:(?!\1).)*)\1\s*:\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;
  for (const item of inner.split(',')) {
    if (item.length > MAX_DICT_ITEM_CHARS)
      throw new FormatError(
        source,
        `dict item of ${item.length} characters (at most ${MAX_DICT_ITEM_CHARS}): ${JSON.stringify(excerpt(item.trim()))}`,
      );
    const match = itemPattern.exec(item);
    if (match === null)
      throw new FormatError(
        source,
        `bad dict item ${JSON.stringify(item.trim())} in ${JSON.stringify(text)}`,
      );
    result.set(match[2] as string, Number(match[3]));
  }
  return result;
}
