/**
 * Engine op -> ONNX (opset 17) nodes, one entry per op. Ops missing from the table (losses, random ops, var) make
 * the export fail with an ExportError naming them.
 */
import type { DType } from '../../engine/binding.js';
import type { OpAttributes, OpName } from '../../engine/ops.js';
import type { NodeContext } from './context.js';
import { ONNX_DTYPE, tensorProto, typedArrayOf, type Attribute } from './graph.js';
import { convertLstm } from './lstm.js';

type Converter<K extends OpName> = (c: NodeContext<K>) => void;
/**
 * How an op exports: its converter, and the attributes it may see at different values in the example and probe
 * traces because it turns them into size-following ONNX (any other difference fails the export).
 */
export interface OpExport<K extends OpName> {
  convert: Converter<K>;
  sizeDependent?: ReadonlyArray<keyof OpAttributes[K]>;
}
const sizeFollowing = <K extends OpName>(
  convert: Converter<K>,
  ...sizeDependent: Array<keyof OpAttributes[K]>
): OpExport<K> => ({ convert, sizeDependent });
type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'eq' | 'gt' | 'ge' | 'lt' | 'le';
type UnaryOp = Extract<OpName, 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'sigmoid' | 'relu' | 'tanh'>;

/** "To the end" of a Slice: 2^63 as a double, written as int64 9223372036854775807 (typedArrayOf saturates). */
const INT64_MAX = 2 ** 63;

/** Rank-normalised axis. */
const axis = (dim: number, rank: number): number => (dim < 0 ? dim + rank : dim);

const PROMOTION: readonly DType[] = ['bool', 'int32', 'int64', 'float32', 'float64'];
const promote = (a: DType, b: DType): DType => (PROMOTION.indexOf(a) >= PROMOTION.indexOf(b) ? a : b);

/** Identity values of scalar operands, which an export drops (e.g. Dropout's eval-mode x * 1). */
const NEUTRAL: Partial<Record<BinaryOp, number>> = { add: 0, sub: 0, mul: 1, div: 1, pow: 1 };
const BINARY_ONNX: Record<BinaryOp, string> = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  eq: 'Equal',
  gt: 'Greater',
  ge: 'GreaterOrEqual',
  lt: 'Less',
  le: 'LessOrEqual',
};

const ARITHMETIC = new Set<BinaryOp>(['add', 'sub', 'mul', 'div', 'pow']);

/** Arithmetic whose ONNX form would compute something else than the engine: refused, not exported wrongly. */
function checkFaithful(c: NodeContext<BinaryOp>, dtype: string): void {
  const float = dtype === 'float32' || dtype === 'float64';
  if (c.op === 'div' && !float)
    c.fail(
      `${dtype} division: the engine divides exactly (a float result), ONNX Div truncates; cast to float first`,
    );
  if (dtype === 'bool' && ARITHMETIC.has(c.op))
    c.fail(`arithmetic on bool tensors has no ONNX form; cast first`);
}

function binary(c: NodeContext<BinaryOp>): void {
  const other = c.attrs.other;
  const xType = c.inputDtype(0);
  if (other !== undefined) {
    checkFaithful(c, xType);
    if (NEUTRAL[c.op] === other) return c.alias(0, c.input(0));
    if (xType !== 'float32' && xType !== 'float64' && !Number.isInteger(other)) {
      c.fail(`a non-integer scalar ${other} with a ${xType} tensor`);
    }
    c.g.node(BINARY_ONNX[c.op], [c.input(0), c.g.constant(xType, [], [other])], [c.output(0)]);
    return;
  }
  // Arithmetic computes in the engine's result dtype (torch's promotion: float32 + a 0-d float64 stays float32);
  // comparisons, whose result is bool, in the wider input dtype.
  const common = ARITHMETIC.has(c.op) ? c.outputDtype(0) : promote(xType, c.inputDtype(1));
  checkFaithful(c, common);
  const cast = (i: number): string =>
    c.inputDtype(i) === common
      ? c.input(i)
      : c.g.op('Cast', [c.input(i)], { to: { int: ONNX_DTYPE[common] } });
  c.g.node(BINARY_ONNX[c.op], [cast(0), cast(1)], [c.output(0)]);
}

