/**
 * `train --init`: start a run from a checkpoint's weights instead of a fresh initialisation (fine-tuning,
 * pre-training). The rules (docs/fine-tuning.md):
 * - every tensor whose name and shape match is copied, BatchNorm running statistics included (they belong to
 *   their layer: copying the weights without them would pair trained scales with fresh statistics);
 * - the output layer follows the labels by name: for another label list (reordered, extended or reduced) each
 *   label the checkpoint knows keeps its row, new labels start fresh (all fresh when no label is shared);
 * - the stem convolution is adapted when the lead count differs: every destination lead's kernel is the sum of the
 *   source kernels divided by the destination lead count (mean-preserving: an input whose leads are all equal gives
 *   exactly the source stem output, so the layers above see activations of the scale they were trained on);
 * - a fusion model takes a plain EfficientECG checkpoint into its `backbone.` (its fusion part stays fresh, except
 *   the ECG shortcut, which takes the plain classifier), and a plain model takes a fusion checkpoint's backbone
 *   (and its shortcut as its classifier);
 * - anything else that does not fit (another width or depth) is an architecture mismatch: a CheckpointError
 *   listing the tensors. Preprocessing differences (rate, window, filters) are notices, not errors.
 */
import { existsSync } from 'node:fs';
import { CheckpointError, ConfigError, MissingFileError } from '../errors.js';
import { readCheckpoint, type Checkpoint } from '../export/checkpoint.js';
import { resolveModel } from '../models/bundled.js';
import type { StoredTensor } from '../nn/module.js';
import type { TrainableModel } from './model.js';
import { FUSION_MODEL_NAME } from './model.js';
import { sameTrainingData } from '../datasets/folder-digest.js';

/** Where the fusion model keeps its EfficientECG backbone. */
const BACKBONE_PREFIX = 'backbone.';
/** A fusion model's ECG shortcut (FusionConfig.shortcut) and the plain EfficientECG classifier it mirrors. */
const SHORTCUT_PREFIX = 'fusion.shortcut.';
const PLAIN_CLASSIFIER_PREFIX = 'classifier.';

export interface InitSummary {
  source: string;
  copied: string[];
  /** Stem weights adapted to another lead count; output layers whose rows follow another label list. */
  adapted: string[];
  /** Left at their fresh initialisation (output layer for other labels, a fusion model's fusion part). */
  reinitialised: string[];
  /** Source tensors with no place in the target (a plain model's classifier under a fusion model, ...). */
  dropped: string[];
}

/** What the run will feed the model, to compare with the checkpoint's preprocessing. */
export interface RunInput {
  labels: readonly string[];
  fs: number;
  windowSeconds: number;
  bandpass: readonly [number, number] | null;
  standardize: boolean;
  /** The dataset trained on, and the CV fold it holds out (its reported records), when a CV fold. */
  dataset?: string;
  /** A custom dataset's record-list digest (src/datasets/folder-digest.ts): which folder "custom" is. */
  folder?: string;
  cvFold?: { fold: number; folds: number } | null;
}

/** `--init NAME|PATH`: a bundled model's checkpoint, or a .safetensors file. */
export function resolveInitCheckpoint(spec: string, modelsDir?: string): string {
  if (/\.onnx$/i.test(spec))
    throw new ConfigError(
      `--init ${spec}: needs a .safetensors checkpoint (ONNX files hold no trainable state)`,
    );
  if (/\.safetensors$/i.test(spec)) {
    if (!existsSync(spec)) throw new MissingFileError(spec, 'checkpoint not found (--init)');
    return spec;
  }
  return resolveModel(spec, 'checkpoint', modelsDir).path;
}

/** Reads the checkpoint `spec` names and copies its weights into `model` (see the rules above). */
export function initFromCheckpoint(
  model: TrainableModel,
  spec: string,
  input: RunInput,
  notice: (message: string) => void,
  modelsDir?: string,
): InitSummary {
  const path = resolveInitCheckpoint(spec, modelsDir);
  const checkpoint = readCheckpoint(path);
  checkNotTrainedOnFold(checkpoint, spec, input, notice);
  for (const message of preprocessingNotices(checkpoint, input)) notice(`--init ${spec}: ${message}`);
  const summary = transferWeights(model, checkpoint, input.labels, spec);
  notice(describeSummary(summary));
  return summary;
}

