/**
 * EfficientECG under Node: readers and writers, typed errors and the inference API (`loadModel`; onnxruntime-node
 * is loaded when a model is, never libtorch). Sub-paths keep heavy or Node-only parts opt-in:
 *   efficientecg/io, /infer, /signal, /eval (browser-safe builds for pages), /datasets, /engine, /nn, /optim,
 *   /models (Node, libtorch). Pages get src/browser.ts through the `browser` export condition.
 */
export * from './io/node.js';
export * from './errors.js';
export * from './infer/index.js';
