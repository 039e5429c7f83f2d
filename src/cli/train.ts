import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandOutput } from './output.js';
import { finiteNumber, nonNegativeNumber, positiveInteger, positiveNumber, wholeNumber } from './parsers.js';
import { requireInputDir, requireOutputDir } from './paths.js';
import { DATASETS, type Dataset } from '../datasets/index.js';
import { ProcessGroup } from '../engine/distributed.js';
import { ConfigError } from '../errors.js';
import { DataParallel } from '../train/distributed.js';
import { rankFromEnvironment, superviseWorkers, type RankEnvironment } from '../train/launch.js';
import {
  NO_AUGMENTATION,
  readConfigFile,
  resolveTrainConfig,
  train,
  type TrainConfig,
  type TrainOptions,
} from '../train/index.js';

export interface TrainFlags {
  config?: string;
  dataset?: string;
  data?: string;
  model?: string;
  fusion?: boolean;
  out?: string;
  fs?: number;
  bandpass?: [number, number] | false;
  standardize?: boolean;
  window?: number;
  batchSize?: number;
  epochs?: number;
  lr?: number;
  weightDecay?: number;
  schedule?: string;
  gradClip?: number;
  augment?: boolean;
  classWeighting?: string;
  patience?: number;
  seed?: number;
  threads?: number;
  workers?: number;
  cacheDir?: string;
  resume?: boolean;
  force?: boolean;
  rrContext?: string;
  fusionTokens?: string[];
  fusionDesign?: string;
  fusionShortcut?: boolean;
  fusionTokenDropout?: number;
  init?: string;
  normalPerEpoch?: number;
  validationHop?: number;
  evalWindow?: number;
  windowAggregate?: string;
  ema?: number;
  distillFrom?: string[];
  distillAlpha?: number;
  distillTemperature?: number;
  distillTargets?: string;
}

/** torchrun's flags (data-parallel training, docs/distributed.md). */
interface LaunchFlags {
  nprocPerNode?: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  distTimeout: number;
}

/** Joins the process group a launcher described (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). */
function joinGroup(rank: RankEnvironment, timeoutSeconds: number): DataParallel {
  return new DataParallel(
    ProcessGroup.init({
      rank: rank.rank,
      worldSize: rank.worldSize,
      masterAddr: rank.masterAddr,
      masterPort: rank.masterPort,
      timeoutMs: timeoutSeconds * 1000,
    }),
  );
}

/** "5 steps, gradient all-reduce 1.2 ms/step (1.48 MB/step)". */
function distributedSummary(parallel: DataParallel): string {
  const { steps, allReduceMs, bytesPerStep } = parallel.stats;
  const perStep = steps > 0 ? allReduceMs / steps : 0;
  return `${steps} steps, gradient all-reduce ${perStep.toFixed(1)} ms/step (${(bytesPerStep / 1e6).toFixed(2)} MB/step)`;
}

function band(value: string): [number, number] {
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite))
    throw new InvalidArgumentError('expected LOW,HIGH in Hz');
  return [parts[0]!, parts[1]!];
}

/** Flags as a partial config (undefined = not given, so the file or the defaults decide). */
/** The flag that sets each config key (flagsToConfig's mapping), so a config error names what the user typed. */
const FLAG_OF_CONFIG_KEY: Readonly<Record<string, string>> = {
  dataset: '--dataset',
  data: '--data',
  model: '--model',
  fusion: '--fusion',
  fusionTokens: '--fusion-tokens',
  fusionDesign: '--fusion-design',
  fusionShortcut: '--fusion-shortcut',
  fusionTokenDropout: '--fusion-token-dropout',
  init: '--init',
  out: '--out',
  'preprocess.fs': '--fs',
  'preprocess.bandpass': '--bandpass',
  'preprocess.standardize': '--no-standardize',
  windowSeconds: '--window',
  validationHopSeconds: '--validation-hop',
  evalWindowSeconds: '--eval-window',
  windowAggregate: '--window-aggregate',
  ema: '--ema',
  'distill.teachers': '--distill-from',
  'distill.alpha': '--distill-alpha',
  'distill.temperature': '--distill-temperature',
  'distill.targets': '--distill-targets',
  batchSize: '--batch-size',
  epochs: '--epochs',
  lr: '--lr',
  weightDecay: '--weight-decay',
  schedule: '--schedule',
  gradClip: '--grad-clip',
  classWeighting: '--class-weighting',
  patience: '--patience',
  seed: '--seed',
  threads: '--threads',
  workers: '--workers',
  cacheDir: '--cache-dir',
  'beats.rrContext': '--rr-context',
  'beats.normalPerEpoch': '--normal-per-epoch',
};

