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

function describe(value: unknown): string {
  if (value instanceof Tensor)
    return value.isDisposed ? 'disposed tensor' : `${value.dtype}[${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

/** Calls the addon, turning its errors into ShapeError that name the op and its inputs. */
function call(op: string, inputs: unknown[], fn: (addon: NativeAddon) => NativeHandle): Tensor {
  const addon = loadAddon();
  let handle: NativeHandle;
  try {
    handle = fn(addon);
  } catch (error) {
    throw asOpError(op, inputs, error);
  }
  return new Tensor(handle);
}

function asOpError(op: string, inputs: unknown[], error: unknown): Error {
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
  return new ShapeError(`${op}: ${error.message} (inputs: ${inputs.map(describe).join(', ')})`);
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

// ---------------------------------------------------------------- creation

const DEFAULT_ARRAY_DTYPE: Record<string, DType> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  Int32Array: 'int32',
  BigInt64Array: 'int64',
  Uint8Array: 'bool',
};

/** A tensor from a typed array (copied) and a shape; dtype defaults to the array's own. */
export function tensor(data: TypedArray | number[], shape?: readonly number[], dtype?: DType): Tensor {
  const array = Array.isArray(data) ? Float32Array.from(data) : data;
  const kind = DEFAULT_ARRAY_DTYPE[array.constructor.name];
  if (kind === undefined) throw new ShapeError(`tensor: unsupported data type ${array.constructor.name}`);
  const dims = shape ? [...shape] : [array.length];
  const needed = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || needed !== array.length) {
    throw new ShapeError(
      `tensor: shape [${dims.join(', ')}] needs ${needed} elements, data has ${array.length}`,
    );
  }
  return call('tensor', [], (a) => a.fromData(array, dims, dtype ?? kind));
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return call('scalar', [value], (a) => a.full([], value, dtype));
}

export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('zeros', [shape], (a) => a.zeros([...shape], dtype));
export const ones = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('ones', [shape], (a) => a.ones([...shape], dtype));
export const full = (shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor =>
  call('full', [shape, value], (a) => a.full([...shape], value, dtype));
export const randn = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('randn', [shape], (a) => a.randn([...shape], dtype));
export const rand = (shape: readonly number[], dtype: DType = 'float32'): Tensor =>
  call('rand', [shape], (a) => a.rand([...shape], dtype));
export const randperm = (n: number): Tensor => call('randperm', [n], (a) => a.randperm(n));
export const arange = (start: number, end: number, step = 1, dtype: DType = 'float32'): Tensor =>
  call('arange', [start, end, step], (a) => a.arange(start, end, step, dtype));

export const detach = (x: Tensor): Tensor => call('detach', [x], (a) => a.detach(h(x)));
export const clone = (x: Tensor): Tensor => call('clone', [x], (a) => a.clone(h(x)));
export const contiguous = (x: Tensor): Tensor => call('contiguous', [x], (a) => a.contiguous(h(x)));
export const toDtype = (x: Tensor, dtype: DType): Tensor =>
  call('toDtype', [x, dtype], (a) => a.toDtype(h(x), dtype));

// ---------------------------------------------------------------- elementwise

export const add = (x: Tensor, y: Operand): Tensor => call('add', [x, y], (a) => a.add(h(x), operand(y)));
export const sub = (x: Tensor, y: Operand): Tensor => call('sub', [x, y], (a) => a.sub(h(x), operand(y)));
export const mul = (x: Tensor, y: Operand): Tensor => call('mul', [x, y], (a) => a.mul(h(x), operand(y)));
export const div = (x: Tensor, y: Operand): Tensor => call('div', [x, y], (a) => a.div(h(x), operand(y)));
export const pow = (x: Tensor, y: Operand): Tensor => call('pow', [x, y], (a) => a.pow(h(x), operand(y)));
export const maximum = (x: Tensor, y: Tensor): Tensor =>
  call('maximum', [x, y], (a) => a.maximum(h(x), h(y)));
export const minimum = (x: Tensor, y: Tensor): Tensor =>
  call('minimum', [x, y], (a) => a.minimum(h(x), h(y)));
export const eq = (x: Tensor, y: Operand): Tensor => call('eq', [x, y], (a) => a.eq(h(x), operand(y)));
export const gt = (x: Tensor, y: Operand): Tensor => call('gt', [x, y], (a) => a.gt(h(x), operand(y)));
export const ge = (x: Tensor, y: Operand): Tensor => call('ge', [x, y], (a) => a.ge(h(x), operand(y)));
export const lt = (x: Tensor, y: Operand): Tensor => call('lt', [x, y], (a) => a.lt(h(x), operand(y)));
export const le = (x: Tensor, y: Operand): Tensor => call('le', [x, y], (a) => a.le(h(x), operand(y)));

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
    call(name, [x], (a) => a[name](h(x)));

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
  call('clamp', [x, min, max], (a) => a.clamp(h(x), min, max));
export const where = (condition: Tensor, x: Tensor, y: Tensor): Tensor =>
  call('where', [condition, x, y], (a) => a.where(h(condition), h(x), h(y)));
export const softmax = (x: Tensor, dim: number): Tensor =>
  call('softmax', [x, dim], (a) => a.softmax(h(x), dim));
export const logSoftmax = (x: Tensor, dim: number): Tensor =>
  call('logSoftmax', [x, dim], (a) => a.logSoftmax(h(x), dim));

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
  const inChannels = x.shape[1]!;
  if (inChannels !== weight.shape[1]! * groups) {
    throw new ShapeError(
      `conv1d: input has ${inChannels} channels but weight expects ${weight.shape[1]! * groups} ` +
        `(weight [${weight.shape.join(', ')}], groups ${groups})`,
    );
  }
  return call('conv1d', [x, weight, bias, options], (a) =>
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
  return call('batchNorm', [x, args.weight, args.runningMean], (a) =>
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
  call('layerNorm', [x, normalizedShape, weight], (a) =>
    a.layerNorm(h(x), [...normalizedShape], hOpt(weight), hOpt(bias), eps),
  );

/** y = x W^T + b. Shape: x [..., in], weight [out, in] -> [..., out]. */
export const linear = (x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor =>
  call('linear', [x, weight, bias], (a) => a.linear(h(x), h(weight), hOpt(bias)));
export const matmul = (x: Tensor, y: Tensor): Tensor => call('matmul', [x, y], (a) => a.matmul(h(x), h(y)));
export const bmm = (x: Tensor, y: Tensor): Tensor => call('bmm', [x, y], (a) => a.bmm(h(x), h(y)));

export interface PoolOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
}

/** Lout = floor((L + 2*padding - kernel) / stride) + 1 (ceil with ceilMode). */
export const avgPool1d = (
  x: Tensor,
  kernel: number,
  options: PoolOptions & { countIncludePad?: boolean } = {},
): Tensor =>
  call('avgPool1d', [x, kernel], (a) =>
    a.avgPool1d(
      h(x),
      kernel,
      options.stride ?? kernel,
      options.padding ?? 0,
      options.ceilMode ?? false,
      options.countIncludePad ?? true,
    ),
  );
/** Lout = floor((L + 2*padding - dilation*(kernel-1) - 1) / stride) + 1. */
export const maxPool1d = (
  x: Tensor,
  kernel: number,
  options: PoolOptions & { dilation?: number } = {},
): Tensor =>
  call('maxPool1d', [x, kernel], (a) =>
    a.maxPool1d(
      h(x),
      kernel,
      options.stride ?? kernel,
      options.padding ?? 0,
      options.dilation ?? 1,
      options.ceilMode ?? false,
    ),
  );
export const adaptiveAvgPool1d = (x: Tensor, outputSize: number): Tensor =>
  call('adaptiveAvgPool1d', [x, outputSize], (a) => a.adaptiveAvgPool1d(h(x), outputSize));
export const adaptiveMaxPool1d = (x: Tensor, outputSize: number): Tensor =>
  call('adaptiveMaxPool1d', [x, outputSize], (a) => a.adaptiveMaxPool1d(h(x), outputSize));

export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: p must be in [0, 1), got ${p}`);
  return call('dropout', [x, p], (a) => a.dropout(h(x), p, training));
}

