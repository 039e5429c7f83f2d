/** Optimisers and learning-rate schedules over the engine's in-place ops. */
export { Optimizer, weightDecayGroups, clipGradNorm, type ParamGroup } from './optimizer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { SGD, type SgdOptions } from './sgd.js';
export {
  oneCycle,
  cosineWithWarmup,
  type Schedule,
  type OneCycleOptions,
  type CosineWarmupOptions,
} from './schedules.js';
