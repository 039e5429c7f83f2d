/** Training (Node): config, in-memory shared data, worker-thread batch loading, the loop and its checkpoints. */
export * from './config.js';
export {
  loadTrainingData,
  splitIndices,
  type TrainingData,
  type SampleStore,
  type RecordSlot,
} from './data.js';
export {
  assembleTrainingBatch,
  windowStarts,
  writeWindow,
  type BatchRequest,
  type WindowSpec,
} from './batch.js';
export { createBatchSource, type BatchSource } from './loader.js';
export {
  newTrainableModel,
  trainableFromSpec,
  patientRow,
  FUSION_MODEL_NAME,
  type TrainableModel,
} from './model.js';
export {
  initFromCheckpoint,
  resolveInitCheckpoint,
  transferWeights,
  adaptStemWeight,
  type InitSummary,
} from './init.js';
export { classWeights, type ClassWeights } from './objective.js';
export {
  predictRecords,
  validationMetrics,
  probabilities,
  primaryMetricName,
  type ValidationMetrics,
} from './validate.js';
export { INITIAL_STATE, type TrainingState } from './checkpoint.js';
export { seededRandom, hashKey, torchSeed } from './random.js';
export { train, epochBatches, RUN_FILES, type TrainOptions, type TrainResult } from './trainer.js';
export type { LogLine } from './progress.js';
