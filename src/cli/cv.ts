import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DATASETS } from '../datasets/index.js';
import { WorkerProcessError } from '../errors.js';
import { crossValidate, foldDir, foldGroups, type CvSummary } from '../train/cv.js';
import type { TrainConfig } from '../train/config.js';
import { superviseProcesses } from '../train/launch.js';
import { RUN_FILES } from '../train/loop.js';
import { commandOutput } from './output.js';
import { integerIn, positiveInteger } from './parsers.js';
import {
  addTrainOptions,
  progressCallbacks,
  skippedNotice,
  stopOnInterrupt,
  trainConfigFromFlags,
  type TrainFlags,
} from './train.js';

interface CvFlags extends TrainFlags {
  folds: number;
  only?: number[];
  parallel?: number;
}

function foldList(value: string): number[] {
  const list = value.split(',').map(Number);
  if (!list.every((n) => Number.isInteger(n) && n >= 1))
    throw new InvalidArgumentError('expected fold numbers, e.g. 1,2');
  return list;
}

const SUMMARY_WAITS =
  'these folds are done; the summary waits for the others (run them, or the same command again)';
const INTERRUPTED =
  'stopped: finished folds are kept, the interrupted one resumes from its last saved epoch; run the same command again';
/** Set by `cv --parallel` in its fold processes: their launcher writes the summary, nothing is left to the user. */
const FOLD_PROCESS_ENV = 'EFFICIENTECG_CV_FOLD_PROCESS';
const LAUNCHED_WAITS = 'these folds are done; the summary is written when the last fold ends';

const fixed = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

/** The summary as people read it: one line per fold, mean ± sd, pooled with its interval. */
export function formatCvSummary(summary: CvSummary): string {
  const lines = [`${summary.folds}-fold cross-validation (${summary.task}), ${summary.metric}:`];
  for (const fold of summary.perFold)
    lines.push(`  fold ${fold.fold}: ${fixed(fold.value)} (${fold.items} items)`);
  const present = summary.perFold.filter((fold) => fold.value !== null).length;
  // A fold without a figure is left out of the mean ± sd: say so, it is not a figure over every fold.
  const over = present < summary.perFold.length ? `${present} of ${summary.perFold.length} folds` : 'folds';
  lines.push(`  mean ± sd over ${over}: ${fixed(summary.mean)} ± ${fixed(summary.sd)}`);
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
        integerIn(2),
      )
      .option(
        '--only <folds>',
        'run only these folds in this process (e.g. 1,2), for several processes or machines',
        foldList,
      )
      .option(
        '--parallel <n>',
        'run the folds (or the --only folds) in n processes on this machine, each taking every n-th of them as --only would; give each --threads so that n x threads <= cores',
        positiveInteger,
      ),
  ).action(async (flags: CvFlags, command: Command) => {
    const config = trainConfigFromFlags(flags);
    const out = commandOutput(command);
    if (flags.parallel !== undefined && flags.parallel > 1) {
      const summary = await runFoldProcesses(config, flags, out.err);
      if (summary === null) out.err(`cv: ${SUMMARY_WAITS}\n`);
      else out.out(formatCvSummary(summary));
      return;
    }
    const interrupt = stopOnInterrupt('resume: run the same command again', out.err);
    const progress = foldProgress(config.out, flags.only ?? range(flags.folds));
    try {
      // Each fold opens the folder: one notice; of cv --parallel's fold processes, the one with fold 1 tells.
      let told = process.env[FOLD_PROCESS_ENV] === '1' && !(flags.only ?? []).includes(1);
      const open = async () => {
        const dataset = await DATASETS[config.dataset].open(config.data);
        const skipped = told ? null : skippedNotice(dataset);
        told = true;
        if (skipped !== null) out.err(skipped);
        return dataset;
      };
      const summary = await crossValidate(config, open, {
        folds: flags.folds,
        ...(flags.only ? { only: flags.only } : {}),
        signal: interrupt.signal,
        modelsDir: command.optsWithGlobals<{ modelsDir?: string }>().modelsDir,
        ...progressCallbacks(),
        onFold: (event) => out.err(progress(event)),
      });
      if (summary === null && interrupt.signal.aborted) {
        out.err(`cv: ${INTERRUPTED}\n`);
        return;
      }
      if (summary === null) {
        out.err(`cv: ${process.env[FOLD_PROCESS_ENV] === '1' ? LAUNCHED_WAITS : SUMMARY_WAITS}\n`);
        return;
      }
      out.out(formatCvSummary(summary));
    } finally {
      interrupt.done();
    }
  });
}

const range = (folds: number) => Array.from({ length: folds }, (_, i) => i + 1);

/**
 * The progress line of each fold event. The ETA counts the folds this process trains: folds already done when it
 * starts (a resumed CV) are skipped, not left.
 */
function foldProgress(out: string, selected: readonly number[]) {
  const toTrain = selected.filter((fold) => !existsSync(join(foldDir(out, fold), RUN_FILES.heldout))).length;
  const started = performance.now();
  let finished = 0;
  return ({ fold, folds, status }: { fold: number; folds: number; status: string }): string => {
    if (status === 'finished') finished += 1;
    const left = Math.max(0, toTrain - finished);
    const perFold = (performance.now() - started) / 1000 / finished;
    const minutes = Math.round((perFold * left) / 60);
    const time = left === 0 ? '' : minutes < 1 ? ', <1 min left' : `, ~${minutes} min left`;
    const eta = finished > 0 ? `, ${left} more to train here${time}` : '';
    return `cv: fold ${fold}/${folds} ${status}${eta}\n`;
  };
}

/**
 * `cv --parallel N`: this process only supervises N fold processes (this same command with `--only` its share of
 * the folds) through the launcher `train --nproc-per-node` uses (one fails: the others are stopped), then writes the
 * summary, or returns null while folds outside this run's are missing.
 */
async function runFoldProcesses(
  config: TrainConfig,
  flags: CvFlags,
  log: (text: string) => void,
): Promise<CvSummary | null> {
  const selected = flags.only ?? range(flags.folds);
  const groups = foldGroups(selected, flags.parallel!);
  log(`cv: ${groups.length} fold processes: ${groups.map((g) => `folds ${g.join(',')}`).join('; ')}\n`);
  // Commander keeps an option's last value: the appended flags override the user's --only and --parallel.
  const command = [...process.execArgv, ...process.argv.slice(1)];
  await superviseProcesses(
    process.execPath,
    groups.map((folds, i) => {
      const label = `folds ${folds.join(',')}`;
      return {
        label,
        args: [...command, '--parallel', '1', '--only', folds.join(',')],
        env: { [FOLD_PROCESS_ENV]: '1' },
        failed: (how: string) =>
          new WorkerProcessError(
            `cv: fold process ${i + 1} (${label})`,
            `${how}; the others were stopped (the same command resumes)`,
          ),
      };
    }),
    (line) => log(`${line}\n`),
    // Each process would print the summary if it finished the last fold: this one prints it once.
    { stdout: 'ignore', prefixStderr: true },
  );
  return crossValidate(config, () => DATASETS[config.dataset].open(config.data), {
    folds: flags.folds,
    only: [],
  });
}
