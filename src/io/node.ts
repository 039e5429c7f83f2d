/**
 * `efficientecg/io` under Node: everything of index.ts (browser-safe readers and encoders) plus the writers that
 * put files on disk (writeRecord, writeAnnotations) and the HDF5 reader's listing (readRecord reads `FILE#ID`).
 * Pages get index.ts through the `browser` export condition.
 */
export * from './index.js';
export { writeRecord, writeAnnotations } from './write.js';
export {
  listHdf5Exams,
  describeHdf5,
  withHdf5Exams,
  parseExamName,
  CODE15_LEADS,
  CODE15_FS,
  type Hdf5ReadOptions,
} from './hdf5.js';
