/** Reading ECG records: one entry point (readRecord) plus the WFDB header and annotation readers. */
export {
  readRecord,
  readRecordFromFiles,
  readWfdb,
  readWfdbHeader,
  readAnnotations,
  type ReadOptions,
  type RecordInput,
} from './read.js';
export { cutRecord, type WindowOptions } from './window.js';
export { type ByteSource, pathSource, urlSource, bytesSource, sourceFor } from './source.js';
export type { EcgRecord, Sex } from './record.js';
export { recordLength, recordDuration } from './record.js';
export {
  parseWfdbHeader,
  type WfdbHeader,
  type WfdbSignalSpec,
  type WfdbSegmentSpec,
} from './wfdb/header.js';
export { WFDB_FORMATS, type WfdbFormat, type WfdbFormatSpec } from './wfdb/formats.js';
export {
  decodeWfdbSignals,
  type ChecksumReport,
  type WfdbSignals,
  type WfdbSignalOptions,
} from './wfdb/signals.js';
export { wfdbRecord, wfdbRecordFromText, type WfdbRead } from './wfdb/record.js';
export {
  parseAnnotations,
  delineate,
  annotationSymbol,
  isBeatCode,
  ANNOTATION_CODES,
  type WfdbAnnotation,
  type WaveBoundaries,
  type LeadDelineation,
} from './wfdb/annotations.js';
export {
  encodeWfdbRecord,
  encodeAnnotations,
  type WfdbWriteOptions,
  type WritableFormat,
  type EncodedWfdbRecord,
} from './wfdb/write.js';
export { readEdfRecord, parseEdfHeader, looksLikeEdf, type EdfAnnotation } from './edf.js';
export { readMatRecord, parseMat } from './mat/index.js';
export { readCsvRecord } from './csv.js';
