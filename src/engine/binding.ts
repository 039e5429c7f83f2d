/**
 * The exact shape of the native addon (native/*.cc). Nothing else in the project talks to the addon directly:
 * src/engine/tensor.ts and ops.ts wrap it with argument checks, typed errors and scopes.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EngineUnavailableError } from '../errors.js';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** The typed array that holds each dtype's data, at the type level. */
export interface DataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = DataTypeMap[DType];

export interface NativeHandle {
  dispose(): void;
  isDisposed(): boolean;
  shape(): number[];
  dtype(): DType;
  requiresGrad(): boolean;
  setRequiresGrad(value: boolean): void;
  grad(): NativeHandle | null;
  clearGrad(): void;
  nbytes(): number;
  /** Reports the bytes to V8 (once) so that a forgotten handle is collected in time. */
  reportMemory(): void;
}

type H = NativeHandle;
type Operand = H | number;
type Reduction = 'mean' | 'sum' | 'none';

export interface NativeAddon {
  TensorHandle: new () => H;
  buildInfo: { libtorchVersion: string; mkldnn: boolean; parallelInfo: string };
  // creation and reading
  fromData(data: TypedArray, shape: number[], dtype: DType): H;
  toData(x: H): TypedArray;
  item(x: H): number;
  zeros(shape: number[], dtype: DType): H;
  ones(shape: number[], dtype: DType): H;
  full(shape: number[], value: number, dtype: DType): H;
  randn(shape: number[], dtype: DType): H;
  rand(shape: number[], dtype: DType): H;
  randperm(n: number): H;
  arange(start: number, end: number, step: number, dtype: DType): H;
  detach(x: H): H;
  clone(x: H): H;
  contiguous(x: H): H;
  toDtype(x: H, dtype: DType): H;
  // elementwise
  add(a: H, b: Operand): H;
  sub(a: H, b: Operand): H;
  mul(a: H, b: Operand): H;
  div(a: H, b: Operand): H;
  pow(a: H, b: Operand): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  eq(a: H, b: Operand): H;
  gt(a: H, b: Operand): H;
  ge(a: H, b: Operand): H;
  lt(a: H, b: Operand): H;
  le(a: H, b: Operand): H;
  neg(x: H): H;
  exp(x: H): H;
  log(x: H): H;
  log1p(x: H): H;
  sqrt(x: H): H;
  rsqrt(x: H): H;
  abs(x: H): H;
  sign(x: H): H;
  sigmoid(x: H): H;
  silu(x: H): H;
  relu(x: H): H;
  gelu(x: H): H;
  tanh(x: H): H;
  sin(x: H): H;
  cos(x: H): H;
  erf(x: H): H;
  floor(x: H): H;
  isnan(x: H): H;
  logicalNot(x: H): H;
  clamp(x: H, min: number | null, max: number | null): H;
  where(condition: H, a: H, b: H): H;
  softmax(x: H, dim: number): H;
  logSoftmax(x: H, dim: number): H;
  // layers
  conv1d(
    x: H,
    weight: H,
    bias: H | null,
    stride: number,
    padding: number,
    dilation: number,
    groups: number,
  ): H;
  batchNorm(
    x: H,
    weight: H | null,
    bias: H | null,
    runningMean: H | null,
    runningVar: H | null,
    training: boolean,
    momentum: number,
    eps: number,
  ): H;
  layerNorm(x: H, normalizedShape: number[], weight: H | null, bias: H | null, eps: number): H;
  linear(x: H, weight: H, bias: H | null): H;
  matmul(a: H, b: H): H;
  bmm(a: H, b: H): H;
  avgPool1d(
    x: H,
    kernel: number,
    stride: number,
    padding: number,
    ceilMode: boolean,
    countIncludePad: boolean,
  ): H;
  maxPool1d(x: H, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): H;
  adaptiveAvgPool1d(x: H, outputSize: number): H;
  adaptiveMaxPool1d(x: H, outputSize: number): H;
  dropout(x: H, p: number, training: boolean): H;
  embedding(weight: H, indices: H, paddingIdx: number): H;
  lstm(
    input: H,
    h0: H,
    c0: H,
    flatWeights: H[],
    hasBiases: boolean,
    numLayers: number,
    dropout: number,
    training: boolean,
    bidirectional: boolean,
    batchFirst: boolean,
  ): [H, H, H];
  // shape
  cat(xs: H[], dim: number): H;
  stack(xs: H[], dim: number): H;
  reshape(x: H, shape: number[]): H;
  transpose(x: H, dim0: number, dim1: number): H;
  permute(x: H, dims: number[]): H;
  expand(x: H, shape: number[]): H;
  squeeze(x: H, dim: number): H;
  unsqueeze(x: H, dim: number): H;
  flatten(x: H, startDim: number, endDim: number): H;
  slice(x: H, dim: number, start: number, end: number, step: number): H;
  indexSelect(x: H, dim: number, index: H): H;
  gather(x: H, dim: number, index: H): H;
  pad(x: H, pads: number[], mode: 'constant' | 'reflect' | 'replicate', value: number): H;
  // reductions
  sum(x: H, dims: number[] | null, keepdim: boolean): H;
  mean(x: H, dims: number[] | null, keepdim: boolean): H;
  var(x: H, dims: number[] | null, unbiased: boolean, keepdim: boolean): H;
  max(x: H, dim: number | null, keepdim: boolean): H;
  min(x: H, dim: number | null, keepdim: boolean): H;
  argmax(x: H, dim: number | null, keepdim: boolean): H;
  // losses
  bceWithLogits(logits: H, target: H, weight: H | null, posWeight: H | null, reduction: Reduction): H;
  crossEntropy(
    logits: H,
    target: H,
    weight: H | null,
    reduction: Reduction,
    ignoreIndex: number,
    labelSmoothing: number,
  ): H;
  mseLoss(a: H, b: H, reduction: Reduction): H;
  // autograd
  backward(loss: H, gradient: H | null, retainGraph: boolean): void;
  grad(
    outputs: H[],
    inputs: H[],
    gradOutputs: H[] | null,
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
  ): Array<H | null>;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  // in-place, never recorded by autograd
  addInPlace(x: H, other: H, alpha: number): void;
  mulInPlace(x: H, other: Operand): void;
  addcmulInPlace(x: H, a: H, b: H, value: number): void;
  addcdivInPlace(x: H, a: H, b: H, value: number): void;
  lerpInPlace(x: H, end: H, weight: number): void;
  copyInPlace(x: H, source: H): void;
  setData(x: H, source: H): void;
  fillInPlace(x: H, value: number): void;
  uniformInPlace(x: H, low: number, high: number): void;
  normalInPlace(x: H, mean: number, std: number): void;
  truncNormalInPlace(x: H, mean: number, std: number, low: number, high: number): void;
  // runtime
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  // memory (native/memory.cc)
  releaseFreeMemory(): void;
  allocatorStats(): AllocatorStats;
  setTensorCache(enabled: boolean): void;
  setAllocatorOption(name: AllocatorOption, value: number): boolean;
  // torch.distributed process group (native/distributed.cc); absent when built without Gloo's headers
  distributedAvailable: boolean;
  ProcessGroupHandle?: new (options: NativeProcessGroupOptions) => NativeProcessGroup;
}

