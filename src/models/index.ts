/** Models: EfficientECG, EfficientECG-Fusion, the PTB-XL benchmark baselines, and the registry that builds them by name. */
export * from './efficientecg.js';
export * from './fusion/config.js';
export * from './fusion/patients.js';
export * from './fusion/model.js';
export * from './baselines/index.js';
export * from './registry.js';
