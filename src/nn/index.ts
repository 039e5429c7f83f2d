/** Neural-network building blocks over the engine (torch.nn's shapes, names and defaults). */
export { Module, Parameter, type Layer, type StoredTensor, type ParameterOptions } from './module.js';
export {
  Conv1d,
  BatchNorm1d,
  Linear,
  LayerNorm,
  Dropout,
  Embedding,
  Activation,
  Sequential,
  type ActivationName,
  type Conv1dOptions,
} from './layers.js';
export { MultiheadAttention, type AttentionResult, type MultiheadAttentionOptions } from './attention.js';
export { LSTM, type LstmOptions, type LstmState } from './recurrent.js';
export * as init from './init.js';
