import { createWriteStream, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandOutput } from './output.js';
import { ConfigError } from '../errors.js';
import { renderHtml } from '../eval/report/html.js';
import { expandInputs } from '../infer/files.js';
import type { ModelTarget } from '../infer/predict-file.js';
import {
  LINE_FORMATS,
  OUTPUT_FORMATS,
  predictionReport,
  type OutputFormat,
} from '../infer/predict-output.js';
import { predictFiles } from '../infer/predict-pool.js';
import { defaultModels, readCatalog, resolveModel } from '../models/bundled.js';
import { writeFileAtomic } from '../util/atomic.js';

interface PredictFlags {
  model?: string;
  format: OutputFormat;
  out?: string;
  report?: string;
  jobs: number;
}

function format(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${OUTPUT_FORMATS.join('|')}`);
  return value as OutputFormat;
}

function jobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

/** --model NAME|PATH for every file, or each file routed by its leads to a bundled default model. */
function modelTarget(model: string | undefined, modelsDir: string | undefined): ModelTarget {
  if (model !== undefined) {
    if (/\.safetensors$/i.test(model))
      throw new ConfigError(
        `--model ${model}: predict runs ONNX models; export it first (efficientecg export)`,
      );
    const resolved = resolveModel(model, 'onnx', modelsDir);
    return {
      kind: 'fixed',
      model: { name: resolved.name, path: resolved.path, leads: resolved.bundled?.leads ?? [] },
    };
  }
  const candidates = defaultModels(readCatalog(modelsDir)).map((m) => ({
    name: m.name,
    path: m.paths.onnx,
    leads: m.leads,
  }));
  if (candidates.length === 0)
    throw new ConfigError('no bundled default models yet (models/catalog.json): pass --model PATH.onnx');
  return { kind: 'route', candidates };
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'Diagnose records with onnxruntime (no libtorch): files, folders (in parallel on worker threads) or globs; a bad file is reported and the rest go on',
    )
    .argument('<inputs...>', 'record files (.hea, .mat, .csv), folders or globs')
    .option(
      '--model <name|path>',
      'bundled model name or .onnx file (default: route each record to the bundled default model for its leads)',
    )
    .option(
      '--format <format>',
      `output: ${OUTPUT_FORMATS.join('|')} (json: one JSON object per line)`,
      format,
      'table',
    )
    .option('--out <file>', 'write the output to this file instead of stdout')
    .option('--report <file.html>', 'also write an HTML report (one row per record)')
    .option(
      '--jobs <n>',
      'worker threads (0: main thread)',
      jobs,
      Math.max(1, Math.min(4, availableParallelism() - 1)),
    )
    .action(async (inputs: string[], flags: PredictFlags, command: Command) => {
      const output = commandOutput(command);
      const target = modelTarget(flags.model, command.optsWithGlobals<{ modelsDir?: string }>().modelsDir);
      const files = expandInputs(inputs);
      if (files.length === 0)
        throw new ConfigError(`no record files (.hea, .mat, .csv) in ${inputs.join(', ')}`);
      if (flags.out) mkdirSync(dirname(flags.out), { recursive: true });
      const file = flags.out ? createWriteStream(flags.out) : null;
      const write = file ? (text: string) => void file.write(text) : output.out;
      const lines = LINE_FORMATS[flags.format];
      write(lines.header());
      const bar = new SingleBar({
        stream: process.stderr,
        format: 'predict [{bar}] {value}/{total} records | {eta}s left',
        hideCursor: true,
      });
      bar.start(files.length, 0);
      let failed = 0;
      const results = await predictFiles(files, target, {
        jobs: flags.jobs,
        onResult: (result) => {
          if (!result.ok) failed++;
          write(lines.line(result));
          bar.increment();
        },
      }).finally(() => bar.stop());
      if (file) {
        await new Promise<void>((resolve, reject) =>
          file.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      }
      if (flags.report) {
        mkdirSync(dirname(flags.report), { recursive: true });
        writeFileAtomic(flags.report, await renderHtml(predictionReport(results)));
      }
      output.err(
        `${files.length - failed} record(s) predicted, ${failed} failed${flags.report ? `; report: ${flags.report}` : ''}\n`,
      );
      if (failed === files.length) process.exitCode = 1;
    });
}
