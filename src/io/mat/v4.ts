/**
 * MATLAB Level 4 MAT-files: a sequence of matrices, each a 20-byte header (type MOPT, rows, columns,
 * imaginary flag, name length), the NUL-terminated name, then the real and imaginary parts, column-major.
 */
import { FormatError } from '../../errors.js';
import { readLimits } from '../limits.js';
import { decodeNumeric, STORAGE, type StorageType } from './numeric.js';
import type { V5Options } from './v5.js';
import { latin1, type MatFile, type MatValue, type NumericClass } from './types.js';

/** The P digit of MOPT: stored element type, and the class it is read as. */
const V4_PRECISIONS: Record<number, { storage: StorageType; class: NumericClass }> = {
  0: { storage: 'double', class: 'double' },
  1: { storage: 'single', class: 'single' },
  2: { storage: 'int32', class: 'int32' },
  3: { storage: 'int16', class: 'int16' },
  4: { storage: 'uint16', class: 'uint16' },
  5: { storage: 'uint8', class: 'uint8' },
};

const HEADER_BYTES = 20;

interface MatrixType {
  machine: number;
  precision: number;
  text: boolean;
  sparse: boolean;
}

function splitType(type: number): MatrixType | null {
  if (!Number.isInteger(type) || type < 0 || type >= 5000) return null;
  const machine = Math.floor(type / 1000);
  const zero = Math.floor(type / 100) % 10;
  const precision = Math.floor(type / 10) % 10;
  const form = type % 10;
  if (zero !== 0 || !(precision in V4_PRECISIONS) || form > 2) return null;
  return { machine, precision, text: form === 1, sparse: form === 2 };
}

/**
 * Byte order of a level 4 file from its first type word, or null when the bytes are not a level 4 file
 * (M = 0 means little endian, M = 1 big endian; the other machine codes are VAX and Cray formats).
 */
export function detectV4(bytes: Uint8Array): { littleEndian: boolean } | null {
  if (bytes.length < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (splitType(view.getInt32(0, true))?.machine === 0) return { littleEndian: true };
  if (splitType(view.getInt32(0, false))?.machine === 1) return { littleEndian: false };
  return null;
}

export function parseV4(
  bytes: Uint8Array,
  source: string,
  littleEndian: boolean,
  options: V5Options = {},
): MatFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const variables = new Map<string, MatValue>();
  // Level 4 stores every value at its class's width, so the file's bytes bound the decoded ones; the same
  // budget as level 5 (4 bytes per sample) still applies to all matrices together.
  const budget = { decoded: 4 * readLimits(options.limits).maxSamples };
  let offset = 0;
  while (offset < bytes.length) {
    const { name, value, next } = readMatrix(bytes, view, offset, source, littleEndian, budget);
    variables.set(name, value);
    offset = next;
  }
  return { level: 4, header: '', littleEndian, variables };
}

function readMatrix(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  source: string,
  le: boolean,
  budget: { decoded: number },
) {
  const fail = (problem: string): never => {
    throw new FormatError(source, `MAT v4 matrix at byte ${offset}: ${problem}`);
  };
  if (bytes.length - offset < HEADER_BYTES) fail(`truncated header (${bytes.length - offset} bytes left)`);
  const rawType = view.getInt32(offset, le);
  const type = splitType(rawType) ?? fail(`invalid type code ${rawType}`);
  if (type.machine !== (le ? 0 : 1))
    fail(`machine code ${type.machine} differs from the file's first matrix`);
  const rows = view.getInt32(offset + 4, le);
  const cols = view.getInt32(offset + 8, le);
  const imagf = view.getInt32(offset + 12, le);
  const nameLength = view.getInt32(offset + 16, le);
  if (rows < 0 || cols < 0) fail(`negative size ${rows}x${cols}`);
  if (imagf !== 0 && imagf !== 1) fail(`invalid imaginary flag ${imagf}`);
  const nameStart = offset + HEADER_BYTES;
  if (nameLength < 1 || nameLength > bytes.length - nameStart) fail(`invalid name length ${nameLength}`);
  const name = latin1(bytes.subarray(nameStart, nameStart + nameLength));
  const precision = V4_PRECISIONS[type.precision]!;
  const count = rows * cols;
  const partBytes = count * STORAGE[precision.storage].bytes;
  const dataStart = nameStart + nameLength;
  const available = bytes.length - dataStart;
  if (partBytes * (1 + imagf) > available) {
    fail(`'${name}' declares ${rows}x${cols} ${precision.storage} values but only ${available} bytes remain`);
  }
  const next = dataStart + partBytes * (1 + imagf);
  if (partBytes * (1 + imagf) > budget.decoded)
    fail(
      `'${name}' needs ${partBytes * (1 + imagf)} bytes; the budget has ${budget.decoded} left (raise maxSamples)`,
    );
  budget.decoded -= partBytes * (1 + imagf);
  const dims = [rows, cols];
  if (type.sparse) return { name, value: { kind: 'unsupported', dims, what: 'sparse' } as MatValue, next };
  const real = decodeNumeric(bytes, dataStart, count, precision.storage, le, precision.class);
  if (type.text) return { name, value: textMatrix(real, rows, cols, fail), next };
  const imag = imagf
    ? decodeNumeric(bytes, dataStart + partBytes, count, precision.storage, le, precision.class)
    : null;
  return { name, value: { kind: 'numeric', class: precision.class, dims, real, imag } as MatValue, next };
}

/**
 * One string per row. A text matrix without characters (rows x 0 or 0 x cols) has no rows: its row count is
 * backed by no byte of the file (a 2^31 x 0 matrix once built 2^31 empty strings and killed the process).
 */
function textMatrix(
  codes: ArrayLike<number | bigint>,
  rows: number,
  cols: number,
  fail: (problem: string) => never,
): MatValue {
  if (codes.length === 0) return { kind: 'char', dims: [rows, cols], rows: [] };
  if (rows > codes.length) fail(`text matrix of ${rows} rows holds only ${codes.length} characters`);
  const text: string[] = [];
  for (let r = 0; r < rows; r++) {
    let row = '';
    for (let c = 0; c < cols; c++) row += String.fromCharCode(Number(codes[r + c * rows]));
    text.push(row);
  }
  return { kind: 'char', dims: [rows, cols], rows: text };
}
