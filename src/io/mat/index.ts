/** MATLAB MAT-file reading (levels 4 and 5), pure: bytes in, typed values out. Works in Node and browsers. */
export { parseMat, type ParseMatOptions } from './parse.js';
export { readMatRecord, type MatRecordOptions } from './record.js';
export { toFloat64 } from './numeric.js';
export * from './types.js';
