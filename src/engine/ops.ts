/**
 * Functional tensor ops: the one place TypeScript calls libtorch for computation. Modules (src/nn) and models are
 * written over these functions only, which keeps a single seam for other backends (e.g. the ONNX tracer).
 * Argument errors become ShapeError naming the op, what it expected and what it got.
 */
import { ShapeError } from '../errors.js';
import { loadAddon, type DType, type NativeAddon, type NativeHandle, type TypedArray } from './binding.js';
import { Tensor } from './tensor.js';

export type { DType } from './binding.js';
export type Reduction = 'mean' | 'sum' | 'none';

type Operand = Tensor | number;

/**
 * Each op's non-tensor attributes, by op name: what an op observer (the ONNX tracer, the MAC counter) sees besides
 * the tensor inputs. Scalar second operands of binary ops appear as `other`.
 */
export interface OpAttributes {
  tensor: { shape: number[]; dtype: DType };
  scalar: { value: number; dtype: DType };
  zeros: { shape: number[]; dtype: DType };
  ones: { shape: number[]; dtype: DType };
  full: { shape: number[]; value: number; dtype: DType };
  randn: { shape: number[]; dtype: DType };
  rand: { shape: number[]; dtype: DType };
  randperm: { n: number };
  arange: { start: number; end: number; step: number; dtype: DType };
  detach: NoAttributes;
  clone: NoAttributes;
  contiguous: NoAttributes;
  toDtype: { dtype: DType };
  add: ScalarOperand;
  sub: ScalarOperand;
  mul: ScalarOperand;
  div: ScalarOperand;
  pow: ScalarOperand;
  maximum: NoAttributes;
  minimum: NoAttributes;
  eq: ScalarOperand;
  gt: ScalarOperand;
  ge: ScalarOperand;
  lt: ScalarOperand;
  le: ScalarOperand;
  neg: NoAttributes;
  exp: NoAttributes;
  log: NoAttributes;
  log1p: NoAttributes;
  sqrt: NoAttributes;
  rsqrt: NoAttributes;
  abs: NoAttributes;
  sign: NoAttributes;
  sigmoid: NoAttributes;
  silu: NoAttributes;
  relu: NoAttributes;
  gelu: NoAttributes;
  tanh: NoAttributes;
  sin: NoAttributes;
  cos: NoAttributes;
  erf: NoAttributes;
  floor: NoAttributes;
  isnan: NoAttributes;
  logicalNot: NoAttributes;
  clamp: { min: number | null; max: number | null };
  where: NoAttributes;
  softmax: { dim: number };
  logSoftmax: { dim: number };
  conv1d: Required<Conv1dOptions>;
  batchNorm: { training: boolean; momentum: number; eps: number };
  layerNorm: { normalizedShape: number[]; eps: number };
  linear: NoAttributes;
  matmul: NoAttributes;
  bmm: NoAttributes;
  avgPool1d: { kernel: number; stride: number; padding: number; ceilMode: boolean; countIncludePad: boolean };
  maxPool1d: { kernel: number; stride: number; padding: number; dilation: number; ceilMode: boolean };
  adaptiveAvgPool1d: { outputSize: number };
  adaptiveMaxPool1d: { outputSize: number };
  dropout: { p: number; training: boolean };
  embedding: { paddingIdx: number };
  lstm: Omit<LstmArgs, 'h0' | 'c0' | 'weights'>;
  cat: { dim: number };
  stack: { dim: number };
  reshape: { shape: number[] };
  transpose: { dim0: number; dim1: number };
  permute: { dims: number[] };
  expand: { shape: number[] };
  squeeze: { dim: number };
  unsqueeze: { dim: number };
  flatten: { startDim: number; endDim: number };
  slice: { dim: number; start: number; end: number; step: number };
  indexSelect: { dim: number };
  gather: { dim: number };
  pad: { pads: number[]; mode: 'constant' | 'reflect' | 'replicate'; value: number };
  sum: { dims: number[] | null; keepdim: boolean };
  mean: { dims: number[] | null; keepdim: boolean };
  var: { dims: number[] | null; unbiased: boolean; keepdim: boolean };
  max: { dim: number | null; keepdim: boolean };
  min: { dim: number | null; keepdim: boolean };
  argmax: { dim: number | null; keepdim: boolean };
  bceWithLogits: { reduction: Reduction };
  crossEntropy: { reduction: Reduction; ignoreIndex: number; labelSmoothing: number };
  mseLoss: { reduction: Reduction };
}
export type OpName = keyof OpAttributes;
type NoAttributes = Record<string, never>;
type ScalarOperand = { other?: number };

