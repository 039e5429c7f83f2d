/**
 * Knowledge distillation (Hinton et al. 2015) for the record task: the student learns from the hard labels and from
 * the averaged logits of one or more teachers (`config.distill`), e.g. an ensemble of heavier baselines.
 *
 * Teachers are trained checkpoints of any registry model on the same classes, rate and leads. A teacher trained on
 * z-scored leads teaches a student that reads millivolts (`--no-standardize`, e.g. the amplitude side-channel) from
 * the records z-scored as its own training saw them (per-record targets only); the reverse is refused. In a
 * cross-validation fold, a teacher given as a CV folder is that folder's model of the *same fold* (trained on the same
 * training folds), so no teacher has seen the fold the student reports. Two kinds of soft target
 * (`distill.targets`):
 * - `record`: teachers score each training record once, at the start of the run (their own windows and aggregation,
 *   eval mode): one target per record, whatever crop the student sees;
 * - `crop`: teachers score the very crop the student sees, augmentation included, at every step (Beyer et al. 2022,
 *   "consistent teaching": a 2.5 s crop without the record's evidence is not told the record's answer). Costs the
 *   teachers' forward passes on every batch.
 *
 * loss = (1 - alpha) * hard loss + alpha * T^2 * soft loss, with the soft loss
 * - single-label: cross-entropy of softmax(student / T) against softmax(teacher / T) (the KL divergence up to the
 *   teacher's entropy, a constant: the same gradient);
 * - multi-label: binary cross-entropy of sigmoid(student / T) against sigmoid(teacher / T), per class.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelKind } from '../datasets/types.js';
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError, MissingFileError } from '../errors.js';
import { readCheckpoint } from '../export/checkpoint.js';
import type { WindowSpec } from './batch.js';
import type { TrainConfig } from './config.js';
import { splitIndices, type TrainingData } from './data.js';
import { foldDir, readFoldHeldout } from './heldout.js';
import { resolveInitCheckpoint } from './init.js';
import { RUN_FILES } from './loop.js';
import { rowOf, trainableFromSpec, type TrainableModel } from './model.js';
import { standardize } from '../signal/normalize.js';
import { predictRecords } from './validate.js';
import { sameTrainingData } from '../datasets/folder-digest.js';

export type DistillConfig = NonNullable<TrainConfig['distill']>;

/**
 * The checkpoint of teacher `spec` for this run: a CV folder gives its fold-k model in fold k of a CV (and is refused
 * outside one); a run folder its best (else last) checkpoint; otherwise a bundled model name or a .safetensors file.
 * With `heldoutIds` (the records fold k reports), a CV folder's fold must have held out every one of them: a teacher
 * from a CV of other folds (another K, seed or data folder) would pass the labels it learnt on them to the student.
 */
export function teacherCheckpointPath(
  spec: string,
  cvFold: TrainConfig['cvFold'],
  modelsDir?: string,
  heldoutIds?: readonly string[],
): string {
  if (!(existsSync(spec) && statSync(spec).isDirectory())) return resolveInitCheckpoint(spec, modelsDir);
  if (isCvFolder(spec)) {
    if (cvFold === null)
      throw new ConfigError(
        `teacher ${spec} is a cross-validation folder: use it in a cv run (each fold its own)`,
      );
    const path = join(foldDir(spec, cvFold.fold), RUN_FILES.last);
    if (!existsSync(path))
      throw new MissingFileError(path, `teacher fold ${cvFold.fold} has no last checkpoint`);
    if (heldoutIds !== undefined) checkTeacherHeldOut(spec, cvFold.fold, heldoutIds);
    return path;
  }
  for (const file of ['best.safetensors', 'last.safetensors'])
    if (existsSync(join(spec, file))) return join(spec, file);
  throw new MissingFileError(spec, 'teacher folder holds no best.safetensors or last.safetensors');
}

export function isCvFolder(spec: string): boolean {
  return existsSync(foldDir(spec, 1));
}

/** Refuses a teacher fold that trained on any of the records the student's fold holds out (its heldout.json says). */
function checkTeacherHeldOut(spec: string, fold: number, heldoutIds: readonly string[]): void {
  const path = join(foldDir(spec, fold), RUN_FILES.heldout);
  if (!existsSync(path))
    throw new MissingFileError(
      path,
      `teacher fold ${fold} is not finished: which records it held out cannot be checked`,
    );
  const held = new Set(readFoldHeldout(spec, fold).outputs.ids);
  const seen = heldoutIds.filter((id) => !held.has(id));
  if (seen.length > 0)
    throw new ConfigError(
      `teacher ${spec}: its fold ${fold} trained on ${seen.length} of the ${heldoutIds.length} records this fold holds out (e.g. ${seen[0]}); teach with a CV of the same dataset, folds and data folder`,
    );
}

