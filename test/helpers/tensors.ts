/** Test helpers: tensors from fixture JSON and closeness assertions with useful messages. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ops as F, type Tensor } from '../../src/engine/index.js';

export interface EncodedTensor {
  shape: number[];
  dtype: 'float64' | 'int64' | 'bool' | 'float32';
  data: number[];
}

export function fromFixture(encoded: EncodedTensor): Tensor {
  switch (encoded.dtype) {
    case 'int64':
      return F.tensor(BigInt64Array.from(encoded.data.map(BigInt)), encoded.shape);
    case 'bool':
      return F.tensor(Uint8Array.from(encoded.data), encoded.shape);
    case 'float32':
      return F.tensor(Float32Array.from(encoded.data), encoded.shape);
    default:
      return F.tensor(Float64Array.from(encoded.data), encoded.shape);
  }
}

export function readJson<T>(relativeToRepo: string): T {
  return JSON.parse(readFileSync(new URL(`../../${relativeToRepo}`, import.meta.url), 'utf8')) as T;
}

export function toNumbers(t: Tensor): number[] {
  const data = t.data<'float64'>();
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** |a - e| <= atol + rtol * |e| elementwise, and the same shape. */
export function assertClose(
  actual: Tensor,
  expected: EncodedTensor | number[],
  what: string,
  atol = 1e-9,
  rtol = 1e-7,
): void {
  const expectedData = Array.isArray(expected) ? expected : expected.data;
  if (!Array.isArray(expected)) assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const values = toNumbers(actual);
  assert.equal(values.length, expectedData.length, `${what}: element count`);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < values.length; i++) {
    const excess = Math.abs(values[i]! - expectedData[i]!) - (atol + rtol * Math.abs(expectedData[i]!));
    if (!(excess <= worst)) {
      worst = excess;
      worstIndex = i;
    }
  }
  assert.ok(
    worstIndex === -1,
    `${what}: element ${worstIndex} is ${values[worstIndex]}, expected ${expectedData[worstIndex]} (atol ${atol}, rtol ${rtol})`,
  );
}
