/**
 * Re-scores a finished record-task cross-validation with another window aggregation or hop, without training: each
 * fold's last checkpoint scores its own held-out fold again (the same records `heldout.json` holds), and the pooled
 * summary is printed. This is how "mean vs max over sliding windows" is compared on the very same fold models.
 *
 *   npx tsx scripts/experiments/cv-rescore.ts --cv runs/cv/ptbxl-B --aggregate mean-logits [--hop 1.25] [--write]
 *     [--short-records zero-pad|repeat]
 *
 * `--short-records` fills records shorter than the window as prediction would (`repeat`, the Predictor's default)
 * instead of as the run trained and validated (its config's `shortRecords`), so their held-out figures can be compared.
 *
 * `--write` keeps the re-scored outputs beside each fold's own (fold-k/heldout.<aggregate>.json), from which
 * `bundle-model --cv DIR --aggregate <aggregate>` ships the ensemble with that aggregation and its thresholds.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { DATASETS } from '../../src/datasets/index.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { formatCvSummary } from '../../src/cli/cv.js';
import { applyCvFold } from '../../src/train/cv-folds.js';
import { foldDir, readHeldout, rescoredHeldoutName, summarise } from '../../src/train/cv.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { loadTrainingData, preprocessOf, splitIndices } from '../../src/train/data.js';
import { trainableFromSpec } from '../../src/train/model.js';
import { predictRecords, validationMetrics } from '../../src/train/validate.js';
import type { HeldoutFile } from '../../src/train/loop.js';
import type { TrainConfig } from '../../src/train/config.js';

const options = new Command()
  .requiredOption('--cv <dir>', 'finished `efficientecg cv` folder (record task)')
  .requiredOption('--aggregate <mode>', 'mean-logits | max')
  .option('--hop <seconds>', 'hop between windows (default: the runs’ own)', Number)
  .option('--short-records <how>', 'zero-pad | repeat (default: the runs’ own)')
  .option(
    '--write',
    'keep the re-scored outputs as fold-k/heldout.<aggregate>.json (for bundle-model --aggregate)',
  )
  .parse()
  .opts<{
    cv: string;
    aggregate: 'mean-logits' | 'max';
    hop?: number;
    write?: boolean;
    shortRecords?: 'zero-pad' | 'repeat';
  }>();
if (options.shortRecords !== undefined && !['zero-pad', 'repeat'].includes(options.shortRecords))
  throw new Error(`--short-records: zero-pad or repeat, not ${options.shortRecords}`);
if (options.write && options.shortRecords !== undefined)
  throw new Error('--write keeps outputs by aggregation only: not with --short-records');

setNumThreads(1);
const first = readCheckpoint(join(foldDir(options.cv, 1), 'last.safetensors'));
const config = (first.metadata.extra?.training as { config: TrainConfig }).config;
const folds = config.cvFold!.folds;
const dataset = await DATASETS[config.dataset].open(config.data);
const data = await loadTrainingData(dataset, {
  preprocess: preprocessOf(config),
  cacheDir: config.cacheDir,
});
const samples = Math.round(config.windowSeconds * data.fs);
const hop = Math.round((options.hop ?? config.validationHopSeconds ?? config.windowSeconds) * data.fs);
const rescored: HeldoutFile[] = [];
for (const file of readHeldout(options.cv, folds)!) {
  applyCvFold(data.name, data.entries, { folds, fold: file.fold });
  const indices = splitIndices(data, 'val');
  const checkpoint = readCheckpoint(join(foldDir(options.cv, file.fold), 'last.safetensors'));
  const model = trainableFromSpec(checkpoint.metadata.model);
  model.module.loadState(checkpoint.state, 'last.safetensors');
  const window = { samples, shortRecords: options.shortRecords ?? config.shortRecords, fs: data.fs };
  const logits = await predictRecords(model, data, indices, window, hop, 64, options.aggregate);
  model.module.dispose();
  const ids = indices.map((i) => data.entries[i]!.id);
  if (ids.join() !== file.outputs.ids.join())
    throw new Error(`fold ${file.fold}: records differ from heldout.json`);
  rescored.push({
    ...file,
    metrics: validationMetrics(data, indices, logits),
    outputs: { ...file.outputs, logits: logits.map((row) => Array.from(row)) },
  });
  process.stderr.write(`fold ${file.fold}: ${rescored.at(-1)!.metrics.value?.toFixed(4)}\n`);
  if (options.write)
    writeFileAtomic(
      join(foldDir(options.cv, file.fold), rescoredHeldoutName(options.aggregate)),
      `${JSON.stringify(rescored.at(-1))}\n`,
    );
}
process.stdout.write(
  `aggregate ${options.aggregate}, hop ${hop / data.fs} s, short records ${options.shortRecords ?? config.shortRecords}\n`,
);
process.stdout.write(formatCvSummary(summarise(rescored, config)));
