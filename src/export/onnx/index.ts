/** ONNX export of engine models (see docs/onnx-export.md). */
export {
  exportOnnx,
  ecgInput,
  OPSET,
  type OnnxInput,
  type OnnxMetadata,
  type ExportOptions,
} from './export.js';
export { readOnnxSummary, type OnnxSummary } from './read.js';
