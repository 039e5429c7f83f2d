/**
 * Names the training records of a model bundled from a cross-validation folder (bundle-model --cv) before the
 * trainer saved record ids: its metadata then described the first fold model only (that fold's split and counts),
 * so `evaluate` could only say "may include" on the model's own dataset. The union of the folds' held-out records is
 * what the ensemble trained on (each fold model trained on all the other folds); it replaces the checkpoint's and the
 * ONNX file's `dataset` metadata. The weights and the rest of the model are not touched (checked before anything is
 * written), both files written atomically. Member paths are compared resolved against the current folder: run it from
 * where the bundle was made when its --cv was relative.
 *
 *   npx tsx scripts/add-training-records.ts --name NAME --cv runs/cv/X [--models-dir DIR]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { decodeCheckpoint, encodeStoredCheckpoint, readCheckpoint } from '../src/export/checkpoint.js';
import { withOnnxMetadata } from '../src/export/onnx/edit.js';
import { onnx } from '../src/export/onnx/graph.js';
import { ConfigError } from '../src/errors.js';
import { ENSEMBLE_MODEL_NAME } from '../src/models/ensemble.js';
import { defaultModelsDir } from '../src/models/bundled.js';
import { cvEnsembleDataset, foldDir, readHeldout } from '../src/train/cv.js';
import { RUN_FILES } from '../src/train/loop.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { recordedFolder } from '../src/datasets/folder-digest.js';

const options = new Command()
  .requiredOption('--name <name>', 'catalogue name of the bundled ensemble')
  .requiredOption('--cv <dir>', 'the cross-validation folder it was bundled from')
  .option('--models-dir <dir>', 'catalogue folder (default: the package models/)')
  .parse()
  .opts<{ name: string; cv: string; modelsDir?: string }>();

const models = options.modelsDir ?? defaultModelsDir();
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
const dataset = cvEnsembleDataset(name, heldout, recordedFolder(extra.dataset));

// Both files are made and checked before either is written: the weights and everything but the metadata as read.
const checkpointBytes = encodeStoredCheckpoint({
  ...checkpoint,
  metadata: { ...checkpoint.metadata, extra: { ...extra, dataset } },
});
const reread = decodeCheckpoint(checkpointBytes, checkpointPath);
const bytesOf = (data: ArrayBufferView) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
if (
  reread.state.size !== checkpoint.state.size ||
  reread.optimizerState.size !== checkpoint.optimizerState.size
)
  throw new Error(`${checkpointPath}: tensors would be lost`);
for (const [key, tensor] of checkpoint.state)
  if (Buffer.compare(bytesOf(reread.state.get(key)!.data), bytesOf(tensor.data)) !== 0)
    throw new Error(`${checkpointPath}: tensor ${key} would change`);
const before = new Uint8Array(readFileSync(onnxPath));
const after = withOnnxMetadata(before, { dataset }, onnxPath);
/** The whole model but its metadata, as encoded. */
const computed = (bytes: Uint8Array) => {
  const model = onnx.ModelProto.decode(bytes);
  model.metadataProps = [];
  return onnx.ModelProto.encode(model).finish();
};
if (Buffer.compare(computed(before), computed(after)) !== 0)
  throw new Error(`${onnxPath}: the model would change`);
writeFileAtomic(checkpointPath, checkpointBytes);
writeFileAtomic(onnxPath, after);
const ids = (dataset.records as { train: string[] }).train;
process.stdout.write(
  `${options.name}: trained on ${ids.length} ${name} records (${ids.slice(0, 3).join(', ')}, ...), ` +
    `named in ${checkpointPath} and ${onnxPath}\n`,
);