/** One op call: tensor inputs in the op's positional order (null for an absent optional one), attributes, outputs. */
export type OpRecord = {
  [K in OpName]: {
    op: K;
    inputs: ReadonlyArray<Tensor | null>;
    attrs: OpAttributes[K];
    outputs: readonly Tensor[];
  };
}[OpName];
export type OpObserver = (record: OpRecord) => void;

const NONE: NoAttributes = Object.freeze({});
// A stack, like scope.ts's, so that observers nest and each realm (worker) has its own; empty costs one length check.
const observers: OpObserver[] = [];

/** Runs fn with observer told about every op call (after it succeeds), in call order. fn must be synchronous. */
export function observeOps<T>(observer: OpObserver, fn: () => T): T {
  observers.push(observer);
  try {
    return fn();
  } finally {
    observers.pop();
  }
}

function notify(record: OpRecord): void {
  for (const observer of observers) observer(record);
}

function describe(value: unknown): string {
  if (value instanceof Tensor)
    return value.isDisposed ? 'disposed tensor' : `${value.dtype}[${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

/** Calls the addon, turning its errors into ShapeError that name the op and its inputs. */
function call<K extends OpName>(
  op: K,
  inputs: ReadonlyArray<Tensor | null>,
  attrs: OpAttributes[K],
  fn: (addon: NativeAddon) => NativeHandle,
): Tensor {
  const addon = loadAddon();
  let handle: NativeHandle;
  try {
    handle = fn(addon);
  } catch (error) {
    throw asOpError(op, inputs, attrs, error);
  }
  const output = new Tensor(handle);
  if (observers.length !== 0) notify({ op, inputs, attrs, outputs: [output] } as OpRecord);
  return output;
}

function asOpError(op: string, inputs: ReadonlyArray<unknown>, attrs: object, error: unknown): Error {
  if (
    !(error instanceof Error) ||
    error.name === 'DisposedError' ||
    error.name === 'EngineUnavailableError'
  ) {
    return error as Error;
  }
  if (error.message === 'tensor was disposed') {
    return new ShapeError(`${op}: an input tensor was disposed`);
  }
  const described = [
    ...inputs.map(describe),
    ...Object.entries(attrs).map(([name, value]) => `${name}=${describe(value)}`),
  ];
  return new ShapeError(`${op}: ${error.message} (inputs: ${described.join(', ')})`);
}

function h(x: Tensor): NativeHandle {
  return x.handle;
}

function hOpt(x: Tensor | null | undefined): NativeHandle | null {
  return x ? x.handle : null;
}

function operand(x: Operand): NativeHandle | number {
  return typeof x === 'number' ? x : x.handle;
}

function expectRank(op: string, name: string, x: Tensor, ranks: number[], layout: string): void {
  if (!ranks.includes(x.rank)) {
    throw new ShapeError(`${op}: ${name} must be ${layout}, got shape [${x.shape.join(', ')}]`);
  }
}

const MAX_INT32 = 2 ** 31 - 1;

/** `value` as a safe integer in [min, 2^31 - 1], or a ShapeError naming the op and the argument. */
function expectInt(op: string, name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > MAX_INT32)
    throw new ShapeError(`${op}: ${name} must be an integer in [${min}, ${MAX_INT32}], got ${value}`);
}

/**
 * libtorch 1.13 overflows on huge windows (a dilation of 2^62 returns the input unchanged, a pooling kernel of 2^62
 * spins forever): the window must be in range and fit the padded length. In pooling's ceil mode libtorch keeps a
 * last window that runs past the padded end (up to stride - 1 samples), so there it needs only one output window:
 * floor((length + 2*padding - span + stride - 1) / stride) >= 0.
 */
function expectWindow(
  op: string,
  length: number,
  w: { kernel: number; stride: number; padding: number; dilation: number; ceilMode?: boolean },
): void {
  expectInt(op, 'kernel', w.kernel, 1);
  expectInt(op, 'stride', w.stride, 1);
  expectInt(op, 'padding', w.padding, 0);
  expectInt(op, 'dilation', w.dilation, 1);
  const span = w.dilation * (w.kernel - 1) + 1;
  const overhang = w.ceilMode ? w.stride - 1 : 0;
  if (span > length + 2 * w.padding + overhang)
    throw new ShapeError(
      `${op}: the window (kernel ${w.kernel}, dilation ${w.dilation}) spans ${span} samples, ` +
        `more than the length ${length} plus padding 2*${w.padding}` +
        (w.ceilMode ? ` plus stride - 1 (${overhang}, ceil mode)` : ''),
    );
}

// ---------------------------------------------------------------- creation

const DEFAULT_ARRAY_DTYPE: Record<string, DType> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  Int32Array: 'int32',
  BigInt64Array: 'int64',
  Uint8Array: 'bool',
};

/**
 * The dtype a typed array makes by default (a Uint8Array makes bool; with another dtype its bytes are read as
 * numbers 0..255), undefined for arrays the engine does not take.
 */
export function arrayDtype(array: TypedArray): DType | undefined {
  return DEFAULT_ARRAY_DTYPE[array.constructor.name];
}

/**
 * A plain number list in an array that holds `dtype` exactly: through float32 first, float64 data lost its precision
 * and int64 indices above 2^24 changed value. Fractions of integer dtypes are truncated, as torch.tensor does.
 */
function arrayFor(data: readonly number[], dtype: DType | undefined): TypedArray {
  if (dtype === 'float64') return Float64Array.from(data);
  if (dtype === 'int64')
    return BigInt64Array.from(data, (x) => {
      if (!Number.isFinite(x)) throw new ShapeError(`tensor: ${x} is not an int64 value`);
      return BigInt(Math.trunc(x));
    });
  if (dtype === 'int32') return Int32Array.from(data);
  return Float32Array.from(data);
}

/** A tensor from a typed array (copied) or a number list, and a shape; dtype defaults to the array's own. */
export function tensor(data: TypedArray | number[], shape?: readonly number[], dtype?: DType): Tensor {
  const array = Array.isArray(data) ? arrayFor(data, dtype) : data;
  const kind = DEFAULT_ARRAY_DTYPE[array.constructor.name];
  if (kind === undefined) throw new ShapeError(`tensor: unsupported data type ${array.constructor.name}`);
  const dims = shape ? [...shape] : [array.length];
  const needed = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || needed !== array.length) {
    throw new ShapeError(
      `tensor: shape [${dims.join(', ')}] needs ${needed} elements, data has ${array.length}`,
    );
  }
  return call('tensor', [], { shape: dims, dtype: dtype ?? kind }, (a) =>
    a.fromData(array, dims, dtype ?? kind),
  );
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return call('scalar', [], { value, dtype }, (a) => a.full([], value, dtype));
}

export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('zeros', [], { shape: [...shape], dtype }, (a) => a.zeros([...shape], dtype));
export const ones = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('ones', [], { shape: [...shape], dtype }, (a) => a.ones([...shape], dtype));
export const full = (shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor =>
  call('full', [], { shape: [...shape], value, dtype }, (a) => a.full([...shape], value, dtype));
export const randn = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('randn', [], { shape: [...shape], dtype }, (a) => a.randn([...shape], dtype));
export const rand = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('rand', [], { shape: [...shape], dtype }, (a) => a.rand([...shape], dtype));
export const randperm = (n: number): Tensor => call('randperm', [], { n }, (a) => a.randperm(n));
export const arange = (start: number, end: number, step = 1, dtype: DType = 'float32'): Tensor =>
  call('arange', [], { start, end, step, dtype }, (a) => a.arange(start, end, step, dtype));

export const detach = (x: Tensor): Tensor => call('detach', [x], NONE, (a) => a.detach(h(x)));
export const clone = (x: Tensor): Tensor => call('clone', [x], NONE, (a) => a.clone(h(x)));
export const contiguous = (x: Tensor): Tensor => call('contiguous', [x], NONE, (a) => a.contiguous(h(x)));
export const toDtype = (x: Tensor, dtype: DType): Tensor =>
  call('toDtype', [x], { dtype }, (a) => a.toDtype(h(x), dtype));

// ---------------------------------------------------------------- elementwise

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'eq' | 'gt' | 'ge' | 'lt' | 'le';
/** A scalar second operand is an attribute (`other`), a tensor one an input. */
const binary = (op: BinaryName, x: Tensor, y: Operand, fn: (addon: NativeAddon) => NativeHandle): Tensor =>
  typeof y === 'number' ? call(op, [x], { other: y }, fn) : call(op, [x, y], NONE, fn);

export const add = (x: Tensor, y: Operand): Tensor => binary('add', x, y, (a) => a.add(h(x), operand(y)));
export const sub = (x: Tensor, y: Operand): Tensor => binary('sub', x, y, (a) => a.sub(h(x), operand(y)));
export const mul = (x: Tensor, y: Operand): Tensor => binary('mul', x, y, (a) => a.mul(h(x), operand(y)));
export const div = (x: Tensor, y: Operand): Tensor => binary('div', x, y, (a) => a.div(h(x), operand(y)));
export const pow = (x: Tensor, y: Operand): Tensor => binary('pow', x, y, (a) => a.pow(h(x), operand(y)));
export const maximum = (x: Tensor, y: Tensor): Tensor =>
  call('maximum', [x, y], NONE, (a) => a.maximum(h(x), h(y)));
export const minimum = (x: Tensor, y: Tensor): Tensor =>
  call('minimum', [x, y], NONE, (a) => a.minimum(h(x), h(y)));
export const eq = (x: Tensor, y: Operand): Tensor => binary('eq', x, y, (a) => a.eq(h(x), operand(y)));
export const gt = (x: Tensor, y: Operand): Tensor => binary('gt', x, y, (a) => a.gt(h(x), operand(y)));
export const ge = (x: Tensor, y: Operand): Tensor => binary('ge', x, y, (a) => a.ge(h(x), operand(y)));
export const lt = (x: Tensor, y: Operand): Tensor => binary('lt', x, y, (a) => a.lt(h(x), operand(y)));
export const le = (x: Tensor, y: Operand): Tensor => binary('le', x, y, (a) => a.le(h(x), operand(y)));

type UnaryName =
  | 'neg'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'sigmoid'
  | 'silu'
  | 'relu'
  | 'gelu'
  | 'tanh'
  | 'sin'
  | 'cos'
  | 'erf'
  | 'floor'
  | 'isnan'
  | 'logicalNot';
const unary =
  (name: UnaryName) =>
  (x: Tensor): Tensor =>
    call(name, [x], NONE, (a) => a[name](h(x)));

export const neg = unary('neg');
export const exp = unary('exp');
export const log = unary('log');
export const log1p = unary('log1p');
export const sqrt = unary('sqrt');
export const rsqrt = unary('rsqrt');
export const abs = unary('abs');
export const sign = unary('sign');
export const sigmoid = unary('sigmoid');
export const silu = unary('silu');
export const relu = unary('relu');
export const gelu = unary('gelu');
export const tanh = unary('tanh');
export const sin = unary('sin');
export const cos = unary('cos');
export const erf = unary('erf');
export const floor = unary('floor');
export const isnan = unary('isnan');
export const logicalNot = unary('logicalNot');

export const clamp = (x: Tensor, min: number | null, max: number | null): Tensor =>
  call('clamp', [x], { min, max }, (a) => a.clamp(h(x), min, max));
export const where = (condition: Tensor, x: Tensor, y: Tensor): Tensor =>
  call('where', [condition, x, y], NONE, (a) => a.where(h(condition), h(x), h(y)));
export const softmax = (x: Tensor, dim: number): Tensor =>
  call('softmax', [x], { dim }, (a) => a.softmax(h(x), dim));
export const logSoftmax = (x: Tensor, dim: number): Tensor =>
  call('logSoftmax', [x], { dim }, (a) => a.logSoftmax(h(x), dim));

// ---------------------------------------------------------------- layers

export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

/**
 * 1D convolution. Shape: x [N, Cin, L], weight [Cout, Cin/groups, K], bias [Cout] -> [N, Cout, Lout] with
 * Lout = floor((L + 2*padding - dilation*(K-1) - 1) / stride) + 1.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  expectRank('conv1d', 'input', x, [3], '[batch, channels, length]');
  expectRank('conv1d', 'weight', weight, [3], '[outChannels, inChannels/groups, kernel]');
  expectInt('conv1d', 'groups', groups, 1);
  expectWindow('conv1d', x.shape[2]!, { kernel: weight.shape[2]!, stride, padding, dilation });
  const inChannels = x.shape[1]!;
  if (inChannels !== weight.shape[1]! * groups) {
    throw new ShapeError(
      `conv1d: input has ${inChannels} channels but weight expects ${weight.shape[1]! * groups} ` +
        `(weight [${weight.shape.join(', ')}], groups ${groups})`,
    );
  }
  return call('conv1d', [x, weight, bias], { stride, padding, dilation, groups }, (a) =>
    a.conv1d(h(x), h(weight), hOpt(bias), stride, padding, dilation, groups),
  );
}

export interface BatchNormArgs {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  training: boolean;
  momentum: number;
  eps: number;
}

/** Batch normalisation over dim 1; in training it updates runningMean/runningVar in place (PyTorch semantics). */
export function batchNorm(x: Tensor, args: BatchNormArgs): Tensor {
  if (x.rank < 2)
    throw new ShapeError(
      `batchNorm: input must be [batch, channels, ...] (rank >= 2), got shape [${x.shape.join(', ')}]`,
    );
  return call(
    'batchNorm',
    [x, args.weight, args.bias, args.runningMean, args.runningVar],
    { training: args.training, momentum: args.momentum, eps: args.eps },
    (a) =>
      a.batchNorm(
        h(x),
        hOpt(args.weight),
        hOpt(args.bias),
        hOpt(args.runningMean),
        hOpt(args.runningVar),
        args.training,
        args.momentum,
        args.eps,
      ),
  );
}

export const layerNorm = (
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): Tensor =>
  call('layerNorm', [x, weight, bias], { normalizedShape: [...normalizedShape], eps }, (a) =>
    a.layerNorm(h(x), [...normalizedShape], hOpt(weight), hOpt(bias), eps),
  );

/** y = x W^T + b. Shape: x [..., in], weight [out, in] -> [..., out]. */
export const linear = (x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor =>
  call('linear', [x, weight, bias], NONE, (a) => a.linear(h(x), h(weight), hOpt(bias)));
export const matmul = (x: Tensor, y: Tensor): Tensor =>
  call('matmul', [x, y], NONE, (a) => a.matmul(h(x), h(y)));
export const bmm = (x: Tensor, y: Tensor): Tensor => call('bmm', [x, y], NONE, (a) => a.bmm(h(x), h(y)));

export interface PoolOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
}

/** Pooling takes [channels, length] or [batch, channels, length]; other ranks are left to libtorch's message. */
function expectPoolWindow(
  op: string,
  x: Tensor,
  w: { kernel: number; stride: number; padding: number; dilation: number; ceilMode: boolean },
): void {
  expectWindow(op, x.rank === 2 || x.rank === 3 ? x.shape[x.rank - 1]! : Infinity, w);
}

/** Lout = floor((L + 2*padding - kernel) / stride) + 1 (ceil with ceilMode). */
export const avgPool1d = (
  x: Tensor,
  kernel: number,
  options: PoolOptions & { countIncludePad?: boolean } = {},
): Tensor => {
  const attrs = {
    kernel,
    stride: options.stride ?? kernel,
    padding: options.padding ?? 0,
    ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true,
  };
  expectPoolWindow('avgPool1d', x, { ...attrs, dilation: 1 });
  return call('avgPool1d', [x], attrs, (a) =>
    a.avgPool1d(h(x), kernel, attrs.stride, attrs.padding, attrs.ceilMode, attrs.countIncludePad),
  );
};
/** Lout = floor((L + 2*padding - dilation*(kernel-1) - 1) / stride) + 1. */
export const maxPool1d = (
  x: Tensor,
  kernel: number,
  options: PoolOptions & { dilation?: number } = {},
): Tensor => {
  const attrs = {
    kernel,
    stride: options.stride ?? kernel,
    padding: options.padding ?? 0,
    dilation: options.dilation ?? 1,
    ceilMode: options.ceilMode ?? false,
  };
  expectPoolWindow('maxPool1d', x, attrs);
  return call('maxPool1d', [x], attrs, (a) =>
    a.maxPool1d(h(x), kernel, attrs.stride, attrs.padding, attrs.dilation, attrs.ceilMode),
  );
};
export const adaptiveAvgPool1d = (x: Tensor, outputSize: number): Tensor => {
  expectInt('adaptiveAvgPool1d', 'outputSize', outputSize, 1);
  return call('adaptiveAvgPool1d', [x], { outputSize }, (a) => a.adaptiveAvgPool1d(h(x), outputSize));
};
export const adaptiveMaxPool1d = (x: Tensor, outputSize: number): Tensor => {
  expectInt('adaptiveMaxPool1d', 'outputSize', outputSize, 1);
  return call('adaptiveMaxPool1d', [x], { outputSize }, (a) => a.adaptiveMaxPool1d(h(x), outputSize));
};

export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: p must be in [0, 1), got ${p}`);
  return call('dropout', [x], { p, training }, (a) => a.dropout(h(x), p, training));
}

