/**
 * Reads an ONNX file's metadata_props (ModelProto field 14) with a few lines of protobuf wire-format scanning:
 * onnxruntime sessions do not expose them, and the browser bundle should not carry a protobuf library for this.
 * Browser-safe; values stay strings (the exporter writes JSON, parsed by the caller).
 */
import { FormatError } from '../errors.js';

const METADATA_PROPS_FIELD = 14;
const KEY_FIELD = 1;
const VALUE_FIELD = 2;

interface Cursor {
  bytes: Uint8Array;
  at: number;
  source: string;
}

function varint(cursor: Cursor): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    if (cursor.at >= cursor.bytes.length) throw new FormatError(cursor.source, 'truncated ONNX protobuf');
    const byte = cursor.bytes[cursor.at++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
    scale *= 128;
    if (scale > 2 ** 63) throw new FormatError(cursor.source, 'malformed ONNX protobuf varint');
  }
}

/** Each field's number and, for length-delimited fields, its bytes; other wire types are skipped. */
function* fields(bytes: Uint8Array, source: string): Generator<{ field: number; body?: Uint8Array }> {
  const cursor: Cursor = { bytes, at: 0, source };
  while (cursor.at < bytes.length) {
    const tag = varint(cursor);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) varint(cursor);
    else if (wireType === 1) cursor.at += 8;
    else if (wireType === 5) cursor.at += 4;
    else if (wireType === 2) {
      const length = varint(cursor);
      if (cursor.at + length > bytes.length) throw new FormatError(source, 'truncated ONNX protobuf field');
      yield { field, body: bytes.subarray(cursor.at, cursor.at + length) };
      cursor.at += length;
      continue;
    } else throw new FormatError(source, `not an ONNX model (protobuf wire type ${wireType})`);
    yield { field };
  }
}

/** metadata_props as key -> raw string value. */
export function readOnnxMetadataProps(bytes: Uint8Array, source = '<onnx>'): Record<string, string> {
  const decoder = new TextDecoder();
  const props: Record<string, string> = {};
  for (const { field, body } of fields(bytes, source)) {
    if (field !== METADATA_PROPS_FIELD || body === undefined) continue;
    let key = '';
    let value = '';
    for (const entry of fields(body, source)) {
      if (entry.field === KEY_FIELD && entry.body) key = decoder.decode(entry.body);
      if (entry.field === VALUE_FIELD && entry.body) value = decoder.decode(entry.body);
    }
    props[key] = value;
  }
  return props;
}
