/**
 * `efficientecg/io` under Node: everything of index.ts (browser-safe readers and encoders) plus the writers that
 * put files on disk (writeRecord, writeAnnotations). Pages get index.ts through the `browser` export condition.
 */
export * from './index.js';
export { writeRecord, writeAnnotations } from './write.js';