/** "--batch-size (batchSize)": a config path with the flag that sets it (the key is what --config files use). */
export function configPathWithFlag(extra: Readonly<Record<string, string>> = {}): (path: string) => string {
  return (path) => {
    const flag = extra[path] ?? FLAG_OF_CONFIG_KEY[path];
    return flag === undefined ? path : `${flag} (${path})`;
  };
}

function flagsToConfig(flags: TrainFlags): Record<string, unknown> {
  const distillFlags = [flags.distillAlpha, flags.distillTemperature, flags.distillTargets];
  if (!flags.distillFrom && distillFlags.some((flag) => flag !== undefined))
    throw new ConfigError('--distill-alpha, --distill-temperature and --distill-targets need --distill-from');
  return {
    dataset: flags.dataset,
    data: flags.data,
    model: flags.model,
    fusion: flags.fusion,
    fusionTokens: flags.fusionTokens,
    fusionDesign: flags.fusionDesign,
    fusionShortcut: flags.fusionShortcut,
    fusionTokenDropout: flags.fusionTokenDropout,
    init: flags.init,
    out: flags.out,
    preprocess: {
      fs: flags.fs,
      bandpass: flags.bandpass === false ? null : flags.bandpass,
      standardize: flags.standardize,
    },
    windowSeconds: flags.window,
    validationHopSeconds: flags.validationHop,
    evalWindowSeconds: flags.evalWindow,
    windowAggregate: flags.windowAggregate,
    ema: flags.ema,
    distill: flags.distillFrom
      ? {
          teachers: flags.distillFrom,
          alpha: flags.distillAlpha ?? 0.5,
          temperature: flags.distillTemperature ?? 2,
          targets: flags.distillTargets ?? 'record',
        }
      : undefined,
    batchSize: flags.batchSize,
    epochs: flags.epochs,
    lr: flags.lr,
    weightDecay: flags.weightDecay,
    schedule: flags.schedule,
    gradClip: flags.gradClip === 0 ? null : flags.gradClip,
    augment: flags.augment === false ? NO_AUGMENTATION : undefined,
    classWeighting: flags.classWeighting,
    patience: flags.patience === 0 ? null : flags.patience,
    seed: flags.seed,
    threads: flags.threads,
    workers: flags.workers,
    cacheDir: flags.cacheDir,
    beats: { rrContext: flags.rrContext, normalPerEpoch: flags.normalPerEpoch },
  };
}

/** Preprocessing counts and every epoch's log line on stderr. */
export function progressCallbacks(): Pick<TrainOptions, 'onDataProgress' | 'onLog'> {
  return {
    onDataProgress: (done, total) => {
      if (done === total || done % 500 === 0) process.stderr.write(`preprocessing: ${done}/${total}\n`);
    },
    onLog: (line) => {
      if (line.type === 'epoch') process.stderr.write(`${JSON.stringify(line)}\n`);
    },
  };
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'efficientecg');
}

