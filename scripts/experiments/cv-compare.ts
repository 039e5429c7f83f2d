/**
 * Compares cross-validation arms run on the same folds: a markdown table with each arm's mean ± sd over folds, its
 * pooled out-of-fold figure with the patient-bootstrap interval, and the paired per-fold difference against the
 * first arm (mean ± sd of the differences, and on how many folds it is positive). Arms must share folds.
 * With --ensemble, also the arms' averaged logits (an ensemble of the arms, e.g. two seeds): per fold (fold k averages
 * the arms' fold-k models on fold k), pooled, and paired against the first arm.
 *
 * With --partial, arms are compared on the folds all of them have finished (fold-k/heldout.json), so an arm run
 * fold by fold over several sessions can be read before its last fold; the table says which folds.
 *
 *   npx tsx scripts/experiments/cv-compare.ts --arm "10 s crops=runs/cv/A" --arm "2.5 s crops, max=runs/cv/B" [--ensemble]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  headlineIntervals,
  outputsMetrics,
  poolOutputs,
  readHeldout,
  summarise,
  type CvSummary,
} from '../../src/train/cv.js';
import type { HeldoutFile } from '../../src/train/loop.js';
import type { TrainConfig } from '../../src/train/config.js';
import { pairedDifference } from '../../src/train/cv-offsets.js';
import type { TaskOutputs } from '../../src/train/task.js';

const options = new Command()
  .requiredOption('--arm <label=dir>', 'an arm (repeat)', (value: string, all: string[] = []) => [
    ...all,
    value,
  ])
  .option('--ensemble', 'add the arms’ averaged out-of-fold logits (per fold, pooled, paired)')
  .option('--partial', 'compare on the folds every arm has finished so far')
  .parse()
  .opts<{ arm: string[]; ensemble?: boolean; partial?: boolean }>();

/** Folds of a CV folder whose heldout.json is written. */
function finishedFolds(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => /^fold-(\d+)$/.exec(name)?.[1])
    .filter((k): k is string => k !== undefined && existsSync(join(dir, `fold-${k}`, 'heldout.json')))
    .map(Number)
    .sort((a, b) => a - b);
}

const specs = options.arm.map((spec) => {
  const at = spec.lastIndexOf('=');
  return { label: spec.slice(0, at), dir: spec.slice(at + 1) };
});
const common = options.partial
  ? specs.map(({ dir }) => finishedFolds(dir)).reduce((a, b) => a.filter((k) => b.includes(k)))
  : null;
if (common !== null && common.length === 0) throw new Error('no fold is finished in every arm');
const arms = specs.map(({ label, dir }) => {
  if (common === null) {
    const summary = JSON.parse(readFileSync(join(dir, 'cv.json'), 'utf8')) as CvSummary;
    return { label, dir, summary, heldout: () => readHeldout(dir, summary.folds)! };
  }
  const files = common.map(
    (k) => JSON.parse(readFileSync(join(dir, `fold-${k}`, 'heldout.json'), 'utf8')) as HeldoutFile,
  );
  // The summary of these folds only (its config is not read below).
  return { label, dir, summary: summarise(files, {} as TrainConfig), heldout: () => files };
});
if (common !== null) process.stdout.write(`folds ${common.join(', ')} (finished in every arm)\n\n`);
const reference = arms[0]!;
const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));

const rows = arms.map(({ label, summary }) => {
  const interval = summary.intervals[summary.metric];
  const paired = pairedDifference(reference.summary, summary);
  return [
    label,
    summary.perFold.map((fold) => f(fold.value)).join(' / '),
    `${f(summary.mean)} ± ${f(summary.sd)}`,
    `${f(summary.pooled.value)} ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''}`,
    label === reference.label
      ? '—'
      : `${paired.mean >= 0 ? '+' : ''}${f(paired.mean)} ± ${f(paired.sd)} (${paired.up}/${paired.folds} folds up)`,
  ];
});

if (options.ensemble) {
  const heldout = arms.map((arm) => arm.heldout());
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
    values.map(f).join(' / '),
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
    `| arm | ${metric} per fold | ${metric}, mean ± sd over ${reference.summary.folds} folds | pooled out-of-fold [95 % CI] | paired difference vs ${reference.label} |`,
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ].join('\n'),
);
