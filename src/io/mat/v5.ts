/**
 * MATLAB Level 5 MAT-files (also what MATLAB writes with -v6 and -v7): a 128-byte header, then data elements,
 * each an 8-byte tag (type, byte count) or a 4-byte "small element" tag, padded to 8 bytes. Variables are
 * miMATRIX elements, optionally wrapped in zlib (miCOMPRESSED). Every declared size is checked against the
 * bytes that are really there before anything is allocated.
 */
import { Unzlib } from 'fflate';
import { FormatError } from '../../errors.js';
import { readLimits, type ReadLimits } from '../limits.js';
import { CLASSES, decodeNumeric, STORAGE, type StorageType } from './numeric.js';
import { latin1, numel, type MatFile, type MatStruct, type MatValue, type NumericClass } from './types.js';

const HEADER_BYTES = 128;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MAX_DEPTH = 64;
/** Each element of a field-less struct array costs an empty Map (~100 bytes) that no byte of the file backs. */
const MAX_FIELDLESS_ELEMENTS = 1 << 16;
/**
 * What a nested matrix (a cell, a struct field) costs once read, whatever it holds: its objects take ~280 bytes of
 * heap against the 8 bytes of an empty miMATRIX tag, so millions of them from a small compressed file would
 * exhaust the heap. Charged to the decoded budget per child.
 */
const CHILD_COST_BYTES = 256;
/** Compressed bytes fed to the inflater at once: each push can emit at most ~1032x that (4 MiB). */
const INFLATE_CHUNK = 4096;
/** Deflate cannot expand data by more than ~1032:1: a larger declared size is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** Numeric element types (miINT8 ... miUINT64) and how they are stored. */
const MI_STORAGE: Record<number, StorageType> = {
  1: 'int8',
  2: 'uint8',
  3: 'int16',
  4: 'uint16',
  5: 'int32',
  6: 'uint32',
  7: 'single',
  9: 'double',
  12: 'int64',
  13: 'uint64',
};

/** mxCLASS codes of numeric arrays. */
const NUMERIC_CLASS_CODES: Record<number, NumericClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};

const CLASS_CELL = 1;
const CLASS_STRUCT = 2;
const CLASS_OBJECT = 3;
const CLASS_CHAR = 4;
const CLASS_SPARSE = 5;
const CLASS_FUNCTION = 16;
const CLASS_OPAQUE = 17;

export interface V5Options {
  /**
   * Work budget: `maxInflatedBytes` bounds what all compressed variables inflate to together, and
   * 4 x `maxSamples` the bytes of all decoded numeric arrays (default DEFAULT_READ_LIMITS).
   */
  limits?: Partial<ReadLimits>;
}

/** What is left of a file's budget, shared by every (nested or compressed) element of the file. */
interface Budget {
  inflated: number;
  decoded: number;
}

/** Byte order of a level 5 file from its endian indicator ("IM" little endian, "MI" big endian), or null. */
export function detectV5(bytes: Uint8Array): { littleEndian: boolean } | null {
  if (bytes.length < HEADER_BYTES) return null;
  const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (indicator === 'IM') return { littleEndian: true };
  if (indicator === 'MI') return { littleEndian: false };
  return null;
}

interface Context {
  bytes: Uint8Array;
  view: DataView;
  le: boolean;
  source: string;
  budget: Budget;
}

interface Element {
  type: number;
  /** First payload byte. */
  start: number;
  /** Payload byte count. */
  length: number;
  /** Offset of the element after this one. */
  next: number;
}

function fail(ctx: Context, offset: number, problem: string): never {
  throw new FormatError(ctx.source, `MAT v5 element at byte ${offset}: ${problem}`);
}

export function parseV5(
  bytes: Uint8Array,
  source: string,
  littleEndian: boolean,
  options: V5Options = {},
): MatFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(124, littleEndian);
  const header = latin1(bytes.subarray(0, 116)).trim();
  if (version === 0x0200) {
    throw new FormatError(source, 'MATLAB v7.3 (HDF5) MAT-files are not supported: re-save with save -v7');
  }
  if (version !== 0x0100) throw new FormatError(source, `unknown MAT-file version 0x${version.toString(16)}`);
  const limits = readLimits(options.limits);
  const ctx: Context = {
    bytes,
    view,
    le: littleEndian,
    source,
    budget: { inflated: limits.maxInflatedBytes, decoded: 4 * limits.maxSamples },
  };
  const variables = new Map<string, MatValue>();
  let offset = HEADER_BYTES;
  while (offset < bytes.length) {
    const element = readTag(ctx, offset, bytes.length);
    const variable = readTopLevel(ctx, element, offset);
    // An unnamed trailing variable is MATLAB's subsystem data (class definitions), not a user variable.
    if (variable.name !== '') variables.set(variable.name, variable.value);
    offset = element.type === MI_COMPRESSED ? element.start + element.length : element.next;
  }
  return { level: 5, header, littleEndian, variables };
}

