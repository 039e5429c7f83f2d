import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandOutput } from './output.js';
import { oneOf, positiveInteger, wholeNumber } from './parsers.js';
import { requireInputDir, requireOutputFile } from './paths.js';
import { openCustom } from '../datasets/custom.js';
import { DATASETS, type DatasetName } from '../datasets/index.js';
import { ConfigError } from '../errors.js';
import { formatReport } from '../eval/report/table.js';
import { writeReport } from '../eval/report/write.js';
import { EVALUATION_SPLITS, EVALUATIONS, evaluate, type EvaluationSplit } from '../infer/evaluate.js';
import { Predictor } from '../infer/predictor.js';
import { resolveModel } from '../models/bundled.js';
import { writeFileAtomic } from '../util/atomic.js';

interface EvaluateFlags {
  model: string;
  dataset: string;
  data: string;
  split: EvaluationSplit;
  json?: string;
  report?: string;
  resamples: number;
  threads: number;
}

const MIN_RESAMPLES = 20;

/** 0 (no intervals) or enough resamples that a 95 % interval's tails are not a single resample. */
function resampleCount(value: string): number {
  const n = wholeNumber(value);
  if (n > 0 && n < MIN_RESAMPLES)
    throw new InvalidArgumentError(`expected 0 (no intervals) or at least ${MIN_RESAMPLES}`);
  return n;
}

/** The records bar on stderr; its ETA in hours/minutes/seconds, as the other commands' bars show it. */
export function evaluateBar(stream: NodeJS.WritableStream = process.stderr): SingleBar {
  return new SingleBar({
    stream,
    format: 'evaluate [{bar}] {value}/{total} records | ETA {eta_formatted}',
    hideCursor: true,
  });
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      "Score a model on a dataset folder with the dataset's official metrics and bootstrap 95 % intervals, through onnxruntime (no libtorch)",
    )
    .requiredOption('--model <name|path>', 'bundled model name or .onnx file')
    .requiredOption('--dataset <name>', Object.keys(EVALUATIONS).join('|'), oneOf(Object.keys(EVALUATIONS)))
    .requiredOption('--data <dir>', 'dataset folder in its official layout')
    .option(
      '--split <split>',
      `${EVALUATION_SPLITS.join('|')} (all: every record in the folder, e.g. a held-out fold)`,
      oneOf(EVALUATION_SPLITS),
      'test',
    )
    .option('--json <file>', 'write the result JSON')
    .option('--report <file>', 'write the report: FILE.html and FILE.md (with SVG figures) side by side')
    .option(
      '--resamples <n>',
      `bootstrap resamples for the 95 % intervals (0: none, else >= ${MIN_RESAMPLES})`,
      resampleCount,
      200,
    )
    .option('--threads <n>', 'onnxruntime threads', positiveInteger, 2)
    .action(async (flags: EvaluateFlags, command: Command) => {
      const output = commandOutput(command);
      if (/\.safetensors$/i.test(flags.model)) {
        throw new ConfigError(
          `--model ${flags.model}: evaluate runs ONNX models; export it first (efficientecg export)`,
        );
      }
      requireInputDir('--data', flags.data);
      if (flags.json) requireOutputFile('--json', flags.json);
      const resolved = resolveModel(
        flags.model,
        'onnx',
        command.optsWithGlobals<{ modelsDir?: string }>().modelsDir,
      );
      const predictor = await Predictor.load(resolved.path, {
        name: resolved.name,
        threads: flags.threads,
      });
      try {
        // A model is scored on all of its classes: a folder of one's own may have no record of some.
        const dataset =
          flags.dataset === 'custom'
            ? await openCustom(flags.data, { allowEmptyClasses: true })
            : await DATASETS[flags.dataset as DatasetName].open(flags.data);
        const bar = evaluateBar();
        let started = false;
        const evaluation = await evaluate(predictor, dataset, {
          split: flags.split,
          resamples: flags.resamples,
          onProgress: (done, total) => {
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(done);
          },
        }).finally(() => bar.stop());
        // On stderr too: a reader of the figures alone (stdout piped) must not miss it.
        if (evaluation.training_overlap !== null) output.err(`${evaluation.training_overlap}\n`);
        output.out(formatReport(evaluation.report));
        const { report: _report, ...json } = evaluation;
        if (flags.json) {
          mkdirSync(dirname(flags.json), { recursive: true });
          writeFileAtomic(flags.json, `${JSON.stringify(json, null, 2)}\n`);
        }
        if (flags.report) {
          mkdirSync(dirname(flags.report), { recursive: true });
          const written = await writeReport(flags.report.replace(/\.(html|md)$/i, ''), evaluation.report);
          output.err(`report: ${written.html}, ${written.markdown}\n`);
        }
      } finally {
        await predictor.release();
      }
    });
}