/**
 * A fresh model with `init`'s weights copied in (null: left as it is); the model is disposed when they do not fit.
 * Notices go to `onNotice` (default: stderr).
 */
export function withInit(
  model: TrainableModel,
  init: string | null,
  input: RunInput,
  options: { onNotice?: (message: string) => void; modelsDir?: string },
): TrainableModel {
  if (init === null) return model;
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`${message}\n`));
  try {
    initFromCheckpoint(model, init, input, notice, options.modelsDir);
  } catch (error) {
    model.module.dispose();
    throw error;
  }
  return model;
}

/**
 * In a CV fold, a start trained with labels of the same dataset saw the fold's records (whatever split it used), as a
 * distillation teacher would (src/train/distill.ts): refused. A label-free pre-training on them saw their signals,
 * not their labels: a notice. A `custom` dataset is the same one only when the start names the same folder digest
 * (its name says nothing; a start older than the digest cannot be checked).
 */
function checkNotTrainedOnFold(
  checkpoint: Checkpoint,
  spec: string,
  input: RunInput,
  notice: (message: string) => void,
): void {
  const { dataset, cvFold } = input;
  if (cvFold == null || dataset === undefined) return;
  const extra = checkpoint.metadata.extra ?? {};
  if (extra.task === 'pretrain') {
    if (dataset === 'custom') return;
    const config = (extra.training as { config?: { pretrain?: { sources?: Array<{ dataset?: string }> } } })
      ?.config;
    if (config?.pretrain?.sources?.some((source) => source.dataset === dataset))
      notice(
        `--init ${spec}: pre-trained without labels on ${dataset}, whose fold ${cvFold.fold} this run reports: it saw those records' signals (not their labels)`,
      );
    return;
  }
  if (!sameTrainingData(extra.dataset, dataset, input.folder)) return;
  const what = dataset === 'custom' ? 'this custom folder (the same record list)' : dataset;
  throw new ConfigError(
    `--init ${spec} was trained on ${what}, whose fold ${cvFold.fold} of ${cvFold.folds} this run holds out and reports: start from a checkpoint of another dataset (or none)`,
  );
}

/** Maps a target tensor name to the source's name for it, or null when the source has no counterpart. */
type NameMap = (target: string) => string | null;

function nameMap(
  targetIsFusion: boolean,
  sourceIsFusion: boolean,
  sourceHas: (name: string) => boolean,
): NameMap {
  if (targetIsFusion === sourceIsFusion) return (name) => name;
  // The fusion shortcut is the plain model's classifier (same input, same role): it crosses over both ways.
  if (targetIsFusion) {
    return (name) => {
      if (name.startsWith(SHORTCUT_PREFIX))
        return PLAIN_CLASSIFIER_PREFIX + name.slice(SHORTCUT_PREFIX.length);
      return name.startsWith(BACKBONE_PREFIX) ? name.slice(BACKBONE_PREFIX.length) : null;
    };
  }
  return (name) => {
    const shortcut = SHORTCUT_PREFIX + name.slice(PLAIN_CLASSIFIER_PREFIX.length);
    return name.startsWith(PLAIN_CLASSIFIER_PREFIX) && sourceHas(shortcut)
      ? shortcut
      : BACKBONE_PREFIX + name;
  };
}

/**
 * The output layer: the trailing parameters (registration order) whose leading dimension is the class count, i.e.
 * the last Linear's weight and bias. Found by shape so that every registry architecture is covered.
 */
export function outputLayerNames(model: TrainableModel, classes: number): string[] {
  const parameters = model.module.namedParameters();
  const names: string[] = [];
  for (let i = parameters.length - 1; i >= 0; i--) {
    const [name, parameter] = parameters[i]!;
    if (parameter.shape[0] !== classes) break;
    names.unshift(name);
  }
  return names;
}

/** The first convolution weight: the only tensor whose shape depends on the lead count. */
function stemName(model: TrainableModel): string | null {
  const first = model.module.namedParameters().find(([, p]) => p.shape.length === 3);
  return first ? first[0] : null;
}

