import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { PRETRAIN_SOURCE_NAMES, type PretrainSourceName } from '../datasets/index.js';
import { ConfigError, MissingFileError } from '../errors.js';
import {
  mergeConfig,
  PRETRAIN_DEFAULTS,
  readConfigFile,
  resolveTrainConfig,
  type TrainConfig,
} from '../train/config.js';
import { pretrain } from '../train/pretrain.js';
import { positiveInteger, positiveNumber, wholeNumber } from './parsers.js';
import { configPathWithFlag, defaultCacheDir, progressCallbacks, stopOnInterrupt } from './train.js';

interface PretrainFlags {
  source: Array<{ dataset: PretrainSourceName; data: string }>;
  recordsFs?: number;
  out: string;
  config?: string;
  model?: string;
  init?: string;
  fs?: number;
  window?: number;
  segment?: number;
  segmentsPerRecord?: number;
  temperature?: number;
  projection?: number;
  batchSize?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
  threads?: number;
  cacheDir?: string;
  resume?: boolean;
  force?: boolean;
}

/** `--source cinc2017=DIR` or `--source folder=DIR`, repeatable. */
function source(value: string, previous: PretrainFlags['source'] = []): PretrainFlags['source'] {
  const cut = value.indexOf('=');
  const dataset = value.slice(0, Math.max(0, cut));
  if (cut < 1 || !(PRETRAIN_SOURCE_NAMES as readonly string[]).includes(dataset))
    throw new InvalidArgumentError(`expected NAME=DIR with NAME one of ${PRETRAIN_SOURCE_NAMES.join(', ')}`);
  return [...previous, { dataset: dataset as PretrainSourceName, data: value.slice(cut + 1) }];
}

/** defaults <- --config <- flags; every source folder must exist. */
export function pretrainConfigFromFlags(flags: PretrainFlags): TrainConfig {
  const file = flags.config ? readConfigFile(flags.config) : null;
  for (const { data } of flags.source)
    if (!existsSync(data)) throw new MissingFileError(data, 'dataset folder not found (--source)');
  if (flags.recordsFs !== undefined && !flags.source.some((source) => source.dataset === 'folder'))
    throw new ConfigError('--records-fs applies to folder=DIR sources, and none was given');
  const sources = flags.source.map((source) =>
    source.dataset === 'folder' && flags.recordsFs !== undefined
      ? { ...source, fs: flags.recordsFs }
      : source,
  );
  const first = sources[0]!;
  const base = mergeConfig(
    {
      cacheDir: defaultCacheDir(),
      // Pre-training's own defaults: short crops, large batches, no early stop (the retrieval monitor keeps rising).
      windowSeconds: 2.5,
      batchSize: 128,
      epochs: 20,
      patience: null,
      workers: 0,
      pretrain: { ...PRETRAIN_DEFAULTS, sources },
    },
    file ?? {},
  ) as Record<string, unknown>;
  return resolveTrainConfig(
    base,
    {
      // `dataset` / `data` name the first source: the run's config stays a complete training config (a folder is
      // written as `custom`, the nearest adapter; pre-training reads `pretrain.sources`, never these two).
      dataset: first.dataset === 'folder' ? 'custom' : first.dataset,
      data: first.data,
      model: flags.model ?? 'efficientecg-w0.25',
      init: flags.init,
      out: flags.out,
      preprocess: { fs: flags.fs },
      windowSeconds: flags.window,
      batchSize: flags.batchSize,
      epochs: flags.epochs,
      lr: flags.lr,
      seed: flags.seed,
      threads: flags.threads,
      cacheDir: flags.cacheDir,
      pretrain: {
        sources,
        segmentSeconds: flags.segment,
        segmentsPerRecord: flags.segmentsPerRecord,
        temperature: flags.temperature,
        projection: flags.projection,
      },
    },
    configPathWithFlag({
      'pretrain.segmentSeconds': '--segment',
      'pretrain.segmentsPerRecord': '--segments-per-record',
      'pretrain.temperature': '--temperature',
      'pretrain.projection': '--projection',
    }),
  );
}

export function registerPretrain(program: Command): void {
  program
    .command('pretrain')
    .description(
      'Self-supervised contrastive pre-training (SimCLR NT-Xent) on the unlabelled single-lead ECG of one or more dataset folders: two augmented crops of one stretch of one lead must find each other among the batch. Writes a checkpoint that `train --init DIR/last.safetensors` fine-tunes on any lead count (docs/pretraining.md). Resumable with --resume.',
    )
    .requiredOption(
      '--source <name=dir>',
      'a dataset folder in its official layout, e.g. cinc2017=DIR, or folder=DIR: every record under DIR, any format, no labels (repeat for more)',
      source,
    )
    .option(
      '--records-fs <hz>',
      'sampling rate of folder=DIR records that carry none (tables without a time column, bare MAT matrices)',
      positiveNumber,
    )
    .requiredOption('--out <dir>', 'run folder (last.safetensors, log.jsonl, config.json)')
    .option('--config <file>', 'JSON training config (a partial config; flags override it)')
    .option('--model <name>', 'registry model (default efficientecg-w0.25)')
    .option('--init <name|path>', 'start from these weights (e.g. a supervised model)')
    .option('--fs <hz>', 'resample to this rate (default 100)', positiveNumber)
    .option('--window <seconds>', 'length of each view (default 2.5)', positiveNumber)
    .option('--segment <seconds>', 'stretch both views of an example come from (default 10)', positiveNumber)
    .option(
      '--segments-per-record <n>',
      'examples per record per epoch, at most (default 4)',
      positiveInteger,
    )
    .option('--temperature <t>', 'NT-Xent temperature (default 0.1)', positiveNumber)
    .option('--projection <n>', 'projection size (default 64)', positiveInteger)
    .option('--batch-size <n>', 'examples per batch, two views each (default 128)', positiveInteger)
    .option('--epochs <n>', 'epochs (default 20)', positiveInteger)
    .option('--lr <lr>', 'peak learning rate (default 3e-3)', positiveNumber)
    .option('--seed <n>', 'seed (default 0)', wholeNumber)
    .option('--threads <n>', 'libtorch threads (default 2)', positiveInteger)
    .option('--cache-dir <dir>', 'preprocessed-sample cache')
    .option('--resume', 'continue the run in --out from last.safetensors')
    .option('--force', 'start over in an --out that holds another run')
    .action(async (flags: PretrainFlags, command: Command) => {
      const config = pretrainConfigFromFlags(flags);
      const interrupt = stopOnInterrupt();
      try {
        const result = await pretrain(config, {
          resume: flags.resume ?? false,
          force: flags.force ?? false,
          signal: interrupt.signal,
          modelsDir: command.optsWithGlobals<{ modelsDir?: string }>().modelsDir,
          ...progressCallbacks(),
        });
        process.stdout.write(
          `${JSON.stringify({ epochs: result.state.epoch, metric: result.validation?.metric ?? null, value: result.validation?.value ?? null, last: result.lastPath, stopped: result.aborted ? 'interrupted' : result.state.stopped })}\n`,
        );
      } finally {
        interrupt.done();
      }
    });
}