const unary =
  (opType: string): Converter<UnaryOp> =>
  (c) =>
    void c.g.node(opType, [c.input(0)], [c.output(0)]);

const identity: Converter<'detach' | 'clone' | 'contiguous'> = (c) => c.alias(0, c.input(0));

function scalarLike(c: NodeContext, i: number, value: number): string {
  return c.g.constant(c.inputDtype(i), [], [value]);
}

function conv1d(c: NodeContext<'conv1d'>): void {
  const { stride, padding, dilation, groups } = c.attrs;
  const shape = c.inputShape(1);
  const values = c.constantInput(1);
  // A constant weight is re-laid out as [out, in/groups, 1, k] for the 2D convolution (see conv1dAs2d).
  const weight =
    values === null
      ? c.g.op('Unsqueeze', [c.input(1), c.g.int64s([2])])
      : c.g.initializer('conv.weight_2d', c.inputDtype(1), [shape[0]!, shape[1]!, 1, shape[2]!], values);
  conv1dAs2d(c.g, c.input(0), weight, c.has(2) ? c.input(2) : null, c.output(0), {
    kernel: shape[2]!,
    stride,
    padding,
    dilation,
    groups,
  });
}

/**
 * A Conv1d as Unsqueeze -> 1xk Conv (2D) -> Squeeze: onnxruntime's fast CPU convolutions (NCHWc layout, depthwise
 * kernels) apply to 2D convolutions only, and EfficientECG's time goes to its depthwise convolutions.
 */
export function conv1dAs2d(
  g: NodeContext['g'],
  x: string,
  weight4d: string,
  bias: string | null,
  output: string,
  a: { kernel: number; stride: number; padding: number; dilation: number; groups: number },
): void {
  const axes = g.int64s([2]);
  const x4 = g.op('Unsqueeze', [x, axes]);
  const y4 = g.op('Conv', [x4, weight4d, ...(bias ? [bias] : [])], {
    kernel_shape: { ints: [1, a.kernel] },
    strides: { ints: [1, a.stride] },
    pads: { ints: [0, a.padding, 0, a.padding] },
    dilations: { ints: [1, a.dilation] },
    group: { int: a.groups },
  });
  g.node('Squeeze', [y4, axes], [output]);
}

function batchNorm(c: NodeContext<'batchNorm'>): void {
  if (c.attrs.training) c.fail('batch statistics (training mode) cannot be exported; call model.eval()');
  if (!c.has(3) || !c.has(4)) c.fail('needs running statistics to be exported');
  const channels = c.inputShape(0)[1]!;
  const scale = c.has(1)
    ? c.input(1)
    : c.g.constant(c.inputDtype(0), [channels], new Array(channels).fill(1));
  const shift = c.has(2)
    ? c.input(2)
    : c.g.constant(c.inputDtype(0), [channels], new Array(channels).fill(0));
  c.g.node('BatchNormalization', [c.input(0), scale, shift, c.input(3), c.input(4)], [c.output(0)], {
    epsilon: { float: c.attrs.eps },
  });
}

function layerNorm(c: NodeContext<'layerNorm'>): void {
  const { normalizedShape, eps } = c.attrs;
  const count = normalizedShape.reduce((a, b) => a * b, 1);
  const fill = (i: number, v: number): string =>
    c.has(i) ? c.input(i) : c.g.constant(c.inputDtype(0), normalizedShape, new Array(count).fill(v));
  c.g.node('LayerNormalization', [c.input(0), fill(1, 1), fill(2, 0)], [c.output(0)], {
    axis: { int: -normalizedShape.length },
    epsilon: { float: eps },
  });
}

