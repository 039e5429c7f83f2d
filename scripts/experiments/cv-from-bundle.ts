/**
 * Rebuilds the cross-validation folder of a bundled fold ensemble (`bundle-model --cv DIR`, record task): member k
 * is the model of fold k, so each member scores its own held-out fold again and the folder gets back
 * fold-k/heldout.json, fold-k/last.safetensors (the member alone) and cv.json. The per-fold figures must equal the
 * ones stored in the bundle's `cv` (checked here); then the folder serves as the paired baseline of new arms on the
 * same folds (`efficientecg compare`), as a `--distill-from` teacher and for cv-rescore.ts, without re-training the recipe.
 *
 *   npx tsx scripts/experiments/cv-from-bundle.ts --model models/cinc2017-w0.25-30s-ens5.safetensors \
 *     --data /tmp/ecg-data/cinc2017 --out runs/cv/cinc2017-30s
 * With --negate every record is scored upside down (its samples negated after preprocessing, which z-scoring
 * commutes with), and the figures are not checked against the bundle's: `efficientecg compare --ensemble` of that
 * folder with the plain rebuild is a polarity test-time augmentation (docs/results.md, session 22).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { DATASETS } from '../../src/datasets/index.js';
import { readCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/export/checkpoint.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { formatCvSummary } from '../../src/cli/cv.js';
import type { StoredTensor } from '../../src/nn/module.js';
import { applyCvFold } from '../../src/train/cv-folds.js';
import { CV_FILES, foldDir, summarise, type CvSummary } from '../../src/train/cv.js';
import { loadTrainingData, splitIndices } from '../../src/train/data.js';
import type { HeldoutFile } from '../../src/train/loop.js';
import { trainableFromSpec } from '../../src/train/model.js';
import { predictRecords, validationMetrics } from '../../src/train/validate.js';
import type { TrainConfig } from '../../src/train/config.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

const options = new Command()
  .requiredOption('--model <file>', 'bundled fold ensemble (.safetensors) whose extra.cv holds its CV')
  .requiredOption('--data <dir>', 'the dataset the CV ran on')
  .requiredOption('--out <dir>', 'CV folder to write')
  .option('--negate', 'score every record upside down (no check against the bundle)')
  .parse()
  .opts<{ model: string; data: string; out: string; negate?: boolean }>();

setNumThreads(1);
const bundle = readCheckpoint(options.model);
const cv = bundle.metadata.extra?.cv as CvSummary | undefined;
const members = (bundle.metadata.model.config as { members?: { name: string; config: unknown }[] }).members;
if (!cv || !members || members.length !== cv.folds || cv.task !== 'records')
  throw new Error(`${options.model}: not a record-task fold ensemble with one member per CV fold`);
const base: TrainConfig = { ...cv.config, data: options.data };
const pre = bundle.metadata.preprocessing as {
  resampleTo: number | null;
  bandpass: [number, number] | null;
  standardize: boolean;
  windowSamples: number;
  shortRecords: 'zero-pad' | 'repeat';
  windows: { hopSamples: number; aggregate: 'mean-logits' | 'max' };
};
const dataset = await DATASETS[base.dataset].open(options.data);
const data = await loadTrainingData(dataset, {
  preprocess: { resampleTo: pre.resampleTo, bandpass: pre.bandpass, standardize: pre.standardize },
  cacheDir: base.cacheDir,
});
if (options.negate) data.store.samples.forEach((v, i, samples) => (samples[i] = -v));

/** Member k's weights (the bundle's `members.k.*`) under their own names. */
function memberState(checkpoint: Checkpoint, k: number): Map<string, StoredTensor> {
  const prefix = `members.${k}.`;
  const state = new Map<string, StoredTensor>();
  for (const [name, tensor] of checkpoint.state)
    if (name.startsWith(prefix)) state.set(name.slice(prefix.length), tensor);
  return state;
}

const heldout: HeldoutFile[] = [];
for (let fold = 1; fold <= cv.folds; fold++) {
  const split = applyCvFold(data.name, data.entries, { folds: cv.folds, fold });
  const indices = splitIndices(data, 'val');
  const model = trainableFromSpec(members[fold - 1]!);
  model.module.loadState(memberState(bundle, fold - 1), `${options.model} member ${fold - 1}`);
  model.module.eval();
  const window = { samples: pre.windowSamples, shortRecords: pre.shortRecords, fs: data.fs };
  const logits = await predictRecords(
    model,
    data,
    indices,
    window,
    pre.windows.hopSamples,
    64,
    pre.windows.aggregate,
  );
  const entries = indices.map((i) => data.entries[i]!);
  const file: HeldoutFile = {
    fold,
    folds: cv.folds,
    metrics: validationMetrics(data, indices, logits),
    outputs: {
      task: 'records',
      classes: [...data.classes],
      labelKind: data.labelKind,
      ids: entries.map((entry) => entry.id),
      groups: entries.map((entry) => entry.patientId ?? entry.id),
      labels: entries.map((entry) => [...entry.labels]),
      logits: logits.map((row) => Array.from(row)),
    },
  };
  const stored = cv.perFold[fold - 1]!.value;
  const value = file.metrics.value;
  if (!options.negate && (stored === null || value === null || Math.abs(stored - value) > 2e-3))
    throw new Error(
      `fold ${fold}: re-scored ${value}, the bundle's CV says ${stored}: not this CV's fold model`,
    );
  const dir = foldDir(options.out, fold);
  mkdirSync(dir, { recursive: true });
  const config: TrainConfig = { ...base, out: dir, cvFold: { folds: cv.folds, fold } };
  saveCheckpoint(join(dir, 'last.safetensors'), model.module, {
    model: members[fold - 1]!,
    labels: bundle.metadata.labels,
    preprocessing: bundle.metadata.preprocessing,
    extra: { dataset: { name: data.name, split }, training: { config }, rebuiltFrom: options.model },
  });
  writeFileAtomic(join(dir, 'heldout.json'), `${JSON.stringify(file)}\n`);
  model.module.dispose();
  heldout.push(file);
  process.stderr.write(`fold ${fold}: ${value?.toFixed(4)} (bundle's CV: ${stored?.toFixed(4)})\n`);
}
const summary = summarise(heldout, base);
writeFileAtomic(join(options.out, CV_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(formatCvSummary(summary));