/** The training options, shared by `train` and `cv` (whose folds are ordinary training runs). */
export function addTrainOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON training config (a partial config; flags override it)')
    .option('--dataset <name>', Object.keys(DATASETS).join('|'))
    .option('--data <dir>', 'dataset folder in its official layout')
    .option('--model <name>', 'registry model, e.g. efficientecg-w0.25')
    .option('--fusion', 'EfficientECG-Fusion over the --model backbone with age and sex tokens')
    .option(
      '--fusion-tokens <list>',
      'fusion tokens, comma-separated: age, sex, rhythm (record RR/HRV/P-wave features), beats (beat-shape PCA of the record) (default age,sex)',
      (value: string) => value.split(',').map((token) => token.trim()),
    )
    .option(
      '--fusion-design <name>',
      'where the tokens meet (docs/fusion.md): patient-queries-ecg | ecg-queries-patient | bidirectional | concat (default bidirectional)',
    )
    .option(
      '--fusion-shortcut',
      'fusion logits = the plain EfficientECG classifier + the fused MLP, which starts at zero (the default; docs/fusion.md)',
    )
    .option('--no-fusion-shortcut', 'fusion logits from the fused MLP alone')
    .option(
      '--fusion-token-dropout <p>',
      'hide each patient token of each training example with probability p (default 0.5; 0 turns it off; docs/fusion.md)',
      finiteNumber,
    )
    .option(
      '--distill-from <teachers...>',
      'distil from these teachers (checkpoints, bundled names, run folders; a cv folder teaches each fold with its own fold model)',
    )
    .option(
      '--distill-alpha <a>',
      'weight of the teachers’ soft targets in the loss (default 0.5)',
      finiteNumber,
    )
    .option(
      '--distill-temperature <t>',
      'softening temperature of the distillation (default 2)',
      positiveNumber,
    )
    .option(
      '--distill-targets <kind>',
      'record: each record scored once by the teachers (default); crop: the teachers score every training crop the student sees, augmented (slower)',
    )
    .option(
      '--init <name|path>',
      'start from these weights: a bundled model (e.g. cinc2017-w0.25) or a .safetensors checkpoint (docs/fine-tuning.md)',
    )
    .option('--out <dir>', 'run folder (checkpoints, log.jsonl, config.json)')
    .option('--fs <hz>', 'resample to this rate (default 100)', positiveNumber)
    .option('--bandpass <low,high>', 'band-pass in Hz (default 0.5,40)', band)
    .option('--no-bandpass', 'no band-pass filter')
    .option(
      '--no-standardize',
      'keep amplitudes: no per-lead z-score, every lead read in mV (a lead not in a voltage unit is refused)',
    )
    .option('--window <seconds>', 'training crop / validation window (default 10)', positiveNumber)
    .option(
      '--eval-window <seconds>',
      'window that scores records in validation and inference, when longer than the training crop (default: --window)',
      positiveNumber,
    )
    .option(
      '--validation-hop <seconds>',
      'hop between the sliding windows that score a record in validation and inference (default: one window)',
      positiveNumber,
    )
    .option(
      '--window-aggregate <mode>',
      'how window scores combine per record: mean-logits | max (multi-label: each class its maximum probability) (default mean-logits)',
    )
    .option('--batch-size <n>', 'batch size (default 64)', positiveInteger)
    .option('--epochs <n>', 'epochs (default 30)', positiveInteger)
    .option('--lr <lr>', 'peak learning rate (default 3e-3)', positiveNumber)
    .option('--weight-decay <wd>', 'AdamW weight decay (default 1e-2)', nonNegativeNumber)
    .option('--schedule <name>', 'one-cycle | cosine (default one-cycle)')
    .option('--grad-clip <norm>', 'max gradient norm, 0 for none (default 1)', nonNegativeNumber)
    .option(
      '--ema <decay>',
      'validate and save an exponential moving average of the weights with this decay, e.g. 0.999 (default: none)',
      finiteNumber,
    )
    .option('--no-augment', 'no augmentation (crops stay random)')
    .option('--class-weighting <mode>', 'balanced | none (default balanced)')
    .option('--patience <epochs>', 'early stopping patience, 0 for none (default 8)', wholeNumber)
    .option('--seed <n>', 'seed (default 0)', wholeNumber)
    .option('--threads <n>', 'libtorch threads (default 2)', positiveInteger)
    .option('--workers <n>', 'data-loading worker threads, 0 = main thread (default 1)', wholeNumber)
    .option('--cache-dir <dir>', `preprocessed-sample cache (default ${defaultCacheDir()})`)
    .option(
      '--rr-context <mode>',
      'beat models (mitdb): RR intervals as fusion tokens, or none (default tokens)',
    )
    .option(
      '--normal-per-epoch <n>',
      'beat models (mitdb): N beats sampled per epoch (default 12000)',
      positiveInteger,
    );
}

/** defaults <- --config <- flags, with the data folder checked. */
export function trainConfigFromFlags(flags: TrainFlags): TrainConfig {
  const file = flags.config ? readConfigFile(flags.config) : null;
  const config: TrainConfig = resolveTrainConfig(
    { cacheDir: defaultCacheDir(), ...file },
    flagsToConfig(flags),
    configPathWithFlag(),
  );
  requireFusion(flags, config.fusion);
  requireInputDir('--data', config.data);
  requireOutputDir('--out', config.out);
  if (config.init !== null && config.dataset === 'mitdb')
    throw new ConfigError('--init: beat training (mitdb) cannot start from a checkpoint yet');
  return config;
}

/** --fusion-* flags without a fusion model (neither --fusion nor `fusion: true` in --config) would do nothing. */
function requireFusion(flags: TrainFlags, fusion: boolean): void {
  const given = Object.entries({
    '--fusion-tokens': flags.fusionTokens,
    '--fusion-design': flags.fusionDesign,
    '--fusion-token-dropout': flags.fusionTokenDropout,
    [flags.fusionShortcut === false ? '--no-fusion-shortcut' : '--fusion-shortcut']: flags.fusionShortcut,
  }).filter(([, value]) => value !== undefined);
  if (!fusion && given.length > 0)
    throw new ConfigError(
      `${given.map(([name]) => name).join(', ')} ${given.length > 1 ? 'need' : 'needs'} --fusion`,
    );
}

/**
 * One line on the records the dataset names (its labels file, or its official record list) that the run leaves out
 * (absent, unreadable, unlabelled, excluded), or null: they are not silently dropped. `efficientecg datasets --json` lists every one with its reason.
 */