/** Mean-preserving lead adaptation of a conv weight [out, srcLeads, k] -> [out, dstLeads, k]. */
export function adaptStemWeight(source: StoredTensor, dstLeads: number): StoredTensor {
  const [out, srcLeads, kernel] = source.shape as [number, number, number];
  const data = new Float32Array(out * dstLeads * kernel);
  for (let o = 0; o < out; o++) {
    for (let t = 0; t < kernel; t++) {
      let sum = 0;
      for (let l = 0; l < srcLeads; l++) sum += Number(source.data[(o * srcLeads + l) * kernel + t]);
      for (let l = 0; l < dstLeads; l++) data[(o * dstLeads + l) * kernel + t] = sum / dstLeads;
    }
  }
  return { shape: [out, dstLeads, kernel], data };
}

function isStemAdaptable(target: readonly number[], source: readonly number[]): boolean {
  return target.length === 3 && source.length === 3 && target[0] === source[0] && target[2] === source[2];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.join() === b.join();

/**
 * Copies `checkpoint`'s weights into `model` (nothing changes when it throws). `labels` is the run's label order:
 * when it differs from the checkpoint's, the output layer's rows follow the labels by name (outputRowsByLabel).
 */
export function transferWeights(
  model: TrainableModel,
  checkpoint: Checkpoint,
  labels: readonly string[],
  source = 'checkpoint',
): InitSummary {
  const targetIsFusion = model.spec.name === FUSION_MODEL_NAME;
  const sourceIsFusion = checkpoint.metadata.model.name === FUSION_MODEL_NAME;
  const map = nameMap(targetIsFusion, sourceIsFusion, (name) => checkpoint.state.has(name));
  const sameLabels = JSON.stringify(checkpoint.metadata.labels) === JSON.stringify(labels);
  const output = new Set(outputLayerNames(model, labels.length));
  const stem = stemName(model);
  const state = model.module.exportState();
  const next = new Map<string, StoredTensor>(state);
  const summary: InitSummary = { source, copied: [], adapted: [], reinitialised: [], dropped: [] };
  const mismatched: string[] = [];
  const used = new Set<string>();
  for (const [name, fresh] of state) {
    const sourceName = map(name);
    const stored = sourceName === null ? undefined : checkpoint.state.get(sourceName);
    if (sourceName !== null && stored !== undefined) used.add(sourceName);
    if (
      output.has(name) &&
      !sameLabels &&
      stored !== undefined &&
      sameShape(fresh.shape.slice(1), stored.shape.slice(1))
    ) {
      const rows = outputRowsByLabel(fresh, stored, labels, checkpoint.metadata.labels);
      next.set(name, rows.tensor);
      if (rows.copied === 0) summary.reinitialised.push(name);
      else
        summary.adapted.push(`${name} (${rows.copied} of ${labels.length} label rows from the checkpoint)`);
    } else if (output.has(name) && (!sameLabels || stored === undefined)) {
      summary.reinitialised.push(name);
    } else if (stored === undefined) {
      // A fusion model's own part has no counterpart in a plain checkpoint; anything else missing is a mismatch.
      if (sourceName === null) summary.reinitialised.push(name);
      else mismatched.push(`${name}: missing from the checkpoint`);
    } else if (sameShape(fresh.shape, stored.shape)) {
      next.set(name, stored);
      summary.copied.push(name);
    } else if (name === stem && isStemAdaptable(fresh.shape, stored.shape)) {
      next.set(name, adaptStemWeight(stored, fresh.shape[1]!));
      summary.adapted.push(`${name} (${stored.shape[1]} -> ${fresh.shape[1]} leads)`);
    } else {
      mismatched.push(`${name}: run [${fresh.shape.join(', ')}], checkpoint [${stored.shape.join(', ')}]`);
    }
  }
  for (const name of checkpoint.state.keys()) {
    if (used.has(name)) continue;
    if (droppable(name, targetIsFusion, sourceIsFusion)) summary.dropped.push(name);
    else mismatched.push(`${name}: in the checkpoint, not in the run's model`);
  }
  if (mismatched.length > 0) {
    throw new CheckpointError(
      `--init ${source} (${checkpoint.metadata.model.name}) does not fit the run's ${model.spec.name} (another width or depth?): ${mismatched.length} tensors differ (${listMismatches(mismatched)})`,
    );
  }
  model.module.loadState(next, source);
  return summary;
}

/**
 * The output layer for another label list: each of the run's labels that the checkpoint also has takes that label's
 * row (so a reordered or extended label list keeps what the model learnt); new labels keep the fresh rows.
 */
function outputRowsByLabel(
  fresh: StoredTensor,
  stored: StoredTensor,
  labels: readonly string[],
  sourceLabels: readonly string[],
): { tensor: StoredTensor; copied: number } {
  const rowSize = fresh.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Float32Array.from(fresh.data as ArrayLike<number>);
  let copied = 0;
  labels.forEach((label, row) => {
    const from = sourceLabels.indexOf(label);
    if (from < 0) return;
    for (let k = 0; k < rowSize; k++) data[row * rowSize + k] = Number(stored.data[from * rowSize + k]);
    copied++;
  });
  return { tensor: { shape: [...fresh.shape], data }, copied };
}

/** Another width mismatches every tensor: the first ones tell the story. */
function listMismatches(mismatched: readonly string[], shown = 24): string {
  const more = mismatched.length - shown;
  return mismatched.slice(0, shown).join('; ') + (more > 0 ? `; ... and ${more} more` : '');
}

/** Source tensors that crossing plain <-> fusion leaves behind: the plain classifier, the fusion part. */
function droppable(name: string, targetIsFusion: boolean, sourceIsFusion: boolean): boolean {
  if (targetIsFusion && !sourceIsFusion) return name.startsWith('classifier.');
  if (!targetIsFusion && sourceIsFusion) return !name.startsWith(BACKBONE_PREFIX);
  return false;
}

interface Preprocessing {
  fs?: number;
  windowSeconds?: number;
  bandpass?: [number, number] | null;
  standardize?: boolean;
}

/** Where the checkpoint was trained on other input than the run's: worth knowing, not an error. */
export function preprocessingNotices(checkpoint: Checkpoint, input: RunInput): string[] {
  const before = (checkpoint.metadata.preprocessing ?? {}) as Preprocessing;
  const notices: string[] = [];
  const differs = (a: unknown, b: unknown) => a !== undefined && JSON.stringify(a) !== JSON.stringify(b);
  if (differs(before.fs, input.fs))
    notices.push(`checkpoint trained at ${before.fs} Hz, this run uses ${input.fs} Hz`);
  if (differs(before.windowSeconds, input.windowSeconds)) {
    notices.push(
      `checkpoint trained on ${before.windowSeconds} s windows, this run uses ${input.windowSeconds} s`,
    );
  }
  if (differs(before.bandpass, input.bandpass)) {
    notices.push(
      `checkpoint band-pass ${JSON.stringify(before.bandpass)}, this run ${JSON.stringify(input.bandpass)}`,
    );
  }
  if (differs(before.standardize, input.standardize))
    notices.push(`checkpoint standardize ${before.standardize}, this run ${input.standardize}`);
  return notices;
}

/** Names, or counts by top-level module when there are many. */
function listNames(names: readonly string[]): string {
  if (names.length <= 6) return names.join(', ');
  const counts = new Map<string, number>();
  for (const name of names) {
    const group = `${name.split('.')[0]}.*`;
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return [...counts].map(([group, n]) => `${group} ${n}`).join(', ');
}

export function describeSummary(summary: InitSummary): string {
  const parts = [
    `--init ${summary.source}: ${summary.copied.length} tensors copied`,
    `${summary.adapted.length} adapted${summary.adapted.length ? ` (${summary.adapted.join(', ')})` : ''}`,
    `${summary.reinitialised.length} re-initialised${summary.reinitialised.length ? ` (${listNames(summary.reinitialised)})` : ''}`,
  ];
  if (summary.dropped.length) parts.push(`${summary.dropped.length} unused (${listNames(summary.dropped)})`);
  return parts.join(', ');
}
