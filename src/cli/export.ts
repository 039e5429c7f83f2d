import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
      const bytes = exportCheckpoint(checkpoint, resolved[0]!.path, resolved[0]!.bundled?.name);
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileAtomic(options.out, bytes);
      const m = checkpoint.metadata;
      commandOutput(command).out(
        `${JSON.stringify({ out: options.out, bytes: bytes.length, architecture: m.model.name, labels: m.labels, untrained: m.extra?.untrained === true })}\n`,
      );
    });
}
