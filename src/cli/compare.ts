import { mkdirSync } from 'node:fs';
import { basename, dirname, normalize, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { commandOutput } from './output.js';
import { renderSvg } from '../eval/report/plots.js';
import { compareArms, comparisonSpec, formatComparison, openArms } from '../train/cv-compare.js';
import { writeFileAtomic } from '../util/atomic.js';

interface CompareFlags {
  arm?: string[];
  ensemble?: boolean;
  baseline?: string;
  partial?: boolean;
  json?: boolean;
  details?: boolean;
  plot?: string;
  nestedOffsets?: string | boolean;
}

/** `label=dir` (an explicit label) or a bare folder (label null: labelArms gives it one). */
function armSpec(text: string): { label: string | null; dir: string } {
  const at = text.lastIndexOf('=');
  if (at <= 0) return { label: null, dir: text };
  return { label: text.slice(0, at), dir: text.slice(at + 1) };
}

/**
 * Only explicit labels make arms seeds of one recipe: a bare folder is labelled by the shortest end of its path that
 * no other bare folder ends with and no explicit label is (runs/lr1e-3/cinc-30s and runs/lr3e-3/cinc-30s are two
 * arms, not two seeds of cinc-30s).
 */
export function labelArms(
  specs: ReadonlyArray<{ label: string | null; dir: string }>,
): Array<{ label: string; dir: string }> {
  const taken = new Set(specs.flatMap(({ label }) => (label === null ? [] : [label])));
  const bare = specs.map(({ label, dir }) => (label === null ? pathParts(dir) : null));
  return specs.map(({ label, dir }, a) => {
    if (label !== null) return { label, dir };
    const others = bare.filter((parts, b): parts is string[] => parts !== null && b !== a);
    return { label: bareLabel(dir, bare[a]!, others, taken), dir };
  });
}

/** The shortest end of `parts` that no other bare folder's path ends with and no label is; else the path as given. */
function bareLabel(dir: string, parts: string[], others: string[][], taken: ReadonlySet<string>): string {
  const end = (path: string[], n: number) => path.slice(-n).join('/');
  for (let n = 1; n <= parts.length; n++) {
    const label = end(parts, n);
    if (!taken.has(label) && others.every((other) => end(other, n) !== label)) return label;
  }
  return parts.length > 0 ? dir : basename(resolve(dir));
}

function pathParts(dir: string): string[] {
  return normalize(dir)
    .split(sep)
    .filter((part) => part !== '' && part !== '.');
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'Compare cross-validation arms run on the same folds (`cv` output folders): per-fold figures, mean ± sd, pooled out-of-fold figure with its 95 % patient-bootstrap interval, and the paired per-fold difference against the first arm. A change is worth keeping when that difference beats its own spread.',
    )
    .argument(
      '[dirs...]',
      'cv folders, the first is the reference (label: the shortest end of its path that tells it from the others)',
    )
    .option(
      '--arm <label=dir>',
      "a labelled arm (repeatable; listed after the bare folders); arms given the same label are seeds of one recipe (their config.json may differ only in seed), compared seed by seed (each against the first recipe's run of the same seed; in the order given when no config.json records the seeds)",
      collect,
    )
    .option(
      '--ensemble',
      "add the arms' averaged out-of-fold logits (fold k averages the arms' fold-k models); with seeds, each recipe's seeds averaged",
    )
    .option(
      '--baseline <label=dir>',
      'the reference arm (listed first): the others are paired against it, and --ensemble averages only the others',
    )
    .option(
      '--nested-offsets [classes]',
      'decide every row (arms, ensembles) by argmax after per-class logit offsets fitted on its other folds only (nested; single-label tasks); classes: comma-separated, only these offsets move (e.g. S for beats); default all',
    )
    .option('--partial', 'compare on the folds every arm has finished (arms still running)')
    .option('--details', 'also every pooled figure (per class, per decision), one column per arm')
    .option('--json', 'print the figures as JSON')
    .option('--plot <file.svg>', 'write the per-fold figures, one line per arm, as an SVG chart')
    .action(async (dirs: string[], flags: CompareFlags, command: Command) => {
      const { out } = commandOutput(command);
      const specs = labelArms([
        ...(flags.baseline === undefined ? [] : [armSpec(flags.baseline)]),
        ...dirs.map((dir) => ({ label: null, dir })),
        ...(flags.arm ?? []).map(armSpec),
      ]);
      const { arms, folds, totalFolds } = openArms(specs, { partial: flags.partial ?? false });
      const comparison = compareArms(arms, folds, totalFolds, {
        ensemble: flags.ensemble ?? false,
        baseline: flags.baseline !== undefined,
        ...offsetOption(flags.nestedOffsets),
      });
      if (flags.plot) mkdirSync(dirname(flags.plot), { recursive: true });
      if (flags.plot) writeFileAtomic(flags.plot, await renderSvg(comparisonSpec(comparison)));
      out(
        flags.json
          ? `${JSON.stringify(comparison, null, 2)}\n`
          : formatComparison(comparison, { details: flags.details ?? false }),
      );
    });
}

function offsetOption(flag: string | boolean | undefined) {
  if (flag === undefined || flag === false) return {};
  if (flag === true) return { nestedOffsets: {} };
  return { nestedOffsets: { classes: flag.split(',').filter((name) => name !== '') } };
}

function collect(value: string, all: string[] = []): string[] {
  return [...all, value];
}
