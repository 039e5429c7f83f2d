/**
 * Checkpoints: a safetensors file whose tensors are the model's state dict (PyTorch names) and whose metadata
 * carries a format version, the model config, the label order and the preprocessing, as JSON strings.
 * Optimiser state, when saved for resuming, sits under the `optimizer/` prefix.
 */
import * as fs from 'node:fs';
import { CheckpointError, EcgError, MissingFileError } from '../errors.js';
import type { Module, StoredTensor } from '../nn/module.js';
import { writeFileAtomic, type AtomicOptions } from '../util/atomic.js';
import { openRegularFile, readSpan } from '../util/regular-file.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensorData } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'efficientecg-checkpoint';
export const CHECKPOINT_VERSION = 1;
const OPTIMIZER_PREFIX = 'optimizer/';

export interface CheckpointMetadata {
  /** Architecture name and the config that rebuilds it (e.g. { name: 'efficientecg', config: {...} }). */
  model: { name: string; config: unknown };
  /** Output order of the classifier: labels[i] is output i. */
  labels: string[];
  /** What the input must look like: sampling rate, leads, window, filters. */
  preprocessing: unknown;
  /** Anything else (training state, metrics, dataset split...). */
  extra?: Record<string, unknown>;
}

export interface Checkpoint {
  metadata: CheckpointMetadata;
  formatVersion: number;
  state: Map<string, StoredTensor>;
  optimizerState: Map<string, StoredTensor>;
}

export function encodeCheckpoint(
  module: Module,
  metadata: CheckpointMetadata,
  optimizerState: Map<string, StoredTensor> = new Map(),
): Uint8Array {
  return encodeStoredCheckpoint({
    metadata,
    formatVersion: CHECKPOINT_VERSION,
    state: new Map(module.exportState()),
    optimizerState,
  });
}

/** A checkpoint's bytes from its stored tensors, no model built (e.g. its metadata rewritten, tensors as read). */
export function encodeStoredCheckpoint({ metadata, state, optimizerState }: Checkpoint): Uint8Array {
  const tensors = new Map<string, StoredTensor>(state);
  for (const [name, t] of optimizerState) tensors.set(OPTIMIZER_PREFIX + name, t);
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    model: JSON.stringify(metadata.model),
    labels: JSON.stringify(metadata.labels),
    preprocessing: JSON.stringify(metadata.preprocessing),
    extra: JSON.stringify(metadata.extra ?? {}),
  });
}

export function decodeCheckpoint(bytes: Uint8Array, source = '<bytes>'): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${source}: not an EfficientECG checkpoint (metadata format is ${JSON.stringify(metadata.format ?? null)})`,
    );
  }
  const version = Number(metadata.format_version);
  if (!Number.isInteger(version) || version < 1 || version > CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `${source}: checkpoint format version ${metadata.format_version} is not supported (this build reads 1..${CHECKPOINT_VERSION})`,
    );
  }
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key] ?? 'null');
    } catch {
      throw new CheckpointError(`${source}: metadata field ${key} is not valid JSON`);
    }
  };
  const model = parse('model') as CheckpointMetadata['model'] | null;
  const labels = parse('labels');
  if (!model || typeof model.name !== 'string')
    throw new CheckpointError(`${source}: metadata has no model name`);
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
    throw new CheckpointError(`${source}: metadata labels must be a list of strings`);
  }
  const state = new Map<string, StoredTensor>();
  const optimizerState = new Map<string, StoredTensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizerState.set(name.slice(OPTIMIZER_PREFIX.length), stored(t));
    else state.set(name, stored(t));
  }
  return {
    formatVersion: version,
    metadata: {
      model,
      labels,
      preprocessing: parse('preprocessing'),
      extra: (parse('extra') ?? {}) as Record<string, unknown>,
    },
    state,
    optimizerState,
  };
}

function stored(t: NamedTensorData): StoredTensor {
  return { shape: t.shape, data: t.data };
}

/** Writes atomically: a crash mid-write leaves the previous checkpoint intact. */
export function saveCheckpoint(
  path: string,
  module: Module,
  metadata: CheckpointMetadata,
  optimizerState?: Map<string, StoredTensor>,
  write?: AtomicOptions,
): void {
  writeFileAtomic(path, encodeCheckpoint(module, metadata, optimizerState), write);
}

/**
 * Largest checkpoint read: what one Node read into a buffer allows (2 GiB - 1; readFileSync had the same limit).
 * The largest bundled checkpoint, a 9-member fusion ensemble, is 31 MB.
 */
export const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

export function readCheckpoint(path: string): Checkpoint {
  return decodeCheckpoint(readCheckpointBytes(path), path);
}

function readFailure(path: string, error: unknown): EcgError {
  if (error instanceof EcgError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new MissingFileError(path, 'checkpoint not found');
  return new CheckpointError(`${path}: cannot read the checkpoint (${code ?? String(error)})`);
}

/**
 * The bytes of the checkpoint at `path`, read as the io layer reads record files (src/util/regular-file.ts): a
 * directory, FIFO or device, or a file beyond MAX_CHECKPOINT_BYTES, is a CheckpointError naming the path.
 */
function readCheckpointBytes(path: string): Uint8Array {
  const { fd, size } = openRegularFile(fs, path, MAX_CHECKPOINT_BYTES, {
    failure: (error) => readFailure(path, error),
    notRegular: (kind) =>
      new CheckpointError(`${path}: ${kind}, not a checkpoint file (a .safetensors file): refused`),
    tooLarge: (bytes) =>
      new CheckpointError(
        `${path}: file of ${bytes} bytes exceeds the limit of ${MAX_CHECKPOINT_BYTES} bytes for a checkpoint`,
      ),
  });
  try {
    return readSpan(fs, fd, 0, size); // a file that shrank while read: the decoder reports the truncation
  } catch (error) {
    throw readFailure(path, error);
  } finally {
    fs.closeSync(fd);
  }
}

/** Loads a checkpoint's weights into a module built from its config; reports every mismatch at once. */
export function loadCheckpointInto(module: Module, checkpoint: Checkpoint, source = 'checkpoint'): void {
  module.loadState(checkpoint.state, source);
}