/** Rows of weight [num, dim] at int64 indices; paddingIdx -1 for none. */
export const embedding = (weight: Tensor, indices: Tensor, paddingIdx = -1): Tensor =>
  call('embedding', [weight, indices], { paddingIdx }, (a) => a.embedding(h(weight), h(indices), paddingIdx));

export interface LstmArgs {
  h0: Tensor;
  c0: Tensor;
  /** Per layer and direction: wIh, wHh, bIh, bHh (PyTorch order). */
  weights: Tensor[];
  hasBiases: boolean;
  numLayers: number;
  dropout: number;
  training: boolean;
  bidirectional: boolean;
  batchFirst: boolean;
}

export function lstm(input: Tensor, args: LstmArgs): { output: Tensor; h: Tensor; c: Tensor } {
  const addon = loadAddon();
  let handles: [NativeHandle, NativeHandle, NativeHandle];
  try {
    handles = addon.lstm(
      h(input),
      h(args.h0),
      h(args.c0),
      args.weights.map(h),
      args.hasBiases,
      args.numLayers,
      args.dropout,
      args.training,
      args.bidirectional,
      args.batchFirst,
    );
  } catch (error) {
    throw asOpError('lstm', [input, args.h0, args.c0], NONE, error);
  }
  const result = { output: new Tensor(handles[0]), h: new Tensor(handles[1]), c: new Tensor(handles[2]) };
  if (observers.length !== 0) {
    const { h0, c0, weights, ...attrs } = args;
    notify({
      op: 'lstm',
      inputs: [input, h0, c0, ...weights],
      attrs,
      outputs: [result.output, result.h, result.c],
    });
  }
  return result;
}

