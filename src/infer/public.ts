/** What both builds of `efficientecg/infer` export besides their own loadModel (Node: index.ts, pages: browser.ts). */
export { EcgModel, type LoadModelOptions, type ModelClass, type ModelPredictOptions } from './model.js';
export type { ModelSource, BeatInput, BeatPrediction, PredictOptions, SaliencyOptions } from './predictor.js';
export type { ModelInfo, Aggregation } from './metadata.js';
export type { BackendName, BackendOptions } from './backend.js';
export {
  ecgResultSchema,
  fileResultSchema,
  diagnosisLine,
  rankedClasses,
  RESULT_VERSION,
  type EcgResult,
  type FileResult,
  type ClassScore,
  type Quality,
  type QualityFlag,
  type Measurements,
  type SaliencyResult,
} from './result.js';
export { classLegend, legendLine } from './legend.js';