function readTopLevel(ctx: Context, element: Element, offset: number) {
  if (element.type === MI_MATRIX) return readMatrix(ctx, element, 0);
  if (element.type !== MI_COMPRESSED)
    fail(ctx, offset, `expected a variable, found element type ${element.type}`);
  const inflated = inflate(ctx, element);
  const inner: Context = {
    ...ctx,
    bytes: inflated,
    view: new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength),
  };
  const matrix = readTag(inner, 0, inflated.length);
  if (matrix.type !== MI_MATRIX)
    fail(ctx, offset, `compressed element holds type ${matrix.type}, not a matrix`);
  try {
    return readMatrix(inner, matrix, 0);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    throw new FormatError(ctx.source, `in compressed variable at byte ${offset}: ${error.problem}`);
  }
}

function readTag(ctx: Context, offset: number, limit: number): Element {
  if (limit - offset < 8) fail(ctx, offset, `truncated tag (${limit - offset} bytes left)`);
  const first = ctx.view.getUint32(offset, ctx.le);
  if (first >>> 16 !== 0) {
    // Small data element: type and byte count share the first word, payload in the next four bytes.
    const length = first >>> 16;
    if (length > 4) fail(ctx, offset, `small element declares ${length} bytes (at most 4)`);
    return { type: first & 0xffff, start: offset + 4, length, next: offset + 8 };
  }
  const length = ctx.view.getUint32(offset + 4, ctx.le);
  const start = offset + 8;
  if (length > limit - start) fail(ctx, offset, `declares ${length} bytes but only ${limit - start} remain`);
  return { type: first, start, length, next: Math.min(limit, start + Math.ceil(length / 8) * 8) };
}

/**
 * Inflates a compressed variable into a buffer of the size its inner tag declares, streamed in small chunks so
 * that nothing beyond that size is ever produced; the size is checked against what deflate can reach from these
 * bytes and against the file's remaining budget before the buffer is allocated.
 */
function inflate(ctx: Context, element: Element): Uint8Array {
  const compressed = ctx.bytes.subarray(element.start, element.start + element.length);
  const head = inflateInto(ctx, element.start, compressed, new Uint8Array(8));
  if (head.length < 8) fail(ctx, element.start, 'compressed variable shorter than a tag');
  const total = 8 + new DataView(head.buffer, head.byteOffset, 8).getUint32(4, ctx.le);
  const reachable = compressed.length * MAX_DEFLATE_RATIO + 64;
  if (total > reachable)
    fail(
      ctx,
      element.start,
      `compressed variable declares ${total} bytes, more than ${reachable} bytes of zlib data can hold`,
    );
  if (total > ctx.budget.inflated)
    fail(
      ctx,
      element.start,
      `compressed variable declares ${total} bytes; the file's inflation budget has ${ctx.budget.inflated} left (raise maxInflatedBytes to read it)`,
    );
  ctx.budget.inflated -= total;
  const out = inflateInto(ctx, element.start, compressed, new Uint8Array(total));
  if (out.length < total) fail(ctx, element.start, `inflates to ${out.length} of ${total} declared bytes`);
  return out;
}

/** Inflates `compressed` until `out` is full (or the stream ends); returns the filled part. */
function inflateInto(ctx: Context, offset: number, compressed: Uint8Array, out: Uint8Array): Uint8Array {
  let filled = 0;
  const stream = new Unzlib((chunk) => {
    const take = Math.min(out.length - filled, chunk.length);
    out.set(chunk.subarray(0, take), filled);
    filled += take;
  });
  try {
    for (let i = 0; i < compressed.length && filled < out.length; i += INFLATE_CHUNK)
      stream.push(compressed.subarray(i, i + INFLATE_CHUNK), i + INFLATE_CHUNK >= compressed.length);
  } catch (error) {
    fail(ctx, offset, `corrupt zlib data (${(error as Error).message})`);
  }
  return out.subarray(0, filled);
}

/** Reads the next sub-element of a matrix, which must lie within [offset, end). */
function subElement(ctx: Context, offset: number, end: number, what: string, types?: number[]): Element {
  if (offset >= end) fail(ctx, offset, `matrix ends before its ${what}`);
  const element = readTag(ctx, offset, end);
  if (types && !types.includes(element.type)) fail(ctx, offset, `${what} has element type ${element.type}`);
  return element;
}

