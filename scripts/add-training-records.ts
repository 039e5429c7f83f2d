/**
 * Names the training records of a model bundled from a cross-validation folder (bundle-model --cv) before the
 * trainer saved record ids: its metadata then described the first fold model only (that fold's split and counts),
 * so `evaluate` could only say "may include" on the model's own dataset. The union of the folds' held-out records is
 * what the ensemble trained on (each fold model trained on all the other folds); it replaces the checkpoint's and the
 * ONNX file's `dataset` metadata. The weights and the graph are not touched (checked), both files written atomically.
 *
 *   npx tsx scripts/add-training-records.ts --name NAME --cv runs/cv/X [--models-dir DIR]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { readCheckpoint, saveCheckpoint } from '../src/export/checkpoint.js';
import { withOnnxMetadata } from '../src/export/onnx/edit.js';
import { onnx } from '../src/export/onnx/graph.js';
import { ConfigError } from '../src/errors.js';
import { ENSEMBLE_MODEL_NAME } from '../src/models/ensemble.js';
import { modelFromCheckpoint } from '../src/models/registry.js';
import { cvEnsembleDataset, foldDir, readHeldout } from '../src/train/cv.js';
import { RUN_FILES } from '../src/train/loop.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const options = new Command()
  .requiredOption('--name <name>', 'catalogue name of the bundled ensemble')
  .requiredOption('--cv <dir>', 'the cross-validation folder it was bundled from')
  .option('--models-dir <dir>', 'catalogue folder (default: the package models/)')
  .parse()
  .opts<{ name: string; cv: string; modelsDir?: string }>();

const models = options.modelsDir ?? new URL('../models/', import.meta.url).pathname;
const checkpointPath = join(models, `${options.name}.safetensors`);
const onnxPath = join(models, `${options.name}.onnx`);
const checkpoint = readCheckpoint(checkpointPath);
const extra = checkpoint.metadata.extra ?? {};

// The ensemble must be this folder's fold models, in fold order: its members' sources say where they came from.
const sources = ((extra.ensemble as { members?: unknown } | undefined)?.members ?? []) as unknown[];
if (checkpoint.metadata.model.name !== ENSEMBLE_MODEL_NAME || sources.length === 0)
  throw new ConfigError(`${checkpointPath}: not an ensemble`);
sources.forEach((source, k) => {
  const fold = resolve(foldDir(options.cv, k + 1), RUN_FILES.last);
  if (typeof source !== 'string' || resolve(source) !== fold)
    throw new ConfigError(`${checkpointPath}: member ${k + 1} is ${JSON.stringify(source)}, not ${fold}`);
});
const heldout = readHeldout(options.cv, sources.length);
if (heldout === null)
  throw new ConfigError(`${options.cv}: not every one of ${sources.length} folds has its held-out file`);
const name = (extra.dataset as { name?: unknown } | undefined)?.name;
if (typeof name !== 'string') throw new ConfigError(`${checkpointPath}: its metadata names no dataset`);
const dataset = cvEnsembleDataset(name, heldout);

const before = new Uint8Array(readFileSync(onnxPath));
const after = withOnnxMetadata(before, { dataset }, onnxPath);
const graph = (bytes: Uint8Array) => onnx.GraphProto.encode(onnx.ModelProto.decode(bytes).graph!).finish();
if (Buffer.compare(graph(before), graph(after)) !== 0) throw new Error(`${onnxPath}: the graph changed`);
const module = modelFromCheckpoint(checkpoint, checkpointPath);
saveCheckpoint(checkpointPath, module, { ...checkpoint.metadata, extra: { ...extra, dataset } });
module.dispose();
writeFileAtomic(onnxPath, after);
const bytesOf = (data: ArrayBufferView) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
const reread = readCheckpoint(checkpointPath).state;
if (reread.size !== checkpoint.state.size) throw new Error(`${checkpointPath}: tensors lost`);
for (const [key, tensor] of checkpoint.state)
  if (Buffer.compare(bytesOf(reread.get(key)!.data), bytesOf(tensor.data)) !== 0)
    throw new Error(`${checkpointPath}: tensor ${key} changed`);
const ids = (dataset.records as { train: string[] }).train;
process.stdout.write(
  `${options.name}: trained on ${ids.length} ${name} records (${ids.slice(0, 3).join(', ')}, ...), ` +
    `named in ${checkpointPath} and ${onnxPath}\n`,
);
