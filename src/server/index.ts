/** `efficientecg serve`: HTTP API + the in-browser page. */
export { buildServer, statusOf, type ServeOptions, type RecordPredictor } from './app.js';
export {
  loadModels,
  loadExamples,
  bundledModels,
  isSafeName,
  type ServedModel,
  type ExampleRecord,
} from './catalog.js';
export { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
export { WorkQueue, type Ticket, type QueueState } from './queue.js';
export { openApiDocument } from './openapi.js';
export { parsePatient, type Patient, type PredictRequest } from './upload.js';