function linear(c: NodeContext<'linear'>): void {
  if (c.inputShape(0).length === 2) {
    const inputs = [c.input(0), c.input(1), ...(c.has(2) ? [c.input(2)] : [])];
    c.g.node('Gemm', inputs, [c.output(0)], { transB: { int: 1 } });
    return;
  }
  const weightT = c.g.op('Transpose', [c.input(1)], { perm: { ints: [1, 0] } });
  if (!c.has(2)) return void c.g.node('MatMul', [c.input(0), weightT], [c.output(0)]);
  c.g.node('Add', [c.g.op('MatMul', [c.input(0), weightT]), c.input(2)], [c.output(0)]);
}

function reduce(opType: string, keepdimDefault: boolean) {
  return (c: NodeContext<'mean' | 'max' | 'min'>): void => {
    const rank = c.inputShape(0).length;
    const raw = 'dims' in c.attrs ? c.attrs.dims : c.attrs.dim === null ? null : [c.attrs.dim];
    const keepdims = { int: (raw === null ? keepdimDefault : c.attrs.keepdim) ? 1 : 0 };
    const attributes: Record<string, Attribute> =
      raw === null ? { keepdims } : { keepdims, axes: { ints: raw.map((d) => axis(d, rank)) } };
    c.g.node(opType, [c.input(0)], [c.output(0)], attributes);
  };
}

function sum(c: NodeContext<'sum'>): void {
  const rank = c.inputShape(0).length;
  const { dims, keepdim } = c.attrs;
  const inputs = dims === null ? [c.input(0)] : [c.input(0), c.g.int64s(dims.map((d) => axis(d, rank)))];
  c.g.node('ReduceSum', inputs, [c.output(0)], { keepdims: { int: dims !== null && keepdim ? 1 : 0 } });
}

function argmax(c: NodeContext<'argmax'>): void {
  const { dim, keepdim } = c.attrs;
  if (dim === null) {
    const flat = c.g.op('Reshape', [c.input(0), c.g.int64s([-1])]);
    return void c.g.node('ArgMax', [flat], [c.output(0)], { axis: { int: 0 }, keepdims: { int: 0 } });
  }
  c.g.node('ArgMax', [c.input(0)], [c.output(0)], { axis: { int: dim }, keepdims: { int: keepdim ? 1 : 0 } });
}

function adaptivePool(opType: string) {
  return (c: NodeContext<'adaptiveAvgPool1d' | 'adaptiveMaxPool1d'>): void => {
    if (c.attrs.outputSize !== 1)
      c.fail(`output size ${c.attrs.outputSize} (only 1, global pooling, is exportable)`);
    c.g.node(opType, [c.input(0)], [c.output(0)], { axes: { ints: [-1] }, keepdims: { int: 1 } });
  };
}

function creation(c: NodeContext<'tensor' | 'scalar' | 'zeros' | 'ones' | 'full' | 'arange'>): void {
  const shape = c.outputShape(0);
  const probe = c.probeOutputShape(0);
  const dtype = c.outputDtype(0);
  const staticShape = shape.join() === probe.join();
  if (staticShape) {
    // The traced values (kept by the tracer) become an initializer.
    return c.alias(0, c.g.initializer('/constant', dtype, shape, c.constantOutput()));
  }
  if (c.op === 'arange') return arange(c as NodeContext<'arange'>);
  const value =
    c.op === 'zeros' ? 0 : c.op === 'ones' ? 1 : c.op === 'full' ? (c.attrs as { value: number }).value : NaN;
  if (Number.isNaN(value)) c.fail('its shape depends on the input size');
  const shapeTensor = c.shapeTensor(shape, probe, 'create');
  c.g.node('ConstantOfShape', [shapeTensor], [c.output(0)], {
    value: { tensor: tensorProto('value', dtype, [1], typedArrayOf(dtype, [value])) },
  });
}

