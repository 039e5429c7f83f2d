/**
 * Re-scores a finished beat cross-validation with the current decision rules after the model (the fibrillation gate),
 * without training: each fold's last checkpoint scores its own held-out records again (the records its heldout.json
 * holds) through `scoreBeatSet`, as the fold's validation did. The result is a CV folder of its own (OUT: each
 * fold's config.json and heldout.json, a link to its checkpoint, and cv.json), which beats-cv-report.ts,
 * cv-offsets.ts and bundle-model.ts read like any other.
 *
 *   npx tsx scripts/experiments/beats-cv-rescore.ts --cv OUT/two-lead-gate --out OUT/two-lead-gate-v2 [--data DIR]
 * With --cluster-vote W the folds are decided with the QRS clusters' vote (CLUSTER_DEFAULTS, weight W) after the gate,
 * and their config.json says so (a bundle of the folder then carries it).
 * With --adabn M (measured, not kept: docs/beats.md, AdaBN) each held-out record is scored alone, after one pass over
 * its beats set every BatchNorm layer's statistics to (1 - M) x the training ones + M x the record's (AdaBN, Li et al.
 * 2016; M = 0 reproduces the fold exactly). The record's labels are never read.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { openMitdb } from '../../src/datasets/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import type { EfficientEcgBeat } from '../../src/models/beats.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import { CLUSTER_DEFAULTS } from '../../src/signal/beat-clusters.js';
import type { MitdbDataset } from '../../src/datasets/mitdb/index.js';
import { BatchNorm1d, type Module } from '../../src/nn/index.js';
import {
  beatGeometry,
  beatLogits,
  beatDecisionRules,
  beatValidationMetrics,
  loadBeatSet,
  scoreBeatSet,
  type BeatGeometry,
  type BeatSet,
} from '../../src/train/beats.js';
import type { TaskOutputs } from '../../src/train/task.js';
import type { ValidationMetrics } from '../../src/train/validate.js';
import type { TrainConfig } from '../../src/train/config.js';
import { CV_FILES, foldDir, summarise } from '../../src/train/cv.js';
import { RUN_FILES, type HeldoutFile } from '../../src/train/loop.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

const options = new Command()
  .requiredOption('--cv <dir>', 'finished beat CV folder')
  .requiredOption('--out <dir>', 'new CV folder for the re-scored folds')
  .option('--data <dir>', 'MIT-BIH folder (default: the one the folds were trained on)')
  .option('--cluster-vote <weight>', "add the QRS clusters' vote on ventricular origin with this weight")
  .option('--adabn <m>', 're-estimate BatchNorm statistics on each held-out record with this weight')
  .option('--fusion-rule <share>', 'no F in a record where fewer than this share of the beats are called V')
  .parse()
  .opts<{
    cv: string;
    out: string;
    data?: string;
    clusterVote?: string;
    adabn?: string;
    fusionRule?: string;
  }>();
const clusterVote =
  options.clusterVote === undefined ? null : { ...CLUSTER_DEFAULTS, weight: Number(options.clusterVote) };
const fusionRule =
  options.fusionRule === undefined ? null : { minVentricularShare: Number(options.fusionRule) };

/** The config with the cluster vote and fusion rule asked for (each unchanged without its option). */
function withVote(config: TrainConfig): TrainConfig {
  return { ...config, beats: { ...config.beats, ...beatDecisionRules({ clusterVote, fusionRule }) } };
}

function batchNorms(module: Module): BatchNorm1d[] {
  const own = module instanceof BatchNorm1d ? [module] : [];
  return [...own, ...module.children().flatMap(([, child]) => batchNorms(child))];
}

