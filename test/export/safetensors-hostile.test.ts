/**
 * safetensors files that lie: overlapping or gapped offsets, trailing bytes, absurd shapes, bytes of one dtype
 * labelled as another. Each is a CheckpointError, on decode, on encode or when loaded into a module; none loads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors.js';
import { Linear } from '../../src/nn/index.js';

/** A file from a header object and raw data bytes, as a hostile writer would make it. */
function craft(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (offsets: [number, number], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });

const HOSTILE: Array<[string, Uint8Array, RegExp]> = [
  ['overlapping offsets', craft({ a: f32([0, 8]), b: f32([4, 12]) }, new Uint8Array(12)), /overlap/],
  ['the same bytes for two tensors', craft({ a: f32([0, 8]), b: f32([0, 8]) }, new Uint8Array(8)), /overlap/],
  ['a gap between tensors', craft({ a: f32([0, 8]), b: f32([12, 20]) }, new Uint8Array(20)), /gap/],
  ['bytes after the last tensor', craft({ a: f32([0, 8]) }, new Uint8Array(16)), /after the last tensor/],
  ['offsets past the end', craft({ a: f32([0, 8]) }, new Uint8Array(4)), /outside/],
  ['reversed offsets', craft({ a: f32([8, 0]) }, new Uint8Array(8)), /outside/],
  ['a shape that needs other bytes', craft({ a: f32([0, 8], [3]) }, new Uint8Array(8)), /needs 12 bytes/],
  ['an absurd shape', craft({ a: f32([0, 8], [2 ** 40, 2 ** 40]) }, new Uint8Array(8)), /too large|needs/],
  ['a negative dimension', craft({ a: f32([0, 8], [-2]) }, new Uint8Array(8)), /invalid shape/],
  [
    'an unknown dtype',
    craft({ a: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
    /dtype/,
  ],
  ['an empty tensor name', craft({ '': f32([0, 8]) }, new Uint8Array(8)), /empty name/],
  [
    'a non-string metadata value',
    craft({ __metadata__: { a: 1 }, t: f32([0, 8]) }, new Uint8Array(8)),
    /string/,
  ],
];

for (const [what, bytes, message] of HOSTILE) {
  test(`decodeSafetensors refuses ${what}`, () => {
    assert.throws(
      () => decodeSafetensors(bytes, 'crafted.safetensors'),
      (e: unknown) =>
        e instanceof CheckpointError &&
        e.message.startsWith('crafted.safetensors: ') &&
        message.test(e.message),
    );
  });
}

test('decodeSafetensors refuses a declared header of 2^60 bytes without allocating it', () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 60n, true);
  assert.throws(() => decodeSafetensors(bytes, 'bomb.safetensors'), CheckpointError);
});

test('encodeSafetensors refuses data labelled with another dtype, or a shape that does not hold it', () => {
  const data = Float32Array.of(1, 2);
  assert.throws(
    () => encodeSafetensors(new Map([['w', { shape: [2], data, dtype: 'int32' }]])),
    /labelled int32 but its data is float32/,
  );
  assert.throws(() => encodeSafetensors(new Map([['w', { shape: [3], data }]])), /does not hold/);
  assert.throws(
    () => encodeSafetensors(new Map([['__metadata__', { shape: [2], data }]])),
    /invalid tensor name/,
  );
});

test('an I32 tensor loaded into float32 weights is a CheckpointError naming it, nothing is changed', () => {
  const layer = new Linear(2, 1);
  const before = layer.exportState();
  const state = new Map([
    ['weight', { shape: [1, 2], data: Int32Array.of(1065353216, 1073741824) }],
    ['bias', { shape: [1], data: Float32Array.of(0) }],
  ]);
  assert.throws(
    () => layer.loadState(state, 'crafted'),
    /dtype mismatches: weight: expected float32, got int32/,
  );
  assert.deepEqual(layer.exportState(), before);
  layer.dispose();
});

test('a well-formed file still round-trips', () => {
  const bytes = encodeSafetensors(
    new Map([
      ['a', { shape: [2], data: Float32Array.of(1, 2) }],
      ['b', { shape: [1], data: Int32Array.of(7) }],
    ]),
  );
  const back = decodeSafetensors(bytes);
  assert.deepEqual([...back.tensors.get('a')!.data], [1, 2]);
  assert.deepEqual([...back.tensors.get('b')!.data], [7]);
});
