/**
 * `__proto__` is an ordinary name in a safetensors file: a tensor or a metadata key called that survives encode and
 * decode (the header is not built on a plain object, where that name would set its prototype instead).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors.js';

test('a tensor named __proto__ round-trips through safetensors', () => {
  const bytes = encodeSafetensors(
    new Map([
      ['__proto__', { shape: [2], data: Float32Array.of(1, 2) }],
      ['a', { shape: [1], data: Float32Array.of(3) }],
    ]),
  );
  const back = decodeSafetensors(bytes);
  assert.deepEqual([...back.tensors.keys()].sort(), ['__proto__', 'a']);
  assert.deepEqual([...back.tensors.get('__proto__')!.data], [1, 2]);
  assert.deepEqual([...back.tensors.get('a')!.data], [3]);
});

test('a metadata key named __proto__ round-trips through safetensors', () => {
  // JSON.parse makes `__proto__` an own key, as a file's header would.
  const metadata = JSON.parse('{"__proto__": "kept", "b": "too"}') as Record<string, string>;
  const bytes = encodeSafetensors(new Map([['a', { shape: [1], data: Float32Array.of(3) }]]), metadata);
  const back = decodeSafetensors(bytes).metadata;
  assert.deepEqual(Object.keys(back).sort(), ['__proto__', 'b']);
  assert.equal(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, 'kept');
  assert.equal(back.b, 'too');
});
