/**
 * The safetensors format (pure codec, Node and browser): u64 little-endian header length, a JSON header mapping
 * tensor names to {dtype, shape, data_offsets} plus an optional string-to-string "__metadata__", then the raw
 * little-endian data. PyTorch users read our checkpoints with `safetensors.torch.load_file`.
 */
import { CheckpointError } from '../errors.js';
import type { DType, TypedArray } from '../engine/binding.js';
import { arrayDtype } from '../engine/ops.js';

interface DtypeSpec {
  code: string;
  bytes: number;
  read: (buffer: ArrayBuffer, count: number) => TypedArray;
}

const DTYPES: Record<DType, DtypeSpec> = {
  float32: { code: 'F32', bytes: 4, read: (b, n) => new Float32Array(b, 0, n) },
  float64: { code: 'F64', bytes: 8, read: (b, n) => new Float64Array(b, 0, n) },
  int64: { code: 'I64', bytes: 8, read: (b, n) => new BigInt64Array(b, 0, n) },
  int32: { code: 'I32', bytes: 4, read: (b, n) => new Int32Array(b, 0, n) },
  bool: { code: 'BOOL', bytes: 1, read: (b, n) => new Uint8Array(b, 0, n) },
};
const BY_CODE = new Map(
  Object.entries(DTYPES).map(([dtype, spec]) => [spec.code, { dtype: dtype as DType, spec }]),
);

export interface NamedTensorData {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

export interface SafetensorsContent {
  tensors: Map<string, NamedTensorData>;
  metadata: Record<string, string>;
}

/** Header lengths above this are not plausible for a model checkpoint (and would be a memory bomb). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * The dtype written for a tensor: its data's own. A `dtype` that disagrees with the data (Float32Array data
 * labelled int32) or a shape that does not match its length is refused: it would write bytes that mean other numbers.
 */
function checkedDtype(name: string, t: { shape: readonly number[]; data: TypedArray; dtype?: DType }): DType {
  const own = arrayDtype(t.data);
  if (own === undefined)
    throw new CheckpointError(`tensor ${name}: unsupported data type ${t.data.constructor.name}`);
  if (t.dtype !== undefined && t.dtype !== own)
    throw new CheckpointError(
      `tensor ${name}: labelled ${t.dtype} but its data is ${own} (${t.data.constructor.name})`,
    );
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length)
    throw new CheckpointError(
      `tensor ${name}: shape [${t.shape.join(', ')}] does not hold its ${t.data.length} values`,
    );
  if (name === '' || name === '__metadata__')
    throw new CheckpointError(`invalid tensor name ${JSON.stringify(name)}`);
  return own;
}

export function encodeSafetensors(
  tensors: Map<string, { shape: readonly number[]; data: TypedArray; dtype?: DType }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  // No prototype: a tensor named `__proto__` is an entry like any other, not the object's prototype.
  const header = Object.create(null) as Record<string, unknown>;
  header.__metadata__ = metadata;
  let offset = 0;
  const entries = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of entries) {
    const dtype = checkedDtype(name, t);
    const length = t.data.length * DTYPES[dtype].bytes;
    header[name] = {
      dtype: DTYPES[dtype].code,
      shape: [...t.shape],
      data_offsets: [offset, offset + length],
    };
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Keep the data 8-byte aligned, as the reference does: padded in UTF-8 bytes (a label like "é" is two).
  const headerBytes = new Uint8Array(json.length + ((8 - ((json.length + 8) % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, cursor);
    cursor += bytes.length;
  }
  return out;
}

/** Parses a safetensors file; `source` names it in errors. Every offset and size is checked against the bytes. */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsContent {
  const fail = (problem: string): never => {
    throw new CheckpointError(`${source}: ${problem}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, a safetensors file has at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES)
    fail(`not a safetensors file (declared header of ${headerLength} bytes)`);
  if (8 + headerLength > bytes.length)
    fail(`truncated: header needs ${headerLength} bytes, ${bytes.length - 8} remain`);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch {
    fail('not a safetensors file (its header is not JSON)');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header.__metadata__, fail);
  const tensors = new Map<string, NamedTensorData>();
  const spans: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (name === '') fail('a tensor with an empty name');
    const read = readEntry(name, entry, bytes, dataStart, dataLength, fail);
    tensors.set(name, read.tensor);
    spans.push({ name, ...read.span });
  }
  checkTiling(spans, dataLength, fail);
  return { tensors, metadata };
}

/**
 * As the reference implementation requires: the tensors' byte ranges, in offset order, tile the data exactly:
 * no gap, no overlap (two tensors sharing bytes would load as one weight twice), nothing after the last.
 */
function checkTiling(
  spans: Array<{ name: string; begin: number; end: number }>,
  dataLength: number,
  fail: (p: string) => never,
): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const { name, begin, end } of spans) {
    if (begin < cursor)
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] overlap the previous tensor (ends at ${cursor})`);
    if (begin > cursor)
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] leave a gap after byte ${cursor}`);
    cursor = end;
  }
  if (cursor !== dataLength)
    fail(`${dataLength - cursor} data bytes after the last tensor (truncated or padded file?)`);
}

function readMetadata(value: unknown, fail: (p: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail('__metadata__ must be an object');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as object)) {
    if (typeof v !== 'string') fail(`__metadata__.${key} must be a string`);
    // Defined, not assigned: a key named `__proto__` stays metadata instead of setting the object's prototype.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readEntry(
  name: string,
  entry: unknown,
  bytes: Uint8Array,
  dataStart: number,
  dataLength: number,
  fail: (p: string) => never,
): { tensor: NamedTensorData; span: { begin: number; end: number } } {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const known = typeof e?.dtype === 'string' ? BY_CODE.get(e.dtype) : undefined;
  if (!known) return fail(`tensor ${name}: unsupported dtype ${JSON.stringify(e?.dtype)}`);
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`tensor ${name}: invalid shape ${JSON.stringify(shape)}`);
  }
  const offsets = e.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    return fail(`tensor ${name}: invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * known.spec.bytes))
    return fail(`tensor ${name}: shape [${shape.join(', ')}] is too large`);
  if (end < begin || end > dataLength)
    return fail(
      `tensor ${name}: data_offsets [${begin}, ${end}] outside the ${dataLength} data bytes (truncated file?)`,
    );
  if (end - begin !== count * known.spec.bytes) {
    return fail(
      `tensor ${name}: shape [${shape.join(', ')}] needs ${count * known.spec.bytes} bytes, offsets span ${end - begin}`,
    );
  }
  // Copy into a fresh, aligned buffer: the file's data need not be aligned for every dtype.
  const copy = bytes.slice(dataStart + begin, dataStart + end).buffer;
  return {
    tensor: { dtype: known.dtype, shape: shape as number[], data: known.spec.read(copy, count) },
    span: { begin, end },
  };
}
