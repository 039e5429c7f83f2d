/** What an op converter sees: its traced node (at the example size and at the probe size) and the graph so far. */
import type { DType, TypedArray } from '../../engine/binding.js';
import type { OpAttributes, OpName } from '../../engine/ops.js';
import type { GraphBuilder } from './graph.js';

export interface NodeContext<K extends OpName = OpName> {
  readonly g: GraphBuilder;
  readonly op: K;
  /** Attributes in the example trace and in the probe trace (they differ only where they depend on input sizes). */
  readonly attrs: OpAttributes[K];
  readonly probeAttrs: OpAttributes[K];
  /** ONNX name of tensor input i ('' for an absent optional input). */
  input(i: number): string;
  /** Whether input i is present. */
  has(i: number): boolean;
  /** ONNX name to write output i to. */
  output(i: number): string;
  /** Makes output i another name for an existing value (no node). */
  alias(i: number, name: string): void;
  inputShape(i: number): readonly number[];
  probeInputShape(i: number): readonly number[];
  outputShape(i: number): readonly number[];
  probeOutputShape(i: number): readonly number[];
  inputDtype(i: number): DType;
  outputDtype(i: number): DType;
  /** Values of input i when it is known at export time (parameter, buffer, constant); null otherwise. */
  constantInput(i: number): TypedArray | null;
  /** The traced values of output 0 of an op without tensor inputs (zeros, full, tensor ...). */
  constantOutput(): TypedArray;
  /** Whether input i was made inside the forward by an op without inputs (zeros, full ...). */
  isCreatedConstant(i: number): boolean;
  /**
   * A 1-D int64 shape tensor for `target` (example sizes) / `probe` (probe sizes): static dims literally,
   * size-dependent dims taken with Shape from `reference` input or a graph input having that size.
   * `reshape` allows 0 (copy the reference's dim) and one -1; `expand` allows 1 for dims the reference has.
   */
  shapeTensor(
    target: readonly number[],
    probe: readonly number[],
    mode: 'reshape' | 'expand' | 'create',
    reference?: number,
  ): string;
  /** A 1-D int64 tensor holding a size-dependent dim (example size, probe size) read from the graph, or null. */
  dimension(size: number, probeSize: number): string | null;
  /** Fails the export for this op with a message naming it. */
  fail(problem: string): never;
}