function readMatrix(ctx: Context, matrix: Element, depth: number): { name: string; value: MatValue } {
  if (depth > MAX_DEPTH) fail(ctx, matrix.start, `variables nested deeper than ${MAX_DEPTH} levels`);
  const end = matrix.start + matrix.length;
  // An empty miMATRIX (no sub-elements) is how MATLAB writes some empty cells.
  if (matrix.length === 0) return { name: '', value: emptyDouble() };
  const flags = subElement(ctx, matrix.start, end, 'array flags', [6]);
  if (flags.length < 8) fail(ctx, flags.start, `array flags of ${flags.length} bytes`);
  const flagWord = ctx.view.getUint32(flags.start, ctx.le);
  const classCode = flagWord & 0xff;
  if (classCode === CLASS_OPAQUE) {
    const nameElement = subElement(ctx, flags.next, end, 'name', [1, 2]);
    return {
      name: elementText(ctx, nameElement),
      value: { kind: 'unsupported', dims: [1, 1], what: 'opaque object' },
    };
  }
  const dimsElement = subElement(ctx, flags.next, end, 'dimensions', [5]);
  const dims = readDims(ctx, dimsElement);
  const nameElement = subElement(ctx, dimsElement.next, end, 'name', [1, 2]);
  const name = elementText(ctx, nameElement);
  const body: Body = { ctx, offset: nameElement.next, end, dims, depth };
  const numeric = NUMERIC_CLASS_CODES[classCode];
  if (numeric) {
    const logical = (flagWord & 0x200) !== 0;
    return { name, value: readNumeric(body, logical ? 'logical' : numeric, (flagWord & 0x800) !== 0) };
  }
  switch (classCode) {
    case CLASS_CHAR:
      return { name, value: readChar(body) };
    case CLASS_CELL:
      return { name, value: readCell(body) };
    case CLASS_STRUCT:
      return { name, value: readStruct(body) };
    case CLASS_OBJECT: {
      const classElement = subElement(ctx, body.offset, end, 'class name', [1, 2]);
      const className = elementText(ctx, classElement);
      return { name, value: { ...readStruct({ ...body, offset: classElement.next }), className } };
    }
    case CLASS_SPARSE:
      return { name, value: { kind: 'unsupported', dims, what: 'sparse' } };
    case CLASS_FUNCTION:
      return { name, value: { kind: 'unsupported', dims, what: 'function handle' } };
    default:
      fail(ctx, flags.start, `unknown array class ${classCode}`);
  }
}

interface Body {
  ctx: Context;
  /** Offset of the first class-specific sub-element. */
  offset: number;
  end: number;
  dims: number[];
  depth: number;
}

function readDims(ctx: Context, element: Element): number[] {
  const count = element.length / 4;
  if (!Number.isInteger(count) || count < 2)
    fail(ctx, element.start, `${element.length} bytes of dimensions`);
  const dims: number[] = [];
  for (let i = 0; i < count; i++) {
    const dim = ctx.view.getInt32(element.start + 4 * i, ctx.le);
    if (dim < 0) fail(ctx, element.start, `negative dimension ${dim}`);
    dims.push(dim);
  }
  return dims;
}

function readNumeric(body: Body, numericClass: NumericClass, complex: boolean): MatValue {
  const { ctx, end, dims } = body;
  const realElement = subElement(ctx, body.offset, end, 'real part');
  const real = numericPart(body, realElement, numericClass);
  const imag = complex
    ? numericPart(body, subElement(ctx, realElement.next, end, 'imaginary part'), numericClass)
    : null;
  return { kind: 'numeric', class: numericClass, dims, real, imag };
}

function numericPart(body: Body, element: Element, numericClass: NumericClass) {
  const { ctx, dims } = body;
  const storage =
    MI_STORAGE[element.type] ?? fail(ctx, element.start, `numeric data of type ${element.type}`);
  const count = element.length / STORAGE[storage].bytes;
  if (count !== numel(dims)) {
    fail(ctx, element.start, `${element.length} bytes of ${storage} for ${dims.join('x')} elements`);
  }
  // A double stored as int8 takes 8 times its stored bytes once decoded: the budget counts decoded bytes.
  spendDecoded(ctx, element.start, count * STORAGE[CLASSES[numericClass].native].bytes, 'decoding');
  return decodeNumeric(ctx.bytes, element.start, count, storage, ctx.le, numericClass);
}

function spendDecoded(ctx: Context, offset: number, bytes: number, what: string): void {
  if (bytes > ctx.budget.decoded)
    fail(
      ctx,
      offset,
      `${what} needs ${bytes} bytes; the file's budget has ${ctx.budget.decoded} left (raise maxSamples to read it)`,
    );
  ctx.budget.decoded -= bytes;
}

