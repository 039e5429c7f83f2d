/**
 * The engine's LSTM (PyTorch layout) as one ONNX LSTM node per layer.
 * PyTorch stacks the gates i, f, g, o; ONNX i, o, f, c (c = PyTorch's g), so the weight rows are reordered.
 * ONNX runs sequence-first ([seq, batch, input]); Y comes out as [seq, directions, batch, hidden] and is brought back
 * to PyTorch's [seq, batch, directions * hidden] (or batch-first) with Transpose + Reshape.
 */
import type { TypedArray } from '../../engine/binding.js';
import type { NodeContext } from './context.js';

/** Source gate block for each ONNX gate position (i, o, f, c <- PyTorch i, f, g, o). */
const ONNX_GATE_FROM_TORCH = [0, 3, 1, 2] as const;

function reorderGates(data: TypedArray, rowsPerGate: number, columns: number): Float32Array | Float64Array {
  const out = data instanceof Float64Array ? new Float64Array(data.length) : new Float32Array(data.length);
  const block = rowsPerGate * columns;
  ONNX_GATE_FROM_TORCH.forEach((source, target) => {
    out.set((data as Float32Array).subarray(source * block, (source + 1) * block), target * block);
  });
  return out;
}

function concatArrays(parts: Array<Float32Array | Float64Array>): Float32Array | Float64Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = parts[0] instanceof Float64Array ? new Float64Array(total) : new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function convertLstm(c: NodeContext<'lstm'>): void {
  const { numLayers, bidirectional, batchFirst, hasBiases } = c.attrs;
  const directions = bidirectional ? 2 : 1;
  const perDirection = hasBiases ? 4 : 2;
  const hidden = c.inputShape(4)[1]!;
  const dtype = c.inputDtype(0);
  // Always run sequence-first inside the graph.
  let sequence = batchFirst ? c.g.op('Transpose', [c.input(0)], { perm: { ints: [1, 0, 2] } }) : c.input(0);
  const finalH: string[] = [];
  const finalC: string[] = [];
  for (let layer = 0; layer < numLayers; layer++) {
    const W: Array<Float32Array | Float64Array> = [];
    const R: Array<Float32Array | Float64Array> = [];
    const B: Array<Float32Array | Float64Array> = [];
    let inputSize = 0;
    for (let d = 0; d < directions; d++) {
      const first = 3 + (layer * directions + d) * perDirection;
      inputSize = c.inputShape(first)[1]!;
      W.push(reorderGates(weights(c, first), hidden, inputSize));
      R.push(reorderGates(weights(c, first + 1), hidden, hidden));
      // Without biases, zeros of the weights' dtype (a float64 LSTM needs float64 zeros).
      const zeros = (): Float32Array | Float64Array =>
        dtype === 'float64' ? new Float64Array(4 * hidden) : new Float32Array(4 * hidden);
      const biases = hasBiases
        ? [reorderGates(weights(c, first + 2), hidden, 1), reorderGates(weights(c, first + 3), hidden, 1)]
        : [zeros(), zeros()];
      B.push(concatArrays(biases));
    }
    const name = (part: string): string => `/lstm.${part}_l${layer}`;
    const inputs = [
      sequence,
      c.g.initializer(name('W'), dtype, [directions, 4 * hidden, inputSize], concatArrays(W)),
      c.g.initializer(name('R'), dtype, [directions, 4 * hidden, hidden], concatArrays(R)),
      c.g.initializer(name('B'), dtype, [directions, 8 * hidden], concatArrays(B)),
      '',
      initialState(c, 1, layer, directions),
      initialState(c, 2, layer, directions),
    ];
    const y = c.g.unique(name('Y'));
    const yH = c.g.unique(name('Y_h'));
    const yC = c.g.unique(name('Y_c'));
    c.g.node('LSTM', inputs, [y, yH, yC], {
      hidden_size: { int: hidden },
      direction: { string: bidirectional ? 'bidirectional' : 'forward' },
    });
    // [seq, dirs, batch, hidden] -> [seq, batch, dirs * hidden]
    const seqBatch = c.g.op('Transpose', [y], { perm: { ints: [0, 2, 1, 3] } });
    sequence = c.g.op('Reshape', [seqBatch, c.g.int64s([0, 0, -1])]);
    finalH.push(yH);
    finalC.push(yC);
  }
  if (batchFirst) c.g.node('Transpose', [sequence], [c.output(0)], { perm: { ints: [1, 0, 2] } });
  else c.alias(0, sequence);
  c.g.node('Concat', finalH, [c.output(1)], { axis: { int: 0 } });
  c.g.node('Concat', finalC, [c.output(2)], { axis: { int: 0 } });
}

function weights(c: NodeContext<'lstm'>, input: number): TypedArray {
  const data = c.constantInput(input);
  if (data === null) c.fail(`weight input ${input} is not a parameter`);
  return data;
}

/** This layer's slice of h0/c0 ([layers * dirs, batch, hidden]), or none when the forward made zeros itself. */
function initialState(c: NodeContext<'lstm'>, input: number, layer: number, directions: number): string {
  if (c.isCreatedConstant(input) && isAllZero(c.constantInput(input))) return '';
  const bounds = [c.g.int64s([layer * directions]), c.g.int64s([(layer + 1) * directions]), c.g.int64s([0])];
  return c.g.op('Slice', [c.input(input), ...bounds]);
}

function isAllZero(data: TypedArray | null): boolean {
  return data !== null && Array.prototype.every.call(data, (v: number | bigint) => Number(v) === 0);
}
