/**
 * Knowledge distillation (Hinton et al. 2015) for the record task: the student learns from the hard labels and from
 * the averaged logits of one or more teachers (`config.distill`), e.g. an ensemble of heavier baselines.
 *
 * Teachers are trained checkpoints of any registry model on the same classes and preprocessing. In a
 * cross-validation fold, a teacher given as a CV folder is that folder's model of the *same fold* (trained on the same
 * training folds), so no teacher has seen the fold the student reports. Teachers score each training record once, at
 * the start of the run (their own windows and aggregation, eval mode): the soft target is per record, whatever crop
 * the student sees.
 *
 * loss = (1 - alpha) * hard loss + alpha * T^2 * soft loss, with the soft loss
 * - single-label: cross-entropy of softmax(student / T) against softmax(teacher / T) (the KL divergence up to the
 *   teacher's entropy, a constant: the same gradient);
 * - multi-label: binary cross-entropy of sigmoid(student / T) against sigmoid(teacher / T), per class.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelKind } from '../datasets/types.js';
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError, MissingFileError } from '../errors.js';
import { readCheckpoint } from '../export/checkpoint.js';
import type { TrainConfig } from './config.js';
import type { TrainingData } from './data.js';
import { resolveInitCheckpoint } from './init.js';
import { trainableFromSpec } from './model.js';
import { predictRecords } from './validate.js';

export type DistillConfig = NonNullable<TrainConfig['distill']>;

/**
 * The checkpoint of teacher `spec` for this run: a CV folder gives its fold-k model in fold k of a CV (and is refused
 * outside one); a run folder its best (else last) checkpoint; otherwise a bundled model name or a .safetensors file.
 */
export function teacherCheckpointPath(
  spec: string,
  cvFold: TrainConfig['cvFold'],
  modelsDir?: string,
): string {
  if (!(existsSync(spec) && statSync(spec).isDirectory())) return resolveInitCheckpoint(spec, modelsDir);
  if (existsSync(join(spec, 'fold-1'))) {
    if (cvFold === null)
      throw new ConfigError(
        `teacher ${spec} is a cross-validation folder: use it in a cv run (each fold its own)`,
      );
    const path = join(spec, `fold-${cvFold.fold}`, 'last.safetensors');
    if (!existsSync(path))
      throw new MissingFileError(path, `teacher fold ${cvFold.fold} has no last checkpoint`);
    return path;
  }
  for (const file of ['best.safetensors', 'last.safetensors'])
    if (existsSync(join(spec, file))) return join(spec, file);
  throw new MissingFileError(spec, 'teacher folder holds no best.safetensors or last.safetensors');
}

/** The teachers' averaged logits for the records `indices` (row k for indices[k]). */
export async function teacherLogits(
  distill: DistillConfig,
  cvFold: TrainConfig['cvFold'],
  data: TrainingData,
  indices: readonly number[],
  modelsDir?: string,
): Promise<Float64Array[]> {
  const sum = indices.map(() => new Float64Array(data.classes.length));
  for (const spec of distill.teachers) {
    const path = teacherCheckpointPath(spec, cvFold, modelsDir);
    const logits = await oneTeacher(path, data, indices);
    logits.forEach((row, r) => row.forEach((x, c) => (sum[r]![c]! += x / distill.teachers.length)));
  }
  return sum;
}

async function oneTeacher(
  path: string,
  data: TrainingData,
  indices: readonly number[],
): Promise<Float64Array[]> {
  const checkpoint = readCheckpoint(path);
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
  };
  if (pre.fs !== data.fs || (pre.leads?.length ?? data.store.leads) !== data.store.leads)
    throw new ConfigError(
      `teacher ${path}: reads ${pre.leads?.length ?? '?'} leads at ${pre.fs} Hz, the data ${data.store.leads} at ${data.fs} Hz`,
    );
  const model = trainableFromSpec(checkpoint.metadata.model);
  try {
    model.module.loadState(checkpoint.state, path);
    model.module.eval();
    const window = { samples: pre.windowSamples, shortRecords: pre.shortRecords ?? 'zero-pad', fs: data.fs };
    const hop = pre.windows?.hopSamples ?? pre.windowSamples;
    return await predictRecords(
      model,
      data,
      indices,
      window,
      hop,
      64,
      pre.windows?.aggregate ?? 'mean-logits',
    );
  } finally {
    model.module.dispose();
  }
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
