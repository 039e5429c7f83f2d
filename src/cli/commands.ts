import type { Command } from 'commander';
import { registerInfo } from './info.js';
import { registerDownload } from './download.js';
import { registerDatasets } from './datasets.js';
import { registerInspect } from './inspect.js';
import { registerFeatures } from './features.js';
import { registerTrain } from './train.js';
import { registerCv } from './cv.js';
import { registerCompare } from './compare.js';
import { registerPretrain } from './pretrain.js';
import { registerExport } from './export.js';
import { registerPredict } from './predict.js';
import { registerModels } from './models.js';
import { registerEvaluate } from './evaluate.js';
import { registerServe } from './serve.js';

/** Every CLI command, one module each. Add a command by adding its register function here. */
export const commands: Array<(program: Command) => void> = [
  registerInfo,
  registerDownload,
  registerDatasets,
  registerInspect,
  registerFeatures,
  registerTrain,
  registerCv,
  registerCompare,
  registerPretrain,
  registerExport,
  registerPredict,
  registerModels,
  registerEvaluate,
  registerServe,
];