/** Rows of weight [num, dim] at int64 indices; paddingIdx -1 for none. */
export const embedding = (weight: Tensor, indices: Tensor, paddingIdx = -1): Tensor =>
  call('embedding', [weight, indices], (a) => a.embedding(h(weight), h(indices), paddingIdx));

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
    throw asOpError('lstm', [input, args.h0, args.c0], error);
  }
  return { output: new Tensor(handles[0]), h: new Tensor(handles[1]), c: new Tensor(handles[2]) };
}

// ---------------------------------------------------------------- shape

export const cat = (xs: Tensor[], dim: number): Tensor =>
  call('cat', [xs, dim], (a) => a.cat(xs.map(h), dim));
export const stack = (xs: Tensor[], dim: number): Tensor =>
  call('stack', [xs, dim], (a) => a.stack(xs.map(h), dim));
export const reshape = (x: Tensor, shape: readonly number[]): Tensor =>
  call('reshape', [x, shape], (a) => a.reshape(h(x), [...shape]));
export const transpose = (x: Tensor, dim0: number, dim1: number): Tensor =>
  call('transpose', [x, dim0, dim1], (a) => a.transpose(h(x), dim0, dim1));
export const permute = (x: Tensor, dims: readonly number[]): Tensor =>
  call('permute', [x, dims], (a) => a.permute(h(x), [...dims]));
