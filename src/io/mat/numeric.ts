/**
 * Typed decoding of numeric payloads shared by the level 4 and level 5 readers: a stored element type
 * (possibly smaller than the array's class, as MATLAB compacts doubles into int8 when they fit) converted
 * to the array's class, in either byte order.
 */
import type { NumericClass, NumericData } from './types.js';

/** Element types a payload can be stored as. */
export type StorageType =
  'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'single' | 'double' | 'int64' | 'uint64';

interface StorageSpec {
  bytes: number;
  read(view: DataView, offset: number, littleEndian: boolean): number | bigint;
}

export const STORAGE: Record<StorageType, StorageSpec> = {
  int8: { bytes: 1, read: (v, o) => v.getInt8(o) },
  uint8: { bytes: 1, read: (v, o) => v.getUint8(o) },
  int16: { bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  uint16: { bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  int32: { bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  uint32: { bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  single: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  double: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  int64: { bytes: 8, read: (v, o, le) => v.getBigInt64(o, le) },
  uint64: { bytes: 8, read: (v, o, le) => v.getBigUint64(o, le) },
};

interface ClassSpec {
  /** The storage type that holds this class without conversion. */
  native: StorageType;
  allocate(length: number): NumericData;
  bigint: boolean;
}

export const CLASSES: Record<NumericClass, ClassSpec> = {
  double: { native: 'double', allocate: (n) => new Float64Array(n), bigint: false },
  single: { native: 'single', allocate: (n) => new Float32Array(n), bigint: false },
  int8: { native: 'int8', allocate: (n) => new Int8Array(n), bigint: false },
  uint8: { native: 'uint8', allocate: (n) => new Uint8Array(n), bigint: false },
  int16: { native: 'int16', allocate: (n) => new Int16Array(n), bigint: false },
  uint16: { native: 'uint16', allocate: (n) => new Uint16Array(n), bigint: false },
  int32: { native: 'int32', allocate: (n) => new Int32Array(n), bigint: false },
  uint32: { native: 'uint32', allocate: (n) => new Uint32Array(n), bigint: false },
  int64: { native: 'int64', allocate: (n) => new BigInt64Array(n), bigint: true },
  uint64: { native: 'uint64', allocate: (n) => new BigUint64Array(n), bigint: true },
  logical: { native: 'uint8', allocate: (n) => new Uint8Array(n), bigint: false },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes `count` elements of `storage` at `offset` into a fresh array of class `target`.
 * The caller has already checked that `count * STORAGE[storage].bytes` bytes are available.
 */
export function decodeNumeric(
  bytes: Uint8Array,
  offset: number,
  count: number,
  storage: StorageType,
  littleEndian: boolean,
  target: NumericClass,
): NumericData {
  const spec = CLASSES[target];
  const out = spec.allocate(count);
  const width = STORAGE[storage].bytes;
  if (spec.native === storage && littleEndian === HOST_LITTLE_ENDIAN) {
    // Same type and byte order: one copy, which also realigns the data.
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * width));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = STORAGE[storage].read;
  for (let i = 0; i < count; i++) {
    const value = read(view, offset + i * width, littleEndian);
    out[i] = spec.bigint ? toBigInt(value) : Number(value);
  }
  return out;
}

function toBigInt(value: number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
}

/** Element values as float64 numbers, whatever the class (int64 beyond 2^53 loses precision). */
export function toFloat64(data: NumericData): Float64Array {
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
