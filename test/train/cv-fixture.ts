/**
 * Synthetic CV folders for the summary and comparison tests: fold-k/heldout.json of a 3-class single-label records
 * task (logits from a seeded generator, the true class raised by `skill`) and, unless `config` is null, the
 * fold-k/config.json that `cv` writes. No training: the folds are done, so crossValidate only summarises.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../../src/train/config.js';
import { foldDir, outputsMetrics } from '../../src/train/cv.js';
import { RUN_FILES } from '../../src/train/loop.js';
import type { TaskOutputs } from '../../src/train/task.js';
import { tinyConfig } from './helpers.js';

export interface FixtureOptions {
  folds?: number;
  perFold?: number;
  /** Logit noise seed. */
  noise?: number;
  skill?: number;
  /** Settings of every fold's config.json (over tinyConfig); null: no config.json (a fold rebuilt from a bundle). */
  config?: ((fold: number) => Record<string, unknown>) | null;
  /** Logits of these items are replaced as given (e.g. [NaN, 0, 0], written as null by JSON). */
  logits?: (fold: number, item: number) => number[] | undefined;
}

/** The records task's outputs of fold `fold` (item ids `r<fold>-<i>`, one patient each). */
export function foldOutputs(fold: number, options: FixtureOptions = {}): TaskOutputs {
  const per = options.perFold ?? 30;
  let state = ((options.noise ?? 1) * 7919 + fold) >>> 0;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const ids = Array.from({ length: per }, (_, i) => `r${fold}-${i}`);
  const labels = ids.map((_, i) => [(i + fold) % 3]);
  const logits = labels.map(
    ([y], i) =>
      options.logits?.(fold, i) ??
      [0, 1, 2].map((c) => (c === y ? (options.skill ?? 1) : 0) + 2 * (random() - 0.5)),
  );
  return {
    task: 'records',
    classes: ['a', 'b', 'c'],
    labelKind: 'single-label',
    ids,
    groups: ids,
    labels,
    logits,
  };
}

/** Writes a finished CV at `dir`; returns the run config its folds were trained with (fold 1's). */
export function writeCv(dir: string, options: FixtureOptions = {}): TrainConfig {
  const folds = options.folds ?? 3;
  const settings = options.config === undefined ? () => ({}) : options.config;
  for (let fold = 1; fold <= folds; fold++) {
    const outputs = foldOutputs(fold, options);
    const out = foldDir(dir, fold);
    mkdirSync(out, { recursive: true });
    const metrics = outputsMetrics(outputs);
    writeFileSync(join(out, RUN_FILES.heldout), JSON.stringify({ fold, folds, metrics, outputs }));
    if (settings === null) continue;
    const config = { ...tinyConfig(out, settings(fold)), cvFold: { folds, fold } };
    writeFileSync(join(out, RUN_FILES.config), JSON.stringify(config, null, 2));
  }
  return tinyConfig(dir, settings?.(1) ?? {});
}