/** One forward pass over all of the record's beats with the BatchNorm layers updating their running statistics. */
function adaptToRecord(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: BeatGeometry,
  momentum: number,
): void {
  const layers = batchNorms(model);
  for (const layer of layers) {
    Object.defineProperty(layer, 'momentum', { value: momentum, configurable: true });
    Object.defineProperty(layer, 'training', { get: () => true, set: () => {}, configurable: true });
  }
  beatLogits(model, set, geometry, set.count);
  for (const layer of layers)
    Object.defineProperty(layer, 'training', { value: false, writable: true, configurable: true });
}

/** The fold's checkpoint on the fold's records: all at once, or record by record after AdaBN (--adabn). */
async function scoreFold(
  dataset: MitdbDataset,
  records: string[],
  config: TrainConfig,
  checkpointPath: string,
): Promise<{ metrics: ValidationMetrics; outputs: TaskOutputs }> {
  const groups = options.adabn === undefined ? [records] : records.map((id) => [id]);
  const parts: TaskOutputs[] = [];
  for (const ids of groups) {
    const { record } = await dataset.load(ids[0]!);
    const geometry = beatGeometry(config, record.fs);
    const set = await loadBeatSet(dataset, ids, config, geometry);
    const model = modelFromCheckpoint(readCheckpoint(checkpointPath), checkpointPath) as EfficientEcgBeat;
    if (options.adabn !== undefined) adaptToRecord(model, set, geometry, Number(options.adabn));
    const scored = scoreBeatSet(model, set, geometry);
    model.dispose();
    if (groups.length === 1) return scored;
    parts.push(scored.outputs);
  }
  const outputs: TaskOutputs = {
    ...parts[0]!,
    ids: parts.flatMap((p) => p.ids),
    groups: parts.flatMap((p) => p.groups ?? []),
    labels: parts.flatMap((p) => p.labels),
    logits: parts.flatMap((p) => p.logits),
  };
  const predicted = Int32Array.from(outputs.logits, (row) => row.indexOf(Math.max(...row)));
  const reference = Int32Array.from(outputs.labels, (row) => row[0]!);
  return { metrics: beatValidationMetrics(reference, predicted, records.length).validation, outputs };
}

setNumThreads(1);
const written = JSON.parse(readFileSync(join(options.cv, CV_FILES.summary), 'utf8')) as {
  folds: number;
  config: TrainConfig;
};
const files: HeldoutFile[] = [];
for (let fold = 1; fold <= written.folds; fold++) {
  const source = foldDir(options.cv, fold);
  const config = withVote(JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as TrainConfig);
  const old = JSON.parse(readFileSync(join(source, RUN_FILES.heldout), 'utf8')) as HeldoutFile;
  const records = [...new Set(old.outputs.groups)];
  const dataset = await openMitdb(options.data ?? config.data);
  const checkpointPath = resolve(source, RUN_FILES.last);
  const scored = await scoreFold(dataset, records, config, checkpointPath);
  if (JSON.stringify(scored.outputs.ids) !== JSON.stringify(old.outputs.ids))
    throw new Error(`${source}: re-scored beats differ from the fold's own`);
  const target = foldDir(options.out, fold);
  mkdirSync(target, { recursive: true });
  writeFileAtomic(join(target, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  if (!existsSync(join(target, RUN_FILES.last))) symlinkSync(checkpointPath, join(target, RUN_FILES.last));
  const file: HeldoutFile = { fold, folds: written.folds, metrics: scored.metrics, outputs: scored.outputs };
  writeFileAtomic(join(target, RUN_FILES.heldout), JSON.stringify(file));
  files.push(file);
  console.log(
    `fold ${fold}: ${scored.metrics.metric} ${scored.metrics.value?.toFixed(3)} (was ${old.metrics.value?.toFixed(3)})`,
  );
}
const summary = summarise(files, withVote(written.config));
writeFileAtomic(join(options.out, CV_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `pooled ${summary.metric}: ${summary.pooled.value?.toFixed(3)}, mean ± sd ${summary.mean?.toFixed(3)} ± ${summary.sd?.toFixed(3)}`,
);