function readChar(body: Body): MatValue {
  const { ctx, dims } = body;
  const element = subElement(ctx, body.offset, body.end, 'character data');
  const codes = charCodes(ctx, element);
  const count = numel(dims);
  if (codes.length !== count) fail(ctx, element.start, `${codes.length} characters for ${dims.join('x')}`);
  // Without characters there are no rows: a 2^31 x 0 array's row count is backed by no byte of the file.
  if (count === 0) return { kind: 'char', dims, rows: [] };
  const rowCount = dims[0]!;
  if (rowCount > count)
    fail(ctx, element.start, `char array of ${rowCount} rows holds only ${count} characters`);
  const columns = count / rowCount;
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    let row = '';
    for (let c = 0; c < columns; c++) row += String.fromCharCode(codes[r + c * rowCount]!);
    rows.push(row);
  }
  return { kind: 'char', dims, rows };
}

/** UTF-16 code units of a char payload, whichever of MATLAB's encodings it uses. */
function charCodes(ctx: Context, element: Element): ArrayLike<number> {
  const raw = ctx.bytes.subarray(element.start, element.start + element.length);
  switch (element.type) {
    case 16: {
      const text = new TextDecoder('utf-8').decode(raw);
      return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
    }
    case 17:
      return decodeNumeric(
        ctx.bytes,
        element.start,
        element.length >> 1,
        'uint16',
        ctx.le,
        'uint16',
      ) as Uint16Array;
    case 18: {
      const points = decodeNumeric(ctx.bytes, element.start, element.length >> 2, 'uint32', ctx.le, 'uint32');
      let text = '';
      for (const point of points as Uint32Array) text += String.fromCodePoint(Math.min(point, 0x10ffff));
      return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
    }
    default: {
      const storage =
        MI_STORAGE[element.type] ?? fail(ctx, element.start, `character data of type ${element.type}`);
      const count = element.length / STORAGE[storage].bytes;
      if (!Number.isInteger(count))
        fail(ctx, element.start, `${element.length} bytes of ${storage} characters`);
      return Array.from(
        decodeNumeric(ctx.bytes, element.start, count, storage, ctx.le, 'double') as Float64Array,
      );
    }
  }
}

/** Reads `count` nested matrices, checking first that the bytes could hold that many tags. */
function readChildren(body: Body, offset: number, count: number, what: string): MatValue[] {
  const { ctx, end } = body;
  if (count * 8 > end - offset) fail(ctx, offset, `${count} ${what} cannot fit in ${end - offset} bytes`);
  spendDecoded(ctx, offset, count * CHILD_COST_BYTES, `reading ${count} ${what}`);
  const children: MatValue[] = [];
  for (let i = 0; i < count; i++) {
    const element = subElement(ctx, offset, end, what, [MI_MATRIX]);
    children.push(readMatrix(ctx, element, body.depth + 1).value);
    offset = element.next;
  }
  return children;
}

function readCell(body: Body): MatValue {
  return { kind: 'cell', dims: body.dims, cells: readChildren(body, body.offset, numel(body.dims), 'cells') };
}

function readStruct(body: Body): MatStruct {
  const { ctx, end, dims } = body;
  const lengthElement = subElement(ctx, body.offset, end, 'field name length', [5]);
  if (lengthElement.length < 4) fail(ctx, lengthElement.start, 'empty field name length');
  const nameLength = ctx.view.getInt32(lengthElement.start, ctx.le);
  const namesElement = subElement(ctx, lengthElement.next, end, 'field names', [1, 2]);
  if (nameLength < 1 && namesElement.length > 0)
    fail(ctx, lengthElement.start, `field name length ${nameLength}`);
  const fieldCount = nameLength < 1 ? 0 : Math.floor(namesElement.length / nameLength);
  const fieldNames: string[] = [];
  for (let f = 0; f < fieldCount; f++) {
    const start = namesElement.start + f * nameLength;
    fieldNames.push(latin1(ctx.bytes.subarray(start, start + nameLength)));
  }
  const count = numel(dims);
  // Field values are bounded by the bytes (readChildren); elements of a field-less struct are not: cap them.
  if (!(count <= MAX_FIELDLESS_ELEMENTS) && fieldCount === 0) {
    fail(ctx, lengthElement.start, `struct array of ${dims.join('x')} elements without fields`);
  }
  const values = readChildren(body, namesElement.next, count * fieldCount, 'struct fields');
  const elements = Array.from({ length: count }, (_, e) => {
    return new Map(fieldNames.map((field, f) => [field, values[e * fieldCount + f]!]));
  });
  return { kind: 'struct', dims, fieldNames, elements };
}

function elementText(ctx: Context, element: Element): string {
  return latin1(ctx.bytes.subarray(element.start, element.start + element.length));
}

function emptyDouble(): MatValue {
  return { kind: 'numeric', class: 'double', dims: [0, 0], real: new Float64Array(0), imag: null };
}
