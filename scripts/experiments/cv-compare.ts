/**
 * Compares cross-validation arms run on the same folds: a markdown table with each arm's mean ± sd over folds, its
 * pooled out-of-fold figure with the patient-bootstrap interval, and the paired per-fold difference against the
 * first arm (mean ± sd of the differences, and on how many folds it is positive). Arms must share folds.
 * With --ensemble, also the pooled figure of the arms' averaged logits (an ensemble of the arms, e.g. two seeds).
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
  .option('--ensemble', 'add the pooled figure of the average of the arms’ out-of-fold logits')
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
  const pooled = arms.map(({ dir, summary }) =>
    poolOutputs(readHeldout(dir, summary.folds)!.map((h) => h.outputs)),
  );
  const positions = pooled.map((arm) => new Map(arm.ids.map((id, i) => [id, i])));
  if (
    pooled.some(
      (arm) => arm.ids.length !== pooled[0]!.ids.length || arm.ids.some((id) => !positions[0]!.has(id)),
    )
  )
    throw new Error('arms hold different records');
  const averaged: TaskOutputs = {
    ...pooled[0]!,
    logits: pooled[0]!.ids.map((id) =>
      pooled[0]!.classes.map(
        (_, c) =>
          pooled.reduce((sum, arm, a) => sum + arm.logits[positions[a]!.get(id)!]![c]!, 0) / pooled.length,
      ),
    ),
  };
  const metrics = outputsMetrics(averaged);
  const interval = headlineIntervals(averaged)[metrics.metric];
  rows.push([
    `average of the ${arms.length} arms' logits`,
    'n/a (pooled only)',
    `${f(metrics.value)} ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''}`,
    '—',
  ]);
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
