/**
 * Keeps a network's activations 4-D ([N, C, 1, T]) between its convolutions. Conv1d is exported as Unsqueeze ->
 * 1xk Conv -> Squeeze (conv1dAs2d), so every elementwise op between two convolutions sat between a Squeeze and an
 * Unsqueeze: two copies of the activation per convolution, a fifth of the time in onnxruntime-web's wasm build,
 * where no layout optimiser removes them. This pass runs the ops that do not care about a unit axis (elementwise
 * ops over same-rank tensors and scalars, ReduceMean over the time axis) on the 4-D values, drops an Unsqueeze of
 * a value it already holds in 4-D, and squeezes a value back to 3-D only where an op needs it (under its original
 * name, just before its first such consumer). The arithmetic is unchanged, op for op.
 */
import type onnxProto from 'onnx-proto';
import { onnx } from './graph.js';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** Ops whose output is elementwise in inputs of one shape (or scalars): indifferent to a unit axis. */
const ELEMENTWISE = new Set([
  'Sigmoid',
  'Mul',
  'Add',
  'Sub',
  'Div',
  'Relu',
  'Tanh',
  'Exp',
  'Neg',
  'Erf',
  'Sqrt',
]);

/** The unit axis conv1dAs2d inserts: [N, C, T] -> [N, C, 1, T]. */
const UNIT_AXIS = 2;

export function keepConvolutions4d(
  nodes: readonly NodeProto[],
  initializers: readonly TensorProto[],
  graphOutputs: readonly string[],
): NodeProto[] {
  const constants = new Map(initializers.map((t) => [t.name!, t]));
  const isUnitAxis = (name: string | undefined) => {
    const axes = name === undefined ? null : int64Values(constants.get(name));
    return axes !== null && axes.length === 1 && axes[0] === UNIT_AXIS;
  };
  const isScalar = (name: string) => {
    const dims = (constants.get(name)?.dims ?? null)?.map(Number);
    return dims !== undefined && dims !== null && dims.length <= 1 && dims.every((d) => d === 1);
  };
  // Only a Squeeze of a 1xk Conv's output is an activation of rank 4 (a model's own squeeze may be of rank 3).
  const convOutputs = new Set(nodes.flatMap((n) => (n.opType === 'Conv' ? [n.output![0]!] : [])));
  /** 3-D value name -> the name of the same values in 4-D. */
  const lifted = new Map<string, string>();
  /** Unsqueeze outputs (4-D in the original graph) -> the 4-D value they duplicate. */
  const aliases = new Map<string, string>();
  /** 3-D names whose Squeeze has been emitted. */
  const materialised = new Set<string>();
  const out: NodeProto[] = [];
  /** The unit-axis constant of the Squeezes (the graph builder shares one constant per value). */
  let unitAxes = '';
  let fresh = 0;
  const name4d = (name: string) => `${name}/4d_${fresh++}`;

  const need3d = (name: string) => {
    const four = lifted.get(name);
    if (four === undefined || materialised.has(name)) return;
    out.push({
      opType: 'Squeeze',
      name: `${name}/squeeze`,
      input: [four, unitAxes],
      output: [name],
    });
    materialised.add(name);
  };

  for (const node of nodes) {
    const inputs = node.input ?? [];
    const [first] = inputs;
    if (node.opType === 'Squeeze' && convOutputs.has(first!) && isUnitAxis(inputs[1])) {
      lifted.set(node.output![0]!, first!);
      unitAxes = inputs[1]!;
      continue;
    }
    if (node.opType === 'Unsqueeze' && isUnitAxis(inputs[1]) && lifted.has(first!)) {
      // Its consumers (convolutions) read the 4-D value directly.
      aliases.set(node.output![0]!, lifted.get(first!)!);
      continue;
    }
    const liftable =
      ELEMENTWISE.has(node.opType!) &&
      inputs.some((i) => lifted.has(i)) &&
      inputs.every((i) => lifted.has(i) || isScalar(i));
    if (liftable) {
      const output = node.output![0]!;
      const four = name4d(output);
      out.push({ ...node, input: inputs.map((i) => lifted.get(i) ?? i), output: [four] });
      lifted.set(output, four);
      continue;
    }
    const reduced = reduceOverTime(node, lifted);
    if (reduced) {
      out.push(reduced.node);
      if (reduced.liftedOutput) lifted.set(node.output![0]!, reduced.node.output![0]!);
      continue;
    }
    for (const input of inputs) need3d(input);
    out.push(
      inputs.some((i) => aliases.has(i)) ? { ...node, input: inputs.map((i) => aliases.get(i) ?? i) } : node,
    );
  }
  for (const name of graphOutputs) {
    need3d(name);
    const alias = aliases.get(name);
    if (alias !== undefined)
      out.push({ opType: 'Identity', name: `${name}/identity`, input: [alias], output: [name] });
  }
  return out;
}

/**
 * ReduceMean over the time axis of a 4-D value: axes [2] (or [-1]) of the 3-D op become [3] ([-1]). With keepdims
 * the result stays 4-D; without, reducing axes [2, 3] gives exactly the 3-D op's [N, C].
 */
function reduceOverTime(
  node: NodeProto,
  lifted: Map<string, string>,
): { node: NodeProto; liftedOutput: boolean } | null {
  if (node.opType !== 'ReduceMean' || !lifted.has(node.input![0]!) || node.input!.length !== 1) return null;
  const axes = node.attribute?.find((a) => a.name === 'axes')?.ints?.map(Number);
  const keepdims = Number(node.attribute?.find((a) => a.name === 'keepdims')?.i ?? 1) === 1;
  if (!axes || axes.length !== 1 || (axes[0] !== 2 && axes[0] !== -1)) return null;
  const output = node.output![0]!;
  return {
    node: {
      ...node,
      input: [lifted.get(node.input![0]!)!],
      output: [keepdims ? `${output}/4d` : output],
      attribute: [
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: keepdims ? 1 : 0 },
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: keepdims ? [-1] : [2, 3] },
      ],
    },
    liftedOutput: keepdims,
  };
}

function int64Values(t: TensorProto | undefined): number[] | null {
  if (!t?.rawData || t.dataType !== onnx.TensorProto.DataType.INT64) return null;
  const bytes = t.rawData;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}
