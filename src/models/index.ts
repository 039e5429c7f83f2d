/** Models: EfficientECG, the PTB-XL benchmark baselines, and the registry that builds any of them by name. */
export * from './efficientecg.js';
export * from './baselines/index.js';
export * from './registry.js';