// ---------------------------------------------------------------- shape

export const cat = (xs: Tensor[], dim: number): Tensor =>
  call('cat', xs, { dim }, (a) => a.cat(xs.map(h), dim));
export const stack = (xs: Tensor[], dim: number): Tensor =>
  call('stack', xs, { dim }, (a) => a.stack(xs.map(h), dim));
export const reshape = (x: Tensor, shape: readonly number[]): Tensor =>
  call('reshape', [x], { shape: [...shape] }, (a) => a.reshape(h(x), [...shape]));
export const transpose = (x: Tensor, dim0: number, dim1: number): Tensor =>
  call('transpose', [x], { dim0, dim1 }, (a) => a.transpose(h(x), dim0, dim1));
export const permute = (x: Tensor, dims: readonly number[]): Tensor =>
  call('permute', [x], { dims: [...dims] }, (a) => a.permute(h(x), [...dims]));
export const expand = (x: Tensor, shape: readonly number[]): Tensor =>
  call('expand', [x], { shape: [...shape] }, (a) => a.expand(h(x), [...shape]));
export const squeeze = (x: Tensor, dim: number): Tensor =>
  call('squeeze', [x], { dim }, (a) => a.squeeze(h(x), dim));
export const unsqueeze = (x: Tensor, dim: number): Tensor =>
  call('unsqueeze', [x], { dim }, (a) => a.unsqueeze(h(x), dim));
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor =>
  call('flatten', [x], { startDim, endDim }, (a) => a.flatten(h(x), startDim, endDim));
