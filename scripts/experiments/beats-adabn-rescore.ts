/**
 * Patient-adaptive normalisation measured without training (issue 13): each fold's last checkpoint scores its
 * held-out records again, but before scoring a record every BatchNorm layer's statistics are re-estimated on that
 * record's own beats (AdaBN, Li et al. 2016): running = (1 - m) * training statistics + m * the record's. The record's
 * labels are never read; only its beats' inputs. Writes a CV folder like beats-cv-rescore.ts (cv-offsets.ts,
 * beats-cv-report.ts and `compare` read it).
 *
 *   npx tsx scripts/experiments/beats-adabn-rescore.ts --cv OUT/ARM --out OUT/ARM-adabn [--momentum 1] [--data DIR]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { openMitdb } from '../../src/datasets/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import type { EfficientEcgBeat } from '../../src/models/beats.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import { BatchNorm1d, type Module } from '../../src/nn/index.js';
import {
  beatGeometry,
  beatLogits,
  beatValidationMetrics,
  loadBeatSet,
  scoreBeatSet,
  type BeatSet,
} from '../../src/train/beats.js';
import type { TrainConfig } from '../../src/train/config.js';
import { CV_FILES, foldDir, summarise } from '../../src/train/cv.js';
import { RUN_FILES, type HeldoutFile } from '../../src/train/loop.js';
import type { TaskOutputs } from '../../src/train/task.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

const options = new Command()
  .requiredOption('--cv <dir>', 'finished beat CV folder')
  .requiredOption('--out <dir>', 'new CV folder for the re-scored folds')
  .option('--momentum <m>', "weight of the record's own statistics (1 = AdaBN)", '1')
  .option('--data <dir>', 'MIT-BIH folder (default: the one the folds were trained on)')
  .parse()
  .opts<{ cv: string; out: string; momentum: string; data?: string }>();
const momentum = Number(options.momentum);

function batchNorms(module: Module): BatchNorm1d[] {
  const own = module instanceof BatchNorm1d ? [module] : [];
  return [...own, ...module.children().flatMap(([, child]) => batchNorms(child))];
}

/** One forward pass over all of the record's beats with the BatchNorm layers updating their running statistics. */
function adaptToRecord(
  model: EfficientEcgBeat,
  set: BeatSet,
  geometry: ReturnType<typeof beatGeometry>,
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

function concatOutputs(parts: TaskOutputs[]): TaskOutputs {
  return {
    ...parts[0]!,
    ids: parts.flatMap((p) => p.ids),
    groups: parts.flatMap((p) => p.groups ?? []),
    labels: parts.flatMap((p) => p.labels),
    logits: parts.flatMap((p) => p.logits),
  };
}

setNumThreads(1);
const written = JSON.parse(readFileSync(join(options.cv, CV_FILES.summary), 'utf8')) as {
  folds: number;
  config: TrainConfig;
};
const files: HeldoutFile[] = [];
for (let fold = 1; fold <= written.folds; fold++) {
  const source = foldDir(options.cv, fold);
  const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as TrainConfig;
  const old = JSON.parse(readFileSync(join(source, RUN_FILES.heldout), 'utf8')) as HeldoutFile;
  const records = [...new Set(old.outputs.groups)];
  const dataset = await openMitdb(options.data ?? config.data);
  const checkpointPath = resolve(source, RUN_FILES.last);
  const parts: TaskOutputs[] = [];
  for (const id of records) {
    const { record } = await dataset.load(id);
    const geometry = beatGeometry(config, record.fs);
    const set = await loadBeatSet(dataset, [id], config, geometry);
    const model = modelFromCheckpoint(readCheckpoint(checkpointPath), checkpointPath) as EfficientEcgBeat;
    adaptToRecord(model, set, geometry);
    const scored = scoreBeatSet(model, set, geometry);
    model.dispose();
    parts.push(scored.outputs);
  }
  const outputs = concatOutputs(parts);
  if (JSON.stringify(outputs.ids) !== JSON.stringify(old.outputs.ids))
    throw new Error(`${source}: re-scored beats differ from the fold's own`);
  const target = foldDir(options.out, fold);
  mkdirSync(target, { recursive: true });
  copyFileSync(join(source, 'config.json'), join(target, 'config.json'));
  if (!existsSync(join(target, RUN_FILES.last))) symlinkSync(checkpointPath, join(target, RUN_FILES.last));
  const predicted = Int32Array.from(outputs.logits, (row) => row.indexOf(Math.max(...row)));
  const reference = Int32Array.from(outputs.labels, (row) => row[0]!);
  const { validation } = beatValidationMetrics(reference, predicted, records.length);
  const file: HeldoutFile = { fold, folds: written.folds, metrics: validation, outputs };
  writeFileAtomic(join(target, RUN_FILES.heldout), JSON.stringify(file));
  files.push(file);
  console.log(
    `fold ${fold} (${records.join(', ')}): ${validation.value?.toFixed(3)} (was ${old.metrics.value?.toFixed(3)})`,
  );
}
const summary = summarise(files, written.config);
writeFileAtomic(join(options.out, CV_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `pooled ${summary.metric}: ${summary.pooled.value?.toFixed(3)}, mean ± sd ${summary.mean?.toFixed(3)} ± ${summary.sd?.toFixed(3)}`,
);
