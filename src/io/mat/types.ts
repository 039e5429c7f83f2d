/**
 * Values decoded from a MAT-file, independent of its level (4 or 5). Pure data: no I/O, no Node APIs.
 * Arrays keep MATLAB's column-major order and their dimensions (`dims`, at least two).
 */
export type NumericClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'logical';

export type NumericData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface MatNumeric {
  kind: 'numeric';
  class: NumericClass;
  dims: number[];
  /** Column-major, typed after the class (int64/uint64 as BigInt arrays, logical as Uint8Array). */
  real: NumericData;
  imag: NumericData | null;
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  /** One string per row (a 1 x n char array is one string); none when the array holds no characters (n x 0). */
  rows: string[];
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fieldNames: string[];
  /** One map per element, column-major; a Map so that field names from a file cannot touch prototypes. */
  elements: Array<Map<string, MatValue>>;
  /** Set for MATLAB objects (class 3), which are stored like structs. */
  className?: string;
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  cells: MatValue[];
}

/** A value of a class this reader does not decode (sparse, function handle, opaque objects): kept by name only. */
export interface MatUnsupported {
  kind: 'unsupported';
  dims: number[];
  what: string;
}

export type MatValue = MatNumeric | MatChar | MatStruct | MatCell | MatUnsupported;

export interface MatFile {
  level: 4 | 5;
  /** The 116-byte descriptive text of a level 5 file (trimmed), '' for level 4. */
  header: string;
  littleEndian: boolean;
  /** Variables in file order. */
  variables: Map<string, MatValue>;
}

/** Number of elements of an array with these dimensions. */
export function numel(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}

/** Short description such as "double 12x5000" or "struct 1x1", for error messages and listings. */
export function describeMatValue(value: MatValue): string {
  const size = value.dims.join('x');
  switch (value.kind) {
    case 'numeric':
      return `${value.class} ${size}`;
    case 'unsupported':
      return `${value.what} ${size}`;
    default:
      return `${value.kind} ${size}`;
  }
}

/** Bytes as Latin-1 text up to the first NUL (variable names and headers are ASCII, in both file versions). */
export function latin1(raw: Uint8Array): string {
  let text = '';
  for (const byte of raw) {
    if (byte === 0) break;
    text += String.fromCharCode(byte);
  }
  return text;
}
