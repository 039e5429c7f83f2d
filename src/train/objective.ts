/**
 * The loss for the label kind, with class weights computed from the training split: multi-label BCE with
 * pos_weight = negatives / positives per class, single-label cross-entropy with weight = n / (classes * count)
 * (sklearn's "balanced"). A class absent from the training split gets weight 1.
 */
import type { DatasetEntry, LabelKind } from '../datasets/types.js';
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';

export interface ClassWeights {
  kind: 'pos_weight' | 'class_weight' | 'none';
  /** Per class, in class order (empty for none). */
  values: number[];
}

export function classWeights(
  labelKind: LabelKind,
  classCount: number,
  trainEntries: readonly DatasetEntry[],
  mode: 'balanced' | 'none',
): ClassWeights {
  if (mode === 'none') return { kind: 'none', values: [] };
  const counts = new Array<number>(classCount).fill(0);
  for (const entry of trainEntries) for (const label of entry.labels) counts[label]! += 1;
  const n = trainEntries.length;
  if (labelKind === 'multi-label') {
    return {
      kind: 'pos_weight',
      values: counts.map((positives) => (positives > 0 ? (n - positives) / positives : 1)),
    };
  }
  return { kind: 'class_weight', values: counts.map((count) => (count > 0 ? n / (classCount * count) : 1)) };
}

/** Targets of a batch: multi-hot float [B, classes] or class indices int64 [B]. */
export function targetTensor(
  labelKind: LabelKind,
  classCount: number,
  entries: readonly DatasetEntry[],
): Tensor {
  if (labelKind === 'multi-label') {
    const hot = new Float32Array(entries.length * classCount);
    entries.forEach((entry, b) => entry.labels.forEach((label) => (hot[b * classCount + label] = 1)));
    return F.tensor(hot, [entries.length, classCount]);
  }
  return F.tensor(
    BigInt64Array.from(entries, (entry) => BigInt(entry.labels[0] ?? 0)),
    [entries.length],
  );
}

export function lossOf(labelKind: LabelKind, logits: Tensor, target: Tensor, weights: ClassWeights): Tensor {
  const weight =
    weights.kind === 'none' ? null : F.tensor(Float32Array.from(weights.values), [weights.values.length]);
  return labelKind === 'multi-label'
    ? F.bceWithLogits(logits, target, { posWeight: weight })
    : F.crossEntropy(logits, target, { weight });
}