/** arange(start, end, step) whose end is a size of the input (e.g. positions 0..L-1): Range up to that dimension. */
function arange(c: NodeContext<'arange'>): void {
  const { start, end, step, dtype } = c.attrs;
  if (!Number.isInteger(start) || !Number.isInteger(step) || dtype === 'bool')
    c.fail('its end depends on the input size and its start or step is not an integer');
  const limit =
    c.dimension(end, c.probeAttrs.end) ??
    c.fail('its end depends on the input size and matches no dimension in the graph');
  // Integer positions, exact in int64, then the engine's dtype.
  const scalar = (values: string): string => c.g.op('Squeeze', [values, c.g.int64s([0])]);
  const range = [c.g.constant('int64', [], [start]), scalar(limit), c.g.constant('int64', [], [step])];
  if (dtype === 'int64') return void c.g.node('Range', range, [c.output(0)]);
  c.g.node('Cast', [c.g.op('Range', range)], [c.output(0)], { to: { int: ONNX_DTYPE[dtype] } });
}

function clamp(c: NodeContext<'clamp'>): void {
  const { min, max } = c.attrs;
  const bound = (v: number | null): string => (v === null ? '' : scalarLike(c, 0, v));
  c.g.node('Clip', [c.input(0), bound(min), bound(max)], [c.output(0)]);
}

function reshapeLike(c: NodeContext<'reshape' | 'flatten'>): void {
  const shape = c.shapeTensor(c.outputShape(0), c.probeOutputShape(0), 'reshape', 0);
  c.g.node('Reshape', [c.input(0), shape], [c.output(0)]);
}

function transpose(c: NodeContext<'transpose'>): void {
  const rank = c.inputShape(0).length;
  const perm = [...Array(rank).keys()];
  const [a, b] = [axis(c.attrs.dim0, rank), axis(c.attrs.dim1, rank)];
  [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  c.g.node('Transpose', [c.input(0)], [c.output(0)], { perm: { ints: perm } });
}

function permute(c: NodeContext<'permute'>): void {
  const rank = c.inputShape(0).length;
  c.g.node('Transpose', [c.input(0)], [c.output(0)], {
    perm: { ints: c.attrs.dims.map((d) => axis(d, rank)) },
  });
}

function expand(c: NodeContext<'expand'>): void {
  const shape = c.shapeTensor(c.outputShape(0), c.probeOutputShape(0), 'expand', 0);
  c.g.node('Expand', [c.input(0), shape], [c.output(0)]);
}

function squeeze(c: NodeContext<'squeeze'>): void {
  const rank = c.inputShape(0).length;
  const dim = axis(c.attrs.dim, rank);
  // torch.squeeze(dim) leaves a dimension that is not 1 alone.
  if (c.inputShape(0)[dim] !== 1) return c.alias(0, c.input(0));
  c.g.node('Squeeze', [c.input(0), c.g.int64s([dim])], [c.output(0)]);
}

function unsqueeze(c: NodeContext<'unsqueeze'>): void {
  const dim = axis(c.attrs.dim, c.inputShape(0).length + 1);
  c.g.node('Unsqueeze', [c.input(0), c.g.int64s([dim])], [c.output(0)]);
}

function slice(c: NodeContext<'slice'>): void {
  const rank = c.inputShape(0).length;
  const dim = axis(c.attrs.dim, rank);
  const { start, end, step } = c.attrs;
  if (start !== c.probeAttrs.start) c.fail('its start depends on the input size');
  let stop = c.g.int64s([end]);
  if (end !== c.probeAttrs.end) {
    // "To the end", or up to a size the graph knows (e.g. a position table cut to the ECG's length).
    const toEnd = end >= c.inputShape(0)[dim]! && c.probeAttrs.end >= c.probeInputShape(0)[dim]!;
    const known = toEnd ? c.g.int64s([INT64_MAX]) : c.dimension(end, c.probeAttrs.end);
    stop = known ?? c.fail('its end depends on the input size and matches no dimension in the graph');
  }
  const inputs = [c.input(0), c.g.int64s([start]), stop, c.g.int64s([dim]), c.g.int64s([step])];
  c.g.node('Slice', inputs, [c.output(0)]);
}

function concat(c: NodeContext<'cat' | 'stack'>): void {
  const count = c.op === 'cat' ? c.inputShape(0).length : c.inputShape(0).length + 1;
  const dim = axis(c.attrs.dim, count);
  const inputs: string[] = [];
  for (let i = 0; c.has(i); i++) {
    inputs.push(c.op === 'cat' ? c.input(i) : c.g.op('Unsqueeze', [c.input(i), c.g.int64s([dim])]));
  }
  c.g.node('Concat', inputs, [c.output(0)], { axis: { int: dim } });
}

function pad(c: NodeContext<'pad'>): void {
  const rank = c.inputShape(0).length;
  const { pads, mode, value } = c.attrs;
  // torch lists [left, right] from the last dimension backwards; ONNX all begins, then all ends.
  const begins = new Array<number>(rank).fill(0);
  const ends = new Array<number>(rank).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    begins[rank - 1 - i] = pads[2 * i]!;
    ends[rank - 1 - i] = pads[2 * i + 1]!;
  }
  const inputs = [c.input(0), c.g.int64s([...begins, ...ends]), scalarLike(c, 0, value)];
  c.g.node('Pad', inputs, [c.output(0)], { mode: { string: mode === 'replicate' ? 'edge' : mode } });
}