/** What rendezvous needs (c10d TCPStore on masterAddr:masterPort, hosted by rank 0) and the group's timeout. */
export interface NativeProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Host of rank 0 (its TCPStore); 127.0.0.1 on one machine. */
  masterAddr: string;
  masterPort: number;
  /** How long rendezvous and each collective may wait for a peer before failing. */
  timeoutMs: number;
  /** Network interface for Gloo's connections (GLOO_SOCKET_IFNAME in PyTorch); default: the host name's address. */
  interface?: string;
}

/**
 * A c10d ProcessGroupGloo. Collectives are synchronous and work in place; their errors carry `code`: 'TIMEOUT',
 * 'PEER_LOST', 'ADDRESS_IN_USE', 'CLOSED' or 'FAILED'.
 */
export interface NativeProcessGroup {
  rank(): number;
  size(): number;
  allReduce(tensors: H[], op: 'sum' | 'mean'): void;
  broadcast(tensors: H[], root: number): void;
  barrier(): void;
  destroy(): void;
}

/** The tensor cache's counters (bytes and calls) and, under glibc, mallinfo2() totals in bytes. */
export interface AllocatorStats {
  cacheEnabled: boolean;
  /** Bytes of cache-served tensors alive now. */
  liveBytes: number;
  /** Freed blocks the cache keeps for the next request of the same size. */
  cachedBytes: number;
  /** Highest liveBytes since start or since the last releaseFreeMemory(). */
  peakLiveBytes: number;
  /** Requests served by a cached block (of their size, or up to 1/8 larger). */
  hits: number;
  misses: number;
  /** Misses served by resizing a cached block of another size (mremap) rather than mapping new memory. */
  resizes: number;
  /** Cached blocks unmapped to stay within 9/8 of peakLiveBytes. */
  evictions: number;
  /** Bytes newly mapped (and so page-faulted when first written): new blocks and the growth of resized ones. */
  mappedBytes: number;
  mallocHeapBytes?: number;
  mallocInUseBytes?: number;
  mallocFreeBytes?: number;
}

/** The glibc mallopt() parameters the addon lets callers set (native/memory.cc). */
export type AllocatorOption = 'mmapThreshold' | 'trimThreshold' | 'topPad' | 'arenaMax';

const ADDON_RELATIVE = '../../native/build/Release/efficientecg_engine.node';

export const HOW_TO_INSTALL =
  'install libtorch (Debian/Ubuntu: sudo apt-get install libtorch-dev), then build the addon: npm run build:native (in a clone) or npm rebuild efficientecg (in a project that installed it)';

/**
 * Where the built addon lives, whether running from src/ (tsx) or dist/. EFFICIENTECG_ADDON (the path of a .node
 * file) overrides it, for engine developers who try an addon built elsewhere without replacing the one that running
 * jobs have loaded; it changes which build is loaded, never what the library does.
 */
export function addonPath(): string {
  const override = process.env.EFFICIENTECG_ADDON;
  if (override) return override;
  return fileURLToPath(new URL(ADDON_RELATIVE, import.meta.url));
}

let loaded: { addon: NativeAddon } | { error: EngineUnavailableError } | undefined;

/**
 * Loads the addon once. Throws EngineUnavailableError saying why and how to fix it. The addon is optional:
 * inference (onnxruntime) never calls this.
 */
export function loadAddon(): NativeAddon {
  if (loaded === undefined) loaded = tryLoad();
  if ('error' in loaded) throw loaded.error;
  return loaded.addon;
}

/** Loads the addon at `path`, or says why it cannot be used. Exported for tests of the failure paths. */
export function tryLoad(path = addonPath()): { addon: NativeAddon } | { error: EngineUnavailableError } {
  if (!existsSync(path)) {
    return {
      error: new EngineUnavailableError(
        `the libtorch engine is not built (${path} is missing); ${HOW_TO_INSTALL}`,
      ),
    };
  }
  try {
    const require = createRequire(import.meta.url);
    return { addon: require(path) as NativeAddon };
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    return {
      error: new EngineUnavailableError(`the libtorch engine failed to load (${detail}); ${HOW_TO_INSTALL}`),
    };
  }
}
