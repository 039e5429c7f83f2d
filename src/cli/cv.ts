import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DATASETS } from '../datasets/index.js';
import { crossValidate, type CvSummary } from '../train/cv.js';
import { commandOutput } from './output.js';
import {
  addTrainOptions,
  progressCallbacks,
  stopOnInterrupt,
  trainConfigFromFlags,
  type TrainFlags,
} from './train.js';

interface CvFlags extends TrainFlags {
  folds: number;
  only?: number[];
}

function folds(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 2) throw new InvalidArgumentError('expected an integer >= 2');
  return parsed;
}

function foldList(value: string): number[] {
  const list = value.split(',').map(Number);
  if (!list.every((n) => Number.isInteger(n) && n >= 1))
    throw new InvalidArgumentError('expected fold numbers, e.g. 1,2');
  return list;
}

const fixed = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

/** The summary as people read it: one line per fold, mean ± sd, pooled with its interval. */
export function formatCvSummary(summary: CvSummary): string {
  const lines = [`${summary.folds}-fold cross-validation (${summary.task}), ${summary.metric}:`];
  for (const fold of summary.perFold)
    lines.push(`  fold ${fold.fold}: ${fixed(fold.value)} (${fold.items} items)`);
  lines.push(`  mean ± sd over folds: ${fixed(summary.mean)} ± ${fixed(summary.sd)}`);
  const interval = summary.intervals[summary.metric];
  lines.push(
    `  pooled out-of-fold: ${fixed(summary.pooled.value)}${interval ? ` [${fixed(interval[0])}, ${fixed(interval[1])}]` : ''} (${summary.pooled.items} items)`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerCv(program: Command): void {
  addTrainOptions(
    program
      .command('cv')
      .description(
        'Patient-grouped, label-stratified K-fold cross-validation: each fold trains on the others with a fixed schedule (no early stopping, nothing selected on the held-out fold) and scores its held-out records with the last weights. Writes --out/fold-k/ (ordinary runs) and --out/cv.json (per-fold figures, mean ± sd, pooled out-of-fold metrics with bootstrap intervals). Re-running the same command resumes: finished folds are kept, a killed fold continues from its last checkpoint.',
      )
      .requiredOption(
        '--folds <k>',
        'number of folds (PTB-XL: its strat_folds grouped into k; others: seeded)',
        folds,
      )
      .option(
        '--only <folds>',
        'run only these folds in this process (e.g. 1,2), for several processes or machines',
        foldList,
      ),
  ).action(async (flags: CvFlags, command: Command) => {
    const config = trainConfigFromFlags(flags);
    const out = commandOutput(command);
    const interrupt = stopOnInterrupt();
    const started = performance.now();
    let finished = 0;
    try {
      const summary = await crossValidate(config, () => DATASETS[config.dataset].open(config.data), {
        folds: flags.folds,
        ...(flags.only ? { only: flags.only } : {}),
        signal: interrupt.signal,
        modelsDir: command.optsWithGlobals<{ modelsDir?: string }>().modelsDir,
        ...progressCallbacks(),
        onFold: ({ fold, folds: k, status }) => {
          if (status === 'finished') finished += 1;
          const perFold = finished > 0 ? (performance.now() - started) / 1000 / finished : null;
          const left = flags.only ? flags.only.length : k;
          const eta =
            perFold === null
              ? ''
              : `, ~${Math.round((perFold * Math.max(0, left - finished)) / 60)} min left`;
          out.err(`cv: fold ${fold}/${k} ${status}${eta}\n`);
        },
      });
      if (summary === null) {
        out.err('cv: not every fold is done yet (run the remaining folds, or the same command again)\n');
        return;
      }
      out.out(formatCvSummary(summary));
    } finally {
      interrupt.done();
    }
  });
}
