import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
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

/** `label=dir` or a bare folder (labelled by its name). */
function armSpec(text: string): { label: string; dir: string } {
  const at = text.lastIndexOf('=');
  if (at <= 0) return { label: basename(resolve(text)), dir: text };
  return { label: text.slice(0, at), dir: text.slice(at + 1) };
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'Compare cross-validation arms run on the same folds (`cv` output folders): per-fold figures, mean ± sd, pooled out-of-fold figure with its 95 % patient-bootstrap interval, and the paired per-fold difference against the first arm. A change is worth keeping when that difference beats its own spread.',
    )
    .argument('[dirs...]', 'cv folders, the first is the reference (label: the folder name)')
    .option(
      '--arm <label=dir>',
      "a labelled arm (repeatable; listed after the bare folders); arms given the same label are seeds of one recipe, compared seed by seed (seed k against the first recipe's seed k)",
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
      const specs = [
        ...(flags.baseline === undefined ? [] : [armSpec(flags.baseline)]),
        ...dirs.map((dir) => ({ label: basename(resolve(dir)), dir })),
        ...(flags.arm ?? []).map(armSpec),
      ];
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
