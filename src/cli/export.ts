import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { commandOutput } from './output.js';
import { ConfigError } from '../errors.js';
import { readCheckpoint } from '../export/checkpoint.js';
import { exportCheckpoint } from '../infer/export-model.js';
import { resolveModel } from '../models/bundled.js';
import { ensembleCheckpoint } from '../models/ensemble.js';
import { writeFileAtomic } from '../util/atomic.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'Export a checkpoint (.safetensors, or a bundled model name) as ONNX for `predict`/`evaluate` and the browser (needs libtorch); several checkpoints export one ensemble graph that averages their logits',
    )
    .requiredOption(
      '--model <name|path...>',
      'bundled model name or checkpoint path (.safetensors); several: one ensemble (same labels and preprocessing)',
    )
    .requiredOption('--out <file>', 'ONNX file to write (.onnx)')
    .action((options: { model: string[]; out: string }, command: Command) => {
      for (const model of options.model)
        if (/\.onnx$/i.test(model))
          throw new ConfigError(`--model ${model}: already ONNX; pass a .safetensors checkpoint`);
      if (!/\.onnx$/i.test(options.out))
        throw new ConfigError(`--out ${options.out}: the file name must end in .onnx`);
      const modelsDir = command.optsWithGlobals<{ modelsDir?: string }>().modelsDir;
      const resolved = options.model.map((model) => resolveModel(model, 'checkpoint', modelsDir));
      const checkpoints = resolved.map((r) => readCheckpoint(r.path));
      const checkpoint =
        checkpoints.length === 1
          ? checkpoints[0]!
          : ensembleCheckpoint(
              checkpoints,
              resolved.map((r) => r.path),
            );
      const name = resolved[0]!.bundled?.name ?? exportName(resolved.map((r) => r.path));
      const bytes = exportCheckpoint(checkpoint, resolved[0]!.path, name);
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileAtomic(options.out, bytes);
      const m = checkpoint.metadata;
      commandOutput(command).out(
        `${JSON.stringify({ out: options.out, bytes: bytes.length, architecture: m.model.name, labels: m.labels, untrained: m.extra?.untrained === true })}\n`,
      );
    });
}

/**
 * The model name stored in the ONNX metadata for checkpoints not in the catalogue (what `predict` and `evaluate`
 * show): the run folder's name for the trainer's best/last.safetensors (runs/af-ft/best.safetensors -> af-ft; every
 * run's file is called best), else the file's stem. Several checkpoints (an ensemble) add "-ensN" to the folder
 * their runs share (runs/cv/ptbxl/fold-K/last.safetensors -> ptbxl-ens10), else to the first one's name.
 */
export function exportName(paths: readonly string[]): string {
  const runs = paths.map((path) => {
    const file = resolve(path);
    const stem = basename(file).replace(/\.safetensors$/i, '');
    const dir = /^(best|last)$/i.test(stem) && basename(dirname(file)) !== '' ? dirname(file) : null;
    return { name: dir === null ? stem : basename(dir), parent: dir === null ? null : dirname(dir) };
  });
  if (runs.length === 1) return runs[0]!.name;
  const parent = runs[0]!.parent;
  const shared = parent !== null && basename(parent) !== '' && runs.every((run) => run.parent === parent);
  return `${shared ? basename(parent) : runs[0]!.name}-ens${runs.length}`;
}
