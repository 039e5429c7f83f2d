/**
 * Tracing: run a model's forward once and record every engine op it calls (name, tensor inputs by identity,
 * structured attributes, outputs) as a flat graph of numbered values. The ONNX exporter and the MAC counter read
 * traces; nothing here knows about ONNX.
 * Values are numbered in order of first appearance (graph inputs first), so two traces of the same forward at
 * different input sizes number their values identically, which is what lets the exporter spot size-dependent dims.
 */
import { ExportError } from '../errors.js';
import { noGrad } from '../engine/autograd.js';
import type { DType, TypedArray } from '../engine/binding.js';
import { observeOps, type OpAttributes, type OpName, type OpObserver } from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import { Tensor } from '../engine/tensor.js';

export type { OpObserver, OpRecord } from '../engine/ops.js';

/** Runs fn with observer told about every engine op call, in order (the engine's hook, under its tracing name). */
export function traceOps<T>(observer: OpObserver, fn: () => T): T {
  return observeOps(observer, fn);
}

/** Where a traced value comes from. */
export type ValueSource =
  | { kind: 'input'; name: string }
  | { kind: 'parameter'; name: string; tensor: Tensor }
  /** A tensor the forward used without making it (not an input, not in the state dict): baked as a constant. */
  | { kind: 'captured'; data: TypedArray }
  | { kind: 'op' };

export interface TracedValue {
  shape: readonly number[];
  dtype: DType;
  source: ValueSource;
  /** The values of an op without tensor inputs (zeros, full, tensor ...), kept to bake them as constants. */
  data?: TypedArray;
}

export type TracedNode = {
  [K in OpName]: { op: K; inputs: Array<number | null>; attrs: OpAttributes[K]; outputs: number[] };
}[OpName];

export interface Trace {
  values: TracedValue[];
  nodes: TracedNode[];
  /** Value ids of the graph inputs, in the order given. */
  inputs: number[];
  outputs: Array<{ name: string; id: number }>;
}

export interface TraceInput {
  name: string;
  tensor: Tensor;
}

/**
 * Traces `run` (without gradients, inside a disposal scope: every tensor it makes is released afterwards).
 * `state` (a Module's stateDict()) tells parameters and buffers apart from captured constants.
 * run returns the named outputs; each must be a Tensor.
 */
export function traceFunction(
  inputs: readonly TraceInput[],
  state: Map<string, Tensor>,
  run: () => Record<string, Tensor>,
): Trace {
  const parameterNames = new Map<Tensor, string>([...state].map(([name, t]) => [t, name]));
  const ids = new Map<Tensor, number>();
  const values: TracedValue[] = [];
  const nodes: TracedNode[] = [];
  const add = (t: Tensor, source: ValueSource, data?: TypedArray): number => {
    ids.set(t, values.length);
    values.push({ shape: [...t.shape], dtype: t.dtype, source, ...(data ? { data } : {}) });
    return values.length - 1;
  };
  const idOf = (t: Tensor): number => {
    const known = ids.get(t);
    if (known !== undefined) return known;
    const name = parameterNames.get(t);
    return name !== undefined
      ? add(t, { kind: 'parameter', name, tensor: t })
      : add(t, { kind: 'captured', data: t.data() });
  };
  for (const input of inputs) {
    if (ids.has(input.tensor))
      throw new ExportError(`trace: input '${input.name}' is the same tensor as another input`);
    add(input.tensor, { kind: 'input', name: input.name });
  }
  const observer: OpObserver = (record) => {
    const inputIds = record.inputs.map((t) => (t === null ? null : idOf(t)));
    const created = record.inputs.length === 0;
    const outputIds = record.outputs.map((t) => add(t, { kind: 'op' }, created ? t.data() : undefined));
    nodes.push({ op: record.op, inputs: inputIds, attrs: record.attrs, outputs: outputIds } as TracedNode);
  };
  const outputs = scope(() => {
    const result = noGrad(() => observeOps(observer, run));
    return Object.entries(result).map(([name, t]) => {
      if (!(t instanceof Tensor)) throw new ExportError(`trace: output '${name}' is not a Tensor`);
      return { name, id: idOf(t) };
    });
  });
  return { values, nodes, inputs: inputs.map((_, i) => i), outputs };
}

/** The values an export bakes in for a traced value: a captured tensor's, or an op's without tensor inputs. */
export function bakedData(value: TracedValue): TypedArray | undefined {
  return value.source.kind === 'captured' ? value.source.data : value.data;
}

/** How many times each value is read by a node or returned as an output. */
export function useCounts(trace: Trace): number[] {
  const counts = new Array<number>(trace.values.length).fill(0);
  for (const node of trace.nodes) for (const id of node.inputs) if (id !== null) counts[id]! += 1;
  for (const output of trace.outputs) counts[output.id]! += 1;
  return counts;
}