/** Elements start..end-1 (step) along dim, as a view. */
export const slice = (x: Tensor, dim: number, start: number, end: number, step = 1): Tensor =>
  call('slice', [x], { dim, start, end, step }, (a) => a.slice(h(x), dim, start, end, step));
export const indexSelect = (x: Tensor, dim: number, index: Tensor): Tensor =>
  call('indexSelect', [x, index], { dim }, (a) => a.indexSelect(h(x), dim, h(index)));
export const gather = (x: Tensor, dim: number, index: Tensor): Tensor =>
  call('gather', [x, index], { dim }, (a) => a.gather(h(x), dim, h(index)));
/** pads as torch.nn.functional.pad: [left, right] for the last dimension, then the one before. */
export const pad = (
  x: Tensor,
  pads: readonly number[],
  mode: 'constant' | 'reflect' | 'replicate' = 'constant',
  value = 0,
): Tensor => call('pad', [x], { pads: [...pads], mode, value }, (a) => a.pad(h(x), [...pads], mode, value));

// ---------------------------------------------------------------- reductions

const dimsOf = (dims: number | readonly number[] | null | undefined): number[] | null =>
  dims === null || dims === undefined ? null : typeof dims === 'number' ? [dims] : [...dims];

export const sum = (x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor =>
  call('sum', [x], { dims: dimsOf(dims), keepdim }, (a) => a.sum(h(x), dimsOf(dims), keepdim));
export const mean = (x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor =>
  call('mean', [x], { dims: dimsOf(dims), keepdim }, (a) => a.mean(h(x), dimsOf(dims), keepdim));
export const variance = (
  x: Tensor,
  dims?: number | readonly number[] | null,
  unbiased = true,
  keepdim = false,
): Tensor =>
  call('var', [x], { dims: dimsOf(dims), unbiased, keepdim }, (a) =>
    a.var(h(x), dimsOf(dims), unbiased, keepdim),
  );
export const max = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('max', [x], { dim, keepdim }, (a) => a.max(h(x), dim, keepdim));
export const min = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('min', [x], { dim, keepdim }, (a) => a.min(h(x), dim, keepdim));
export const argmax = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('argmax', [x], { dim, keepdim }, (a) => a.argmax(h(x), dim, keepdim));

// ---------------------------------------------------------------- losses

export interface BceOptions {
  weight?: Tensor | null;
  /** Per-class weight of positives, [classes]: > 1 raises recall on rare classes. */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

export function bceWithLogits(logits: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  if (logits.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      `bceWithLogits: logits [${logits.shape.join(', ')}] and target [${target.shape.join(', ')}] must have the same shape`,
    );
  }
  const reduction = options.reduction ?? 'mean';
  const inputs = [logits, target, options.weight ?? null, options.posWeight ?? null];
  return call('bceWithLogits', inputs, { reduction }, (a) =>
    a.bceWithLogits(h(logits), h(target), hOpt(options.weight), hOpt(options.posWeight), reduction),
  );
}

export interface CrossEntropyOptions {
  /** Per-class weight, [classes]. */
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** logits [N, C(, L)], target int64 class indices [N(, L)] or probabilities shaped like logits. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const attrs = {
    reduction: options.reduction ?? 'mean',
    ignoreIndex: options.ignoreIndex ?? -100,
    labelSmoothing: options.labelSmoothing ?? 0,
  };
  return call('crossEntropy', [logits, target, options.weight ?? null], attrs, (a) =>
    a.crossEntropy(
      h(logits),
      h(target),
      hOpt(options.weight),
      attrs.reduction,
      attrs.ignoreIndex,
      attrs.labelSmoothing,
    ),
  );
}

export const mseLoss = (x: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor =>
  call('mseLoss', [x, y], { reduction }, (a) => a.mseLoss(h(x), h(y), reduction));