function pool(c: NodeContext<'avgPool1d' | 'maxPool1d'>): void {
  const a = c.attrs;
  const common = {
    kernel_shape: { ints: [a.kernel] },
    strides: { ints: [a.stride] },
    pads: { ints: [a.padding, a.padding] },
    ceil_mode: { int: a.ceilMode ? 1 : 0 },
  };
  if ('countIncludePad' in a) {
    c.g.node('AveragePool', [c.input(0)], [c.output(0)], {
      ...common,
      count_include_pad: { int: a.countIncludePad ? 1 : 0 },
    });
  } else {
    c.g.node('MaxPool', [c.input(0)], [c.output(0)], { ...common, dilations: { ints: [a.dilation] } });
  }
}

export const CONVERTERS: { [K in OpName]?: Converter<K> | OpExport<K> } = {
  tensor: creation,
  scalar: creation,
  zeros: sizeFollowing<'zeros'>(creation, 'shape'),
  ones: sizeFollowing<'ones'>(creation, 'shape'),
  full: sizeFollowing<'full'>(creation, 'shape'),
  arange: sizeFollowing<'arange'>(creation, 'end'),
  detach: identity,
  clone: identity,
  contiguous: identity,
  toDtype: (c) =>
    void c.g.node('Cast', [c.input(0)], [c.output(0)], { to: { int: ONNX_DTYPE[c.attrs.dtype] } }),
  add: binary,
  sub: binary,
  mul: binary,
  div: binary,
  pow: binary,
  eq: binary,
  gt: binary,
  ge: binary,
  lt: binary,
  le: binary,
  maximum: (c) => void c.g.node('Max', [c.input(0), c.input(1)], [c.output(0)]),
  minimum: (c) => void c.g.node('Min', [c.input(0), c.input(1)], [c.output(0)]),
  neg: unary('Neg'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  abs: unary('Abs'),
  sign: unary('Sign'),
  sigmoid: unary('Sigmoid'),
  relu: unary('Relu'),
  tanh: unary('Tanh'),
  sin: (c) => void c.g.node('Sin', [c.input(0)], [c.output(0)]),
  cos: (c) => void c.g.node('Cos', [c.input(0)], [c.output(0)]),
  erf: (c) => void c.g.node('Erf', [c.input(0)], [c.output(0)]),
  floor: (c) => void c.g.node('Floor', [c.input(0)], [c.output(0)]),
  isnan: (c) => void c.g.node('IsNaN', [c.input(0)], [c.output(0)]),
  logicalNot: (c) => void c.g.node('Not', [c.input(0)], [c.output(0)]),
  log1p: (c) => void c.g.node('Log', [c.g.op('Add', [c.input(0), scalarLike(c, 0, 1)])], [c.output(0)]),
  rsqrt: (c) => void c.g.node('Reciprocal', [c.g.op('Sqrt', [c.input(0)])], [c.output(0)]),
  silu: (c) => void c.g.node('Mul', [c.input(0), c.g.op('Sigmoid', [c.input(0)])], [c.output(0)]),
  // Gelu is an ONNX op only from opset 20: the exact (erf) form, as torch's default.
  gelu: (c) => {
    const x = c.input(0);
    const erf = c.g.op('Erf', [c.g.op('Mul', [x, scalarLike(c, 0, Math.SQRT1_2)])]);
    const half = c.g.op('Mul', [x, scalarLike(c, 0, 0.5)]);
    c.g.node('Mul', [half, c.g.op('Add', [erf, scalarLike(c, 0, 1)])], [c.output(0)]);
  },
  clamp,
  where: (c) => void c.g.node('Where', [c.input(0), c.input(1), c.input(2)], [c.output(0)]),
  softmax: (c) => void c.g.node('Softmax', [c.input(0)], [c.output(0)], { axis: { int: c.attrs.dim } }),
  logSoftmax: (c) => void c.g.node('LogSoftmax', [c.input(0)], [c.output(0)], { axis: { int: c.attrs.dim } }),
  conv1d,
  batchNorm,
  layerNorm,
  linear,
  matmul: (c) => void c.g.node('MatMul', [c.input(0), c.input(1)], [c.output(0)]),
  bmm: (c) => void c.g.node('MatMul', [c.input(0), c.input(1)], [c.output(0)]),
  avgPool1d: pool,
  maxPool1d: pool,
  adaptiveAvgPool1d: adaptivePool('ReduceMean'),
  adaptiveMaxPool1d: adaptivePool('ReduceMax'),
  dropout: (c) => {
    if (c.attrs.training && c.attrs.p > 0)
      c.fail('training-mode dropout cannot be exported; call model.eval()');
    c.alias(0, c.input(0));
  },
  embedding: (c) => void c.g.node('Gather', [c.input(0), c.input(1)], [c.output(0)], { axis: { int: 0 } }),
  lstm: convertLstm,
  cat: concat,
  stack: concat,
  reshape: sizeFollowing<'reshape'>(reshapeLike, 'shape'),
  flatten: reshapeLike,
  transpose,
  permute,
  expand: sizeFollowing(expand, 'shape'),
  squeeze,
  unsqueeze,
  slice: sizeFollowing(slice, 'end'),
  indexSelect: (c) =>
    void c.g.node('Gather', [c.input(0), c.input(1)], [c.output(0)], {
      axis: { int: axis(c.attrs.dim, c.inputShape(0).length) },
    }),
  gather: (c) =>
    void c.g.node('GatherElements', [c.input(0), c.input(1)], [c.output(0)], {
      axis: { int: axis(c.attrs.dim, c.inputShape(0).length) },
    }),
  pad,
  sum,
  mean: reduce('ReduceMean', false),
  max: reduce('ReduceMax', false),
  min: reduce('ReduceMin', false),
  argmax,
};

/** The export spec of an op, or undefined when it has none. */
export function opExport(op: OpName): OpExport<OpName> | undefined {
  const entry = CONVERTERS[op] as Converter<OpName> | OpExport<OpName> | undefined;
  return typeof entry === 'function' ? { convert: entry } : entry;
}
