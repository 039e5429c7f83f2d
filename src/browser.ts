/**
 * EfficientECG in a page (the root's `browser` export condition): readers, typed errors and the inference API on
 * onnxruntime-web. No Node built-ins, no native code.
 */
export * from './io/index.js';
export * from './errors.js';
export * from './infer/browser.js';
