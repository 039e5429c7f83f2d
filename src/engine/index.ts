/** The tensor engine: typed tensors over libtorch, functional ops, autograd, scopes. */
export { Tensor } from './tensor.js';
export { scope, keep, scopeDepth } from './scope.js';
export { noGrad, isGradEnabled, grad } from './autograd.js';
export {
  setNumThreads,
  maxNumThreads,
  getNumThreads,
  manualSeed,
  releaseFreeMemory,
  allocatorStats,
  setTensorCache,
  setAllocatorOption,
} from './runtime.js';
export { engineStatus, type EngineStatus } from './status.js';
export type { DType, DataTypeMap, TypedArray } from './binding.js';
export * as ops from './ops.js';
export * as inplace from './inplace.js';
export {
  ProcessGroup,
  distributedAvailable,
  type ProcessGroupOptions,
  type ReduceOp,
} from './distributed.js';
