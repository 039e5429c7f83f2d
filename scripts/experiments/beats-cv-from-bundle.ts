/**
 * Rebuilds the cross-validation folder of a bundled beat fold ensemble (`bundle-model --cv DIR`, beat task): member k
 * is the model of fold k, so each member scores its own held-out DS1 records again and the folder gets back
 * fold-k/heldout.json, fold-k/last.safetensors (the member alone), fold-k/config.json and cv.json. The records of
 * fold k are read from another CV of the same folds (--like: beat CVs share their 11 folds whatever the seed); the
 * item counts must equal the bundle's. Then the folder can be re-decided (beats-cv-rescore.ts), compared and bundled
 * again without re-training: the beat default's own out-of-fold logits, after the machine that trained it is gone.
 *
 *   npx tsx scripts/experiments/beats-cv-from-bundle.ts --model models/mitdb-beat-2lead-local-gate-vote-ens11.safetensors \
 *     --like OUT/two-lead-gate-local-noise --data /tmp/ecg-data/mitdb --out OUT/default-rebuilt
 * (the default's bundle gives back its own nested CV, 0.860, fold by fold; its CV config carries the cluster vote).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { openMitdb } from '../../src/datasets/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { readCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/export/checkpoint.js';
import type { EfficientEcgBeat } from '../../src/models/beats.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import type { StoredTensor } from '../../src/nn/module.js';
import { beatGeometry, loadBeatSet, scoreBeatSet } from '../../src/train/beats.js';
import type { TrainConfig } from '../../src/train/config.js';
import { CV_FILES, foldDir, summarise, type CvSummary } from '../../src/train/cv.js';
import { RUN_FILES, type HeldoutFile } from '../../src/train/loop.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

const options = new Command()
  .requiredOption('--model <file>', 'bundled beat fold ensemble (.safetensors) whose extra.cv holds its CV')
  .requiredOption(
    '--like <dir>',
    'a beat CV over the same folds (its heldout.json files name each fold’s records)',
  )
  .requiredOption('--data <dir>', 'the MIT-BIH folder')
  .requiredOption('--out <dir>', 'CV folder to write')
  .parse()
  .opts<{ model: string; like: string; data: string; out: string }>();

setNumThreads(1);
const bundle = readCheckpoint(options.model);
const extra = bundle.metadata.extra ?? {};
const cv = extra.cv as CvSummary | undefined;
const members = (bundle.metadata.model.config as { members?: { name: string; config: unknown }[] }).members;
if (!cv || !members || members.length !== cv.folds || cv.task !== 'beats')
  throw new Error(`${options.model}: not a beat fold ensemble with one member per CV fold`);
const config: TrainConfig = { ...cv.config, data: options.data };
const dataset = await openMitdb(options.data);
// The member's own beat metadata: the bundle's without the decision offsets fitted on the whole CV.
const { classOffsets: _offsets, ...memberBeats } = extra.beats as Record<string, unknown>;

/** Member k as a checkpoint of its own (the bundle's `members.k.*` weights under their own names). */
function memberCheckpoint(k: number): Checkpoint {
  const prefix = `members.${k}.`;
  const state = new Map<string, StoredTensor>();
  for (const [name, tensor] of bundle.state)
    if (name.startsWith(prefix)) state.set(name.slice(prefix.length), tensor);
  return { ...bundle, metadata: { ...bundle.metadata, model: members![k]! }, state };
}

const files: HeldoutFile[] = [];
for (let fold = 1; fold <= cv.folds; fold++) {
  const like = JSON.parse(
    readFileSync(join(foldDir(options.like, fold), RUN_FILES.heldout), 'utf8'),
  ) as HeldoutFile;
  const records = [...new Set(like.outputs.groups)];
  const { record } = await dataset.load(records[0]!);
  const geometry = beatGeometry(config, record.fs);
  const set = await loadBeatSet(dataset, records, config, geometry);
  if (set.count !== cv.perFold[fold - 1]!.items)
    throw new Error(
      `fold ${fold}: ${set.count} beats in ${records.join(', ')}, the bundle's CV scored ${cv.perFold[fold - 1]!.items}`,
    );
  const model = modelFromCheckpoint(
    memberCheckpoint(fold - 1),
    `${options.model} member ${fold - 1}`,
  ) as EfficientEcgBeat;
  const scored = scoreBeatSet(model, set, geometry);
  const dir = foldDir(options.out, fold);
  mkdirSync(dir, { recursive: true });
  const foldConfig: TrainConfig = { ...config, out: dir, cvFold: { folds: cv.folds, fold } };
  saveCheckpoint(join(dir, RUN_FILES.last), model, {
    model: members[fold - 1]!,
    labels: bundle.metadata.labels,
    preprocessing: bundle.metadata.preprocessing,
    extra: { ...extra, beats: memberBeats, cv: undefined, ensemble: undefined, rebuiltFrom: options.model },
  });
  model.dispose();
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(foldConfig, null, 2)}\n`);
  const file: HeldoutFile = { fold, folds: cv.folds, metrics: scored.metrics, outputs: scored.outputs };
  writeFileAtomic(join(dir, RUN_FILES.heldout), JSON.stringify(file));
  files.push(file);
  console.log(`fold ${fold} (${records.join(', ')}): argmax ${scored.metrics.value?.toFixed(4)}`);
}
const summary = summarise(files, config);
writeFileAtomic(join(options.out, CV_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `pooled ${summary.metric} (argmax): ${summary.pooled.value?.toFixed(4)}; the bundle's nested figure: ${cv.pooled.value?.toFixed(4)}`,
);