export const expand = (x: Tensor, shape: readonly number[]): Tensor =>
  call('expand', [x, shape], (a) => a.expand(h(x), [...shape]));
export const squeeze = (x: Tensor, dim: number): Tensor =>
  call('squeeze', [x, dim], (a) => a.squeeze(h(x), dim));
export const unsqueeze = (x: Tensor, dim: number): Tensor =>
  call('unsqueeze', [x, dim], (a) => a.unsqueeze(h(x), dim));
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor =>
  call('flatten', [x, startDim, endDim], (a) => a.flatten(h(x), startDim, endDim));
/** Elements start..end-1 (step) along dim, as a view. */
export const slice = (x: Tensor, dim: number, start: number, end: number, step = 1): Tensor =>
  call('slice', [x, dim, start, end, step], (a) => a.slice(h(x), dim, start, end, step));
export const indexSelect = (x: Tensor, dim: number, index: Tensor): Tensor =>
  call('indexSelect', [x, dim, index], (a) => a.indexSelect(h(x), dim, h(index)));
export const gather = (x: Tensor, dim: number, index: Tensor): Tensor =>
  call('gather', [x, dim, index], (a) => a.gather(h(x), dim, h(index)));
/** pads as torch.nn.functional.pad: [left, right] for the last dimension, then the one before. */
export const pad = (
  x: Tensor,
  pads: readonly number[],
  mode: 'constant' | 'reflect' | 'replicate' = 'constant',
  value = 0,
): Tensor => call('pad', [x, pads, mode], (a) => a.pad(h(x), [...pads], mode, value));

// ---------------------------------------------------------------- reductions

const dimsOf = (dims: number | readonly number[] | null | undefined): number[] | null =>
  dims === null || dims === undefined ? null : typeof dims === 'number' ? [dims] : [...dims];

export const sum = (x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor =>
  call('sum', [x, dims], (a) => a.sum(h(x), dimsOf(dims), keepdim));
export const mean = (x: Tensor, dims?: number | readonly number[] | null, keepdim = false): Tensor =>
  call('mean', [x, dims], (a) => a.mean(h(x), dimsOf(dims), keepdim));
export const variance = (
  x: Tensor,
  dims?: number | readonly number[] | null,
  unbiased = true,
  keepdim = false,
): Tensor => call('var', [x, dims], (a) => a.var(h(x), dimsOf(dims), unbiased, keepdim));
export const max = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('max', [x, dim], (a) => a.max(h(x), dim, keepdim));
export const min = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('min', [x, dim], (a) => a.min(h(x), dim, keepdim));
export const argmax = (x: Tensor, dim: number | null = null, keepdim = false): Tensor =>
  call('argmax', [x, dim], (a) => a.argmax(h(x), dim, keepdim));

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
  return call('bceWithLogits', [logits, target], (a) =>
    a.bceWithLogits(
      h(logits),
      h(target),
      hOpt(options.weight),
      hOpt(options.posWeight),
      options.reduction ?? 'mean',
    ),
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
  return call('crossEntropy', [logits, target], (a) =>
    a.crossEntropy(
      h(logits),
      h(target),
      hOpt(options.weight),
      options.reduction ?? 'mean',
      options.ignoreIndex ?? -100,
      options.labelSmoothing ?? 0,
    ),
  );
}

export const mseLoss = (x: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor =>
  call('mseLoss', [x, y], (a) => a.mseLoss(h(x), h(y), reduction));
