/** `efficientecg serve`: HTTP API + the in-browser page. */
export { buildServer, statusOf, type ServeOptions } from './app.js';
export { loadModels, loadExamples, isSafeName, type ServedModel, type ExampleRecord } from './catalog.js';
export { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
export { WorkQueue, type Ticket, type QueueState } from './queue.js';
export { openApiDocument } from './openapi.js';
export {
  createInterimPredictor,
  modelInfo,
  pickLeads,
  windowStarts,
  type ModelInfo,
  type Patient,
  type Prediction,
  type RecordPredictor,
} from './predictor.js';
export { readOnnxMetadataProps } from './onnx-metadata.js';
