/**
 * Evaluation metrics and reports (pure, browser-safe). Writing reports to disk is Node-only:
 * import `writeReport` from './report/write.js'.
 */
export * from './binary.js';
export * from './multilabel.js';
export * from './confusion.js';
export * from './challenges.js';
export * from './beats.js';
export * from './bootstrap.js';
export * from './results.js';
export * from './report/model.js';
export { formatReport, formatTable } from './report/table.js';
export { renderHtml, reportFigures } from './report/html.js';
export { renderMarkdown } from './report/markdown.js';
export { confusionSpec, prSpec, renderSvg, rocSpec, type PrSeries, type RocSeries } from './report/plots.js';
export { MetricError } from '../errors.js';
