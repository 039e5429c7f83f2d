/**
 * A small ONNX graph builder over onnx-proto: unique value names, nodes with typed attributes, initializers from
 * typed arrays (raw little-endian bytes), and cached int64 constants for shapes and axes.
 */
import onnxProto from 'onnx-proto';
import { ExportError } from '../../errors.js';
import type { DType, TypedArray } from '../../engine/binding.js';

export const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** An attribute value, tagged so that 1 (int) and 1.0 (float) stay distinct. */
export type Attribute =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { string: string }
  | { tensor: TensorProto };

export const ONNX_DTYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * The typed array that holds `values` in dtype. int64 values beyond its range saturate: a double cannot hold
 * 2^63 - 1, so "to the end" (2^63 as a number) must become INT64_MAX, not wrap around to INT64_MIN.
 */
export function typedArrayOf(dtype: DType, values: readonly number[]): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => clampInt64(BigInt(Math.trunc(v)))));
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  }
}

function clampInt64(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

export function tensorProto(
  name: string,
  dtype: DType,
  dims: readonly number[],
  data: TypedArray,
): TensorProto {
  // raw_data is little-endian, which is every platform Node runs on.
  const rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { name, dataType: ONNX_DTYPE[dtype], dims: [...dims], rawData };
}

function attributeProto(name: string, value: Attribute): AttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('float' in value) return { name, type: type.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: type.INTS, ints: [...value.ints] };
  if ('string' in value) return { name, type: type.STRING, s: new TextEncoder().encode(value.string) };
  return { name, type: type.TENSOR, t: value.tensor };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #names = new Set<string>();
  readonly #constants = new Map<string, string>();

  /** Reserves `base` (or base_1, base_2 ...) as a value name. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  /** Adds a node; returns its first output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, Attribute> = {},
  ): string {
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([name, value]) => attributeProto(name, value)),
    });
    return outputs[0] ?? '';
  }

  /** A node with one fresh output named after its op. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}): string {
    return this.node(opType, inputs, [this.unique(`/${opType}`)], attributes);
  }

  initializer(base: string, dtype: DType, dims: readonly number[], data: TypedArray): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new ExportError(`initializer ${base}: ${data.length} values for shape [${dims.join(', ')}]`);
    }
    const name = this.unique(base);
    this.initializers.push(tensorProto(name, dtype, dims, data));
    return name;
  }

  /** A constant 1-D int64 tensor (shapes, axes, pads), shared between nodes. */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** A constant of dtype and shape (scalars: shape []), shared between nodes. */
  constant(dtype: DType, dims: readonly number[], values: readonly number[]): string {
    const key = `${dtype}[${dims.join(',')}]:${values.join(',')}`;
    let name = this.#constants.get(key);
    if (name === undefined) {
      name = this.initializer('/const', dtype, dims, typedArrayOf(dtype, values));
      this.#constants.set(key, name);
    }
    return name;
  }
}
