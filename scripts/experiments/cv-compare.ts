/**
 * Compares cross-validation arms run on the same folds: a markdown table with each arm's mean ± sd over folds, its
 * pooled out-of-fold figure with the patient-bootstrap interval, and the paired per-fold difference against the
 * first arm (mean ± sd of the differences, and on how many folds it is positive). Arms must share folds.
 * With --ensemble, also the arms' averaged logits (an ensemble of the arms, e.g. two seeds): per fold (fold k averages
 * the arms' fold-k models on fold k), pooled, and paired against the first arm.
 *
 *   npx tsx scripts/experiments/cv-compare.ts --arm "10 s crops=runs/cv/A" --arm "2.5 s crops, max=runs/cv/B" [--ensemble]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  headlineIntervals,
  outputsMetrics,
  poolOutputs,
  readHeldout,
  type CvSummary,
} from '../../src/train/cv.js';
import { pairedDifference } from '../../src/train/cv-offsets.js';
import type { TaskOutputs } from '../../src/train/task.js';

const options = new Command()
  .requiredOption('--arm <label=dir>', 'an arm (repeat)', (value: string, all: string[] = []) => [
    ...all,
    value,
  ])
  .option('--ensemble', 'add the arms’ averaged out-of-fold logits (per fold, pooled, paired)')
  .parse()
  .opts<{ arm: string[]; ensemble?: boolean }>();

const arms = options.arm.map((spec) => {
  const at = spec.lastIndexOf('=');
  const dir = spec.slice(at + 1);
  return {
    label: spec.slice(0, at),
    dir,
    summary: JSON.parse(readFileSync(join(dir, 'cv.json'), 'utf8')) as CvSummary,
  };
});
const reference = arms[0]!;
const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));

const rows = arms.map(({ label, summary }) => {
  const interval = summary.intervals[summary.metric];
  const paired = pairedDifference(reference.summary, summary);
  return [
    label,
    `${f(summary.mean)} ± ${f(summary.sd)}`,
    `${f(summary.pooled.value)} ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''}`,
    label === reference.label
      ? '—'
      : `${paired.mean >= 0 ? '+' : ''}${f(paired.mean)} ± ${f(paired.sd)} (${paired.up}/${paired.folds} folds up)`,
  ];
});

if (options.ensemble) {
  const heldout = arms.map(({ dir, summary }) => readHeldout(dir, summary.folds)!);
  // Each fold's held-out records scored by every arm's fold-k model: their logits averaged, fold by fold.
  const perFold = heldout[0]!.map((_, k) => averageLogits(heldout.map((folds) => folds[k]!.outputs)));
  const values = perFold.map((outputs) => outputsMetrics(outputs).value ?? NaN);
  const pooled = poolOutputs(perFold);
  const metrics = outputsMetrics(pooled);
  const interval = headlineIntervals(pooled)[metrics.metric];
  const summaryLike = { ...reference.summary, perFold: values.map((value) => ({ value })) } as CvSummary;
  const paired = pairedDifference(reference.summary, summaryLike);
  rows.push([
    `average of the ${arms.length} arms' logits`,
    `${f(mean(values))} ± ${f(sd(values))}`,
    `${f(metrics.value)} ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''}`,
    `${paired.mean >= 0 ? '+' : ''}${f(paired.mean)} ± ${f(paired.sd)} (${paired.up}/${paired.folds} folds up)`,
  ]);
}

/** The arms' outputs for the same records (matched by id), with their logits averaged. */
function averageLogits(outputs: TaskOutputs[]): TaskOutputs {
  const [first] = outputs;
  const positions = outputs.map((o) => new Map(o.ids.map((id, i) => [id, i])));
  if (
    outputs.some(
      (o, a) => o.ids.length !== first!.ids.length || first!.ids.some((id) => !positions[a]!.has(id)),
    )
  )
    throw new Error('arms hold different records in a fold');
  return {
    ...first!,
    logits: first!.ids.map((id) =>
      first!.classes.map(
        (_, c) =>
          outputs.reduce((sum, o, a) => sum + o.logits[positions[a]!.get(id)!]![c]!, 0) / outputs.length,
      ),
    ),
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, values.length - 1));
}

const metric = reference.summary.metric;
process.stdout.write(
  [
    `| arm | ${metric}, mean ± sd over ${reference.summary.folds} folds | pooled out-of-fold [95 % CI] | paired difference vs ${reference.label} |`,
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ].join('\n'),
);
