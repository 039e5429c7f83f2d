/**
 * EfficientECG. Sub-paths keep heavy or Node-only parts opt-in:
 *   efficientecg/io, /signal, /eval (browser-safe), /datasets, /engine, /nn, /optim, /models (Node, libtorch).
 */
export * from './io/index.js';
export * from './errors.js';