/** Soft targets for one training batch: the teachers' averaged logits, row b for indices[b] ([B * classes]). */
export interface SoftTargets {
  of(batch: Float32Array, indices: readonly number[]): Float32Array;
  dispose(): void;
}

/** The soft targets of `distill` for a run that trains on `train` (entry indices) with `window` crops. */
export async function softTargets(
  distill: DistillConfig,
  cvFold: TrainConfig['cvFold'],
  data: TrainingData,
  train: readonly number[],
  window: WindowSpec,
  modelsDir: string | undefined,
  /** The data's leads are z-scored (config.preprocess.standardize), not in mV. */
  standardized: boolean,
): Promise<SoftTargets> {
  if (distill.targets === 'crop') {
    const teachers: LoadedTeacher[] = [];
    try {
      for (const spec of distill.teachers) {
        const teacher = loadTeacher(spec, cvFold, data, standardized, modelsDir);
        teachers.push(teacher);
        if (teacher.zScoresRecords)
          throw new ConfigError(
            `teacher ${spec} was trained on z-scored leads and the student reads mV: per-crop targets would z-score crops, not records; use --distill-targets record`,
          );
      }
    } catch (error) {
      teachers.forEach((teacher) => teacher.model.module.dispose());
      throw error;
    }
    return {
      of: (batch, indices) => cropTargets(teachers, data, batch, indices, window),
      dispose: () => teachers.forEach((teacher) => teacher.model.module.dispose()),
    };
  }
  const classes = data.classes.length;
  const logits = await teacherLogits(distill, cvFold, data, train, modelsDir, standardized);
  const byIndex = new Map(train.map((index, k) => [index, logits[k]!]));
  return {
    of: (_batch, indices) => {
      const out = new Float32Array(indices.length * classes);
      indices.forEach((index, b) => out.set(byIndex.get(index)!, b * classes));
      return out;
    },
    dispose: () => {},
  };
}

/** The teachers' averaged logits on the batch's own (augmented) crops. */
function cropTargets(
  teachers: readonly LoadedTeacher[],
  data: TrainingData,
  batch: Float32Array,
  indices: readonly number[],
  window: WindowSpec,
): Float32Array {
  const out = new Float32Array(indices.length * data.classes.length);
  const rows = indices.map((index) => rowOf(data, index));
  const shape = [indices.length, data.store.leads, window.samples];
  for (const { model } of teachers) {
    const logits = scope(() => noGrad(() => model.logits(F.tensor(batch, shape), rows).data()));
    for (let i = 0; i < out.length; i++) out[i]! += logits[i]! / teachers.length;
  }
  return out;
}

/** The teachers' averaged logits for the records `indices` (row k for indices[k]), each scored once. */
async function teacherLogits(
  distill: DistillConfig,
  cvFold: TrainConfig['cvFold'],
  data: TrainingData,
  indices: readonly number[],
  modelsDir: string | undefined,
  standardized: boolean,
): Promise<Float64Array[]> {
  const sum = indices.map(() => new Float64Array(data.classes.length));
  let zScored: TrainingData | null = null;
  for (const spec of distill.teachers) {
    const teacher = loadTeacher(spec, cvFold, data, standardized, modelsDir);
    try {
      const logits = await predictRecords(
        teacher.model,
        teacher.zScoresRecords ? (zScored ??= zScoredRecords(data, indices)) : data,
        indices,
        teacher.window,
        teacher.hopSamples,
        64,
        teacher.aggregate,
      );
      logits.forEach((row, r) => row.forEach((x, c) => (sum[r]![c]! += x / distill.teachers.length)));
    } finally {
      teacher.model.module.dispose();
    }
  }
  return sum;
}

/** A teacher checkpoint in eval mode, with the windows and aggregation it was validated with. */
interface LoadedTeacher {
  model: TrainableModel;
  window: WindowSpec;
  hopSamples: number;
  aggregate: 'mean-logits' | 'max';
  /** Trained on z-scored leads while the data holds mV: it reads the records z-scored. */
  zScoresRecords: boolean;
}

