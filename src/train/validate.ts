/**
 * Validation: every validation record is cut into windows of the training length (from 0 with a hop of one window
 * by default, plus one window aligned to the end so the tail is seen; records shorter than the window give one
 * padded window), the model's logits are averaged over a record's windows, and the metrics are computed per record.
 * The metric that selects checkpoints: macro AUROC (multi-label), the CinC 2017 F1 (mean F1 of N, A, O) for
 * CinC 2017's classes, macro F1 for other single-label datasets. Per-class thresholds maximise validation F1.
 */
import { CINC2017_CLASSES } from '../datasets/references.js';
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import {
  argmaxRows,
  cinc2017Score,
  confusionMatrix,
  multiclassReport,
  multilabelAuroc,
  multilabelAveragePrecision,
  selectThresholds,
  applyThresholds,
} from '../eval/index.js';
import { windowStarts, writeWindow, type WindowSpec } from './batch.js';
import type { TrainingData } from './data.js';
import { rowOf, type TrainableModel } from './model.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Each record's window logits combined (model in eval mode during the call, restored after): their mean, or per
 * class their maximum ('max': for sigmoid outputs the logit of the maximum window probability).
 */
export async function predictRecords(
  model: TrainableModel,
  data: TrainingData,
  indices: readonly number[],
  window: WindowSpec,
  hopSamples: number,
  batchSize: number,
  aggregate: 'mean-logits' | 'max' = 'mean-logits',
): Promise<Float64Array[]> {
  const classes = data.classes.length;
  const windows = indices.flatMap((index, r) =>
    windowStarts(data.store.slots[index]!.length, window.samples, hopSamples).map((start) => ({
      r,
      index,
      start,
    })),
  );
  const sums = indices.map(() => new Float64Array(classes).fill(aggregate === 'max' ? -Infinity : 0));
  const counts = new Array<number>(indices.length).fill(0);
  const size = data.store.leads * window.samples;
  const wasTraining = model.module.training;
  model.module.eval();
  try {
    for (let from = 0; from < windows.length; from += batchSize) {
      const chunk = windows.slice(from, from + batchSize);
      const batch = new Float32Array(chunk.length * size);
      chunk.forEach(({ index, start }, b) =>
        writeWindow(data.store, index, window, start, 0, batch.subarray(b * size, (b + 1) * size)),
      );
      const logits = scope(() =>
        noGrad(() => {
          const ecg = F.tensor(batch, [chunk.length, data.store.leads, window.samples]);
          const rows = chunk.map(({ index }) => rowOf(data, index));
          return model.logits(ecg, rows).data();
        }),
      );
      chunk.forEach(({ r }, b) => {
        const sum = sums[r]!;
        for (let c = 0; c < classes; c++) {
          const value = logits[b * classes + c]!;
          sum[c] = aggregate === 'max' ? Math.max(sum[c]!, value) : sum[c]! + value;
        }
        counts[r]! += 1;
      });
      await yieldToEventLoop(); // Node frees native handles from the event loop only.
    }
  } finally {
    model.module.train(wasTraining);
  }
  return aggregate === 'max' ? sums : sums.map((sum, r) => sum.map((value) => value / counts[r]!));
}

export interface ValidationMetrics {
  /** Name and value of the checkpoint-selecting metric (null when undefined on this validation set). */
  metric: string;
  value: number | null;
  /** Other figures (accuracy, macro AUROC/AP, per-class F1...). */
  details: Record<string, unknown>;
  /** Per-class probability threshold maximising validation F1 (null: no validation positives). */
  thresholds: Record<string, number | null>;
  records: number;
}

/** A validation's figures as checkpoint metadata stores them (null: not validated). */
export function validationSummary(validation: ValidationMetrics | null): Record<string, unknown> | null {
  return validation
    ? {
        metric: validation.metric,
        value: validation.value,
        records: validation.records,
        ...validation.details,
      }
    : null;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function softmaxRow(row: Float64Array): Float64Array {
  const max = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((x) => x / total);
}

/** Probabilities as the model's output activation gives them: sigmoid (multi-label) or softmax (single-label). */
export function probabilities(
  labelKind: TrainingData['labelKind'],
  logits: readonly Float64Array[],
): Float64Array[] {
  return logits.map((row) => (labelKind === 'multi-label' ? row.map(sigmoid) : softmaxRow(row)));
}

/**
 * The metrics of `logits` on the records `indices`. A multi-label run's thresholds are chosen on these records (saved
 * with a single run's checkpoint); the F1 at them is reported only with `thresholdF1` (a single run's selection
 * split, a training log), never for held-out folds, where nothing may be fitted on the records a figure reports.
 */
export function validationMetrics(
  data: Pick<TrainingData, 'classes' | 'labelKind' | 'entries'>,
  indices: readonly number[],
  logits: readonly Float64Array[],
  { thresholdF1 = false }: { thresholdF1?: boolean } = {},
): ValidationMetrics {
  const classes = data.classes;
  const metric = primaryMetricName(data);
  if (logits.some((row) => row.some((x) => !Number.isFinite(x)))) {
    return {
      metric,
      value: null,
      details: { error: 'non-finite model outputs' },
      thresholds: {},
      records: logits.length,
    };
  }
  const probs = probabilities(data.labelKind, logits);
  const entries = indices.map((i) => data.entries[i]!);
  const hot = entries.map((entry) => {
    const row = new Float64Array(classes.length);
    for (const label of entry.labels) row[label] = 1;
    return row;
  });
  const selected = selectThresholds(hot, probs, classes);
  const auroc = multilabelAuroc(hot, probs, classes);
  const details: Record<string, unknown> = {
    macro_auroc: auroc.macro,
    auroc_per_class: auroc.perClass,
    macro_ap: multilabelAveragePrecision(hot, probs, classes).macro,
  };
  let value: number | null;
  if (data.labelKind === 'multi-label') {
    if (thresholdF1)
      details.macro_f1_at_thresholds = applyThresholds(hot, probs, classes, selected.thresholds).macroF1;
    value = auroc.macro;
  } else {
    const reference = Int32Array.from(entries, (entry) => entry.labels[0] ?? 0);
    const report = multiclassReport(confusionMatrix(reference, argmaxRows(probs), classes));
    details.accuracy = report.accuracy;
    details.macro_f1 = report.macroF1;
    details.f1_per_class = Object.fromEntries(
      Object.entries(report.perClass).map(([name, r]) => [name, r.f1]),
    );
    value = report.macroF1;
    if (metric === 'cinc2017_f1') {
      value = cinc2017Score(confusionMatrix(reference, argmaxRows(probs), CINC2017_CLASSES)).f1;
      details.cinc2017_f1 = value;
    }
  }
  return { metric, value, details, thresholds: selected.thresholds, records: logits.length };
}

export function primaryMetricName(data: Pick<TrainingData, 'classes' | 'labelKind'>): string {
  if (data.labelKind === 'multi-label') return 'macro_auroc';
  return data.classes.join(',') === CINC2017_CLASSES.join(',') ? 'cinc2017_f1' : 'macro_f1';
}