export function skippedNotice(dataset: Pick<Dataset, 'name' | 'root' | 'skipped'>): string | null {
  const [first] = dataset.skipped;
  if (first === undefined) return null;
  return (
    `${dataset.skipped.length} record(s) of the ${dataset.name} dataset left out of this run (first: ${first.id}: ` +
    `${first.reason}); ` +
    `\`efficientecg datasets ${dataset.name} ${JSON.stringify(dataset.root)} --json\` lists them all\n`
  );
}

/**
 * Ctrl-C stops after the current step; `resume` says how the command resumes (train: --resume). Returns the signal
 * and a cleanup.
 */
export function stopOnInterrupt(
  resume = 'resume with --resume',
  write: (text: string) => void = (text) => process.stderr.write(text),
): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const stop = () => {
    write(`\nstopping after this step (${resume})\n`);
    controller.abort();
  };
  process.once('SIGINT', stop);
  return { signal: controller.signal, done: () => process.off('SIGINT', stop) };
}

export function registerTrain(program: Command): void {
  addTrainOptions(
    program
      .command('train')
      .description(
        'Train a model on a dataset folder: worker-thread data loading, validation each epoch, last/best checkpoints and a JSONL log in --out. Flags override --config.',
      ),
  )
    .option('--resume', 'continue the run in --out from last.safetensors')
    .option('--force', 'start over in an --out that holds another run')
    .option(
      '--nproc-per-node <n>',
      'data-parallel: start and supervise n worker processes here (torchrun conventions; --batch-size is per process; docs/distributed.md)',
      positiveInteger,
    )
    .option('--nnodes <m>', 'data-parallel: machines in the group', positiveInteger, 1)
    .option('--node-rank <r>', 'data-parallel: this machine (0 hosts the rendezvous)', wholeNumber, 0)
    .option('--master-addr <host>', 'data-parallel: address of node 0', '127.0.0.1')
    .option('--master-port <port>', 'data-parallel: rendezvous port on node 0', positiveInteger, 29500)
    .option(
      '--dist-timeout <seconds>',
      'data-parallel: how long a rank waits for the others (rendezvous, each collective) before failing',
      positiveNumber,
      1800,
    )
    .action(async (flags: TrainFlags & LaunchFlags, command: Command) => {
      const log = commandOutput(command).err;
      const rank = rankFromEnvironment();
      if (rank === null && flags.nprocPerNode !== undefined) {
        // This process only supervises: each worker is this same command with its rank environment.
        const layout = { ...flags, nprocPerNode: flags.nprocPerNode };
        await superviseWorkers(
          process.execPath,
          [...process.execArgv, ...process.argv.slice(1)],
          layout,
          log,
        );
        return;
      }
      const parallel = rank === null ? undefined : joinGroup(rank, flags.distTimeout);
      const main = parallel?.isMain ?? true;
      const flagConfig = trainConfigFromFlags(flags);
      // --batch-size is per process (as in DDP); the run's config holds the global batch the loop shards.
      const config = { ...flagConfig, batchSize: flagConfig.batchSize * (parallel?.worldSize ?? 1) };
      const dataset = await DATASETS[config.dataset].open(config.data);
      // The checkpoint's labels, i.e. the model's output columns: users need the order to read raw outputs.
      if (main) log(`classes (output order): ${dataset.classes.join(', ')}\n`);
      const skipped = skippedNotice(dataset);
      if (main && skipped !== null) log(skipped);
      // A rank that stopped on its own would leave the others waiting: with a group, Ctrl-C ends every process
      // (the launcher stops them all) and the run resumes from the last epoch's checkpoint.
      const interrupt = parallel ? null : stopOnInterrupt();
      try {
        // train() runs beat classifiers for MIT-BIH (windows around the annotated R peaks), records elsewhere.
        const result = await train(config, dataset, {
          resume: flags.resume ?? false,
          force: flags.force ?? false,
          ...(interrupt ? { signal: interrupt.signal } : {}),
          ...(parallel ? { distributed: parallel } : {}),
          modelsDir: command.optsWithGlobals<{ modelsDir?: string }>().modelsDir,
          ...(main ? progressCallbacks() : {}),
        });
        const { state } = result;
        if (main)
          process.stdout.write(
            `${JSON.stringify({ epochs: state.epoch, step: state.step, best: state.bestMetric, bestEpoch: state.bestEpoch, metric: result.metric, last: result.lastPath, bestPath: result.bestPath, stopped: result.aborted ? 'interrupted' : state.stopped })}\n`,
          );
        if (parallel) log(`rank ${parallel.rank}: ${distributedSummary(parallel)}\n`);
      } finally {
        interrupt?.done();
        parallel?.destroy();
      }
    });
}