/**
 * A copy of the data whose records `indices` have each lead z-scored over the whole record: the last step of the
 * preprocessing a z-scored teacher was trained with, applied to the same band-passed signal (z-scores ignore units).
 */
function zScoredRecords(data: TrainingData, indices: readonly number[]): TrainingData {
  const samples = Float32Array.from(data.store.samples);
  for (const index of indices) {
    const { offset, length } = data.store.slots[index]!;
    for (let lead = 0; lead < data.store.leads; lead++) {
      const start = offset + lead * length;
      samples.set(standardize(samples.subarray(start, start + length)), start);
    }
  }
  return { ...data, store: { ...data.store, samples } };
}

/**
 * Loads teacher `spec` after checking that it reads the data's classes, rate, lead count and amplitudes and, in a CV
 * fold, that it has not trained on the records the fold reports: a CV folder's fold must have held them out, and a
 * single checkpoint must come from another dataset (one of this dataset saw the fold, whatever split it used).
 */
function loadTeacher(
  spec: string,
  cvFold: TrainConfig['cvFold'],
  data: TrainingData,
  standardized: boolean,
  modelsDir: string | undefined,
): LoadedTeacher {
  const heldoutIds = cvFold === null ? undefined : splitIndices(data, 'val').map((i) => data.entries[i]!.id);
  const path = teacherCheckpointPath(spec, cvFold, modelsDir, heldoutIds);
  const checkpoint = readCheckpoint(path);
  if (
    cvFold !== null &&
    !isCvFolder(spec) &&
    sameTrainingData(checkpoint.metadata.extra?.dataset, data.name, data.folder)
  )
    throw new ConfigError(
      `teacher ${path} was trained on ${data.name === 'custom' ? 'this custom folder (the same record list)' : data.name}, whose fold ${cvFold.fold} this run holds out: give the teacher's cross-validation folder, so each fold is taught by a model that never saw it`,
    );
  const { labels } = checkpoint.metadata;
  if (labels.join(',') !== data.classes.join(','))
    throw new ConfigError(
      `teacher ${path}: classes ${labels.join(',')} differ from the data's ${data.classes.join(',')}`,
    );
  const pre = checkpoint.metadata.preprocessing as {
    fs: number;
    leads?: string[];
    windowSamples: number;
    shortRecords?: 'zero-pad' | 'repeat';
    windows?: { hopSamples: number; aggregate?: 'mean-logits' | 'max' };
    standardize?: boolean;
  };
  if (pre.fs !== data.fs || (pre.leads?.length ?? data.store.leads) !== data.store.leads)
    throw new ConfigError(
      `teacher ${path}: reads ${pre.leads?.length ?? '?'} leads at ${pre.fs} Hz, the data ${data.store.leads} at ${data.fs} Hz`,
    );
  // A checkpoint that does not say (older ones) is taken to read what the data holds, as before.
  const teacherStandardized = pre.standardize ?? standardized;
  if (!teacherStandardized && standardized)
    throw new ConfigError(
      `teacher ${path} reads leads in mV and the data is z-scored: its amplitudes cannot be recovered (train with --no-standardize)`,
    );
  const model = trainableFromSpec(checkpoint.metadata.model);
  try {
    model.module.loadState(checkpoint.state, path);
  } catch (error) {
    model.module.dispose();
    throw error;
  }
  model.module.eval();
  return {
    model,
    window: { samples: pre.windowSamples, shortRecords: pre.shortRecords ?? 'zero-pad', fs: data.fs },
    hopSamples: pre.windows?.hopSamples ?? pre.windowSamples,
    aggregate: pre.windows?.aggregate ?? 'mean-logits',
    zScoresRecords: teacherStandardized && !standardized,
  };
}

/** T^2 times the soft loss of the student's logits against the teacher's (both [B, classes]). */
export function softLoss(
  labelKind: LabelKind,
  student: Tensor,
  teacher: Tensor,
  temperature: number,
): Tensor {
  const s = F.div(student, temperature);
  const t = F.div(teacher, temperature);
  const loss =
    labelKind === 'multi-label'
      ? F.bceWithLogits(s, F.sigmoid(t))
      : F.neg(F.mean(F.sum(F.mul(F.softmax(t, 1), F.logSoftmax(s, 1)), [1])));
  return F.mul(loss, temperature * temperature);
}

/** (1 - alpha) hard + alpha soft. */
export function blendLosses(hard: Tensor, soft: Tensor, alpha: number): Tensor {
  return F.add(F.mul(hard, 1 - alpha), F.mul(soft, alpha));
}
