import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every CLI command, one module each, by name. A command's module is imported only when it is needed: a run of
 * `predict` does not load the training code (start-up time is mostly module loading). Add a command here.
 */
export const commands: Record<string, () => Promise<Register>> = {
  info: async () => (await import('./info.js')).registerInfo,
  download: async () => (await import('./download.js')).registerDownload,
  datasets: async () => (await import('./datasets.js')).registerDatasets,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  features: async () => (await import('./features.js')).registerFeatures,
  train: async () => (await import('./train.js')).registerTrain,
  cv: async () => (await import('./cv.js')).registerCv,
  compare: async () => (await import('./compare.js')).registerCompare,
  pretrain: async () => (await import('./pretrain.js')).registerPretrain,
  export: async () => (await import('./export.js')).registerExport,
  predict: async () => (await import('./predict.js')).registerPredict,
  models: async () => (await import('./models.js')).registerModels,
  evaluate: async () => (await import('./evaluate.js')).registerEvaluate,
  serve: async () => (await import('./serve.js')).registerServe,
};
