/**
 * Bundles a trained run as a shipped model: exports its best checkpoint to ONNX, evaluates it on the validation
 * split through onnxruntime (bootstrap 95 % intervals), counts parameters and MACs for one window, writes the model
 * card and adds (or replaces) its entry in models/catalog.json.
 *
 *   npx tsx scripts/bundle-model.ts --run runs/X --name NAME --data DIR [--default] [--command "how it was trained"]
 *
 * With --cv DIR (a finished `efficientecg cv` folder) instead of --run, the shipped model is the ensemble of the K
 * fold models (one ONNX graph averaging their logits; each member trained on K-1 folds, so together they saw all
 * the data), its decision thresholds are chosen on the pooled out-of-fold predictions, and the catalogue's `cv`
 * figure is the cross-validated figure of one fold model (the ensemble itself is not cross-validated: every record
 * is in the training data of K-1 members). With --class-offsets (single-label tasks) the ensemble also carries per-class
 * logit offsets fitted on the pooled out-of-fold logits, and the catalogue's `cv` figure is then the nested CV of that
 * decision rule (fold k decided with offsets fitted on the other folds; src/train/cv-offsets.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { readCheckpoint, saveCheckpoint, type Checkpoint } from '../src/export/checkpoint.js';
import { selectThresholds } from '../src/eval/index.js';
import { ensembleCheckpoint } from '../src/models/ensemble.js';
import {
  cvEnsembleDataset,
  foldDir,
  poolOutputs,
  readHeldout,
  rescoredHeldoutName,
  summarise,
  type CvSummary,
} from '../src/train/cv.js';
import { beatDecisionRules } from '../src/train/beats.js';
import type { TrainConfig } from '../src/train/config.js';
import type { ClusterVote } from '../src/infer/metadata.js';
import { resolveInitCheckpoint } from '../src/train/init.js';
import { RUN_FILES } from '../src/train/loop.js';
import { foldValues, pairedDifference } from '../src/train/cv-compare.js';
import { offsetsCv, type OffsetsCv } from '../src/train/cv-offsets.js';
import { probabilities as probabilitiesOf } from '../src/train/validate.js';
import { checkpointMacs } from '../src/models/macs.js';
import { modelFromCheckpoint } from '../src/models/registry.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { requireInputDir } from '../src/cli/paths.js';
import { ConfigError } from '../src/errors.js';
import { EVALUATIONS, isEvaluable } from '../src/infer/evaluate.js';
import { datasetWithCounts } from '../src/infer/metadata.js';
import { recordedFolder } from '../src/datasets/folder-digest.js';

const LICENSES: Record<string, string> = {
  cinc2017: 'PhysioNet/CinC Challenge 2017 training data, ODC-By 1.0 (Clifford et al., CinC 2017).',
  ptbxl: 'PTB-XL 1.0.3, CC BY 4.0 (Wagner et al., Scientific Data 2020; PhysioNet).',
  mitdb: 'MIT-BIH Arrhythmia Database, ODC-By 1.0 (Moody & Mark 2001; PhysioNet).',
};

const options = new Command()
  .option('--run <dir>', 'training run folder (best.safetensors, config.json)')
  .option('--cv <dir>', 'a finished `efficientecg cv` folder: ship the ensemble of its fold models')
  .requiredOption('--name <name>', 'catalogue name')
  .option('--data <dir>', 'dataset folder used for the validation figures (--run)')
  .option('--default', 'the default model for its dataset')
  .option('--command <text>', 'the exact training command, for the card')
  .option(
    '--class-offsets',
    'with --cv, single-label: ship per-class logit offsets fitted on out-of-fold logits',
  )
  .option(
    '--offset-classes <names>',
    'with --class-offsets: fit only these classes’ offsets, comma-separated (e.g. S); the others stay 0',
    (value: string) => value.split(',').filter((name) => name !== ''),
  )
  .option('--models-dir <dir>', 'catalogue folder to write into (default: the package models/)')
  .option(
    '--aggregate <mode>',
    'with --cv: combine windows with this aggregation (mean-logits | max) instead of the runs’ own; needs the folds re-scored by cv-rescore --write',
  )
  .parse()
  .opts<{
    run?: string;
    cv?: string;
    name: string;
    data?: string;
    default?: boolean;
    command?: string;
    classOffsets?: boolean;
    offsetClasses?: string[];
    modelsDir?: string;
    aggregate?: 'mean-logits' | 'max';
  }>();
if ((options.run === undefined) === (options.cv === undefined)) throw new Error('give --run DIR or --cv DIR');
if (options.run !== undefined && options.data === undefined) throw new Error('--run needs --data DIR');
// Checked before any work: a wrong --data used to surface only in `evaluate`, after the shipped files were replaced.
if (options.run !== undefined) requireInputDir('--data', options.data!);

const models = options.modelsDir ?? new URL('../models/', import.meta.url).pathname;
/**
 * The new checkpoint and ONNX are written here (same file system as models/, so renames are atomic) under their final
 * names (evaluate names the model after its file), and renamed into place only once the catalogue and card are ready:
 * a failing step leaves models/ as it was.
 */
const staging = mkdtempSync(join(models, `.bundle-${options.name}-`));
process.on('exit', () => rmSync(staging, { recursive: true, force: true }));
const cli = new URL('../src/cli/index.ts', import.meta.url).pathname;
const efficientecg = (...args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`efficientecg ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
};

const heldoutName = options.aggregate ? rescoredHeldoutName(options.aggregate) : RUN_FILES.heldout;
/** The folder's cv.json: the folds as they were validated. */
const ownCv = options.cv
  ? (JSON.parse(readFileSync(join(options.cv, 'cv.json'), 'utf8')) as CvSummary)
  : null;
// With --aggregate, the figures of the re-scored folds.
const writtenCv =
  ownCv && options.aggregate
    ? summarise(foldsOf(options.cv!, ownCv), {
        ...ownCv.config,
        windowAggregate: options.aggregate,
      } as TrainConfig)
    : ownCv;
const offsets: OffsetsCv | null =
  options.classOffsets && writtenCv
    ? offsetsCv(foldsOf(options.cv!, writtenCv), writtenCv.config, options.offsetClasses)
    : null;
const aggregationNote = aggregationNoteOf(ownCv);
// The figure of the decision rule that ships: with offsets, their nested CV.
const cvSummary = offsets?.nested ?? writtenCv;
const shippedPath = join(models, `${options.name}.safetensors`);
const stagedPath = join(staging, `${options.name}.safetensors`);
const checkpoint = cvSummary
  ? cvEnsemble(options.cv!, cvSummary)
  : readCheckpoint(join(options.run!, 'best.safetensors'));
const extra = checkpoint.metadata.extra ?? {};
const dataset = String((extra.dataset as { name?: string } | undefined)?.name ?? extra.dataset ?? '');
if (cvSummary === null && !isEvaluable(dataset))
  throw new ConfigError(
    `${options.run}: the checkpoint's dataset "${dataset}" has no evaluation (have: ${Object.keys(EVALUATIONS).join(', ')})`,
  );
const onnxFile = `${options.name}.onnx`;
const stagedOnnx = join(staging, onnxFile);
if (cvSummary === null) writeFileAtomic(stagedPath, readFileSync(join(options.run!, 'best.safetensors')));
efficientecg('export', '--model', stagedPath, '--out', stagedOnnx);
const evaluationPath = options.run === undefined ? '' : join(options.run, 'validation-evaluation.json');
const evaluation = cvSummary ? {} : validationEvaluation();

/** The selection-split evaluation of a single run's model through onnxruntime (--run only). */
function validationEvaluation(): Record<string, unknown> {
  efficientecg(
    'evaluate',
    '--model',
    stagedOnnx,
    '--dataset',
    dataset,
    '--data',
    options.data!,
    '--split',
    'val',
    '--json',
    evaluationPath,
    '--resamples',
    '200',
  );
  return JSON.parse(readFileSync(evaluationPath, 'utf8')) as Record<string, unknown>;
}

/**
 * The K fold models as one ensemble checkpoint (written to the models folder), thresholds chosen on the pooled
 * out-of-fold probabilities (multi-label; single-label tasks decide by argmax).
 */
function cvEnsemble(dir: string, summary: CvSummary): Checkpoint {
  const sources = Array.from({ length: summary.folds }, (_, k) =>
    join(foldDir(dir, k + 1), 'last.safetensors'),
  );
  const ensemble = ensembleCheckpoint(sources.map(readCheckpoint), sources, offsets?.offsets);
  const pooled = poolOutputs(foldsOf(dir, summary).map((file) => file.outputs));
  const probabilities = probabilitiesOf(
    pooled.labelKind,
    pooled.logits.map((row) => Float64Array.from(row)),
  );
  const hot = pooled.labels.map((labels) => {
    const row = new Float64Array(pooled.classes.length);
    for (const label of labels) row[label] = 1;
    return row;
  });
  const thresholds =
    pooled.labelKind === 'multi-label' ? selectThresholds(hot, probabilities, pooled.classes).thresholds : {};
  const preprocessing = ensemble.metadata.preprocessing as { windows?: Record<string, unknown> } | null;
  const metadata = {
    ...ensemble.metadata,
    ...(options.aggregate && preprocessing
      ? {
          preprocessing: {
            ...preprocessing,
            windows: { ...preprocessing.windows, aggregate: options.aggregate },
          },
        }
      : {}),
    extra: {
      ...ensemble.metadata.extra,
      // Every record the CV covers, also when the fold models predate saving their training ids.
      dataset: cvEnsembleDataset(
        datasetName(ensemble),
        foldsOf(dir, summary),
        recordedFolder(ensemble.metadata.extra?.dataset),
      ),
      ...clusterVoteOf(summary, ensemble.metadata.extra),
      thresholds,
      thresholdsChosenOn: `pooled out-of-fold predictions of ${summary.folds}-fold cross-validation`,
      ...(offsets ? { classOffsets: offsets.offsets } : {}),
      validation: null,
      cv: summary,
    },
  };
  const module = modelFromCheckpoint(ensemble, 'ensemble');
  saveCheckpoint(stagedPath, module, metadata);
  module.dispose();
  return readCheckpoint(stagedPath);
}

function datasetName(checkpoint: Checkpoint): string {
  const recorded = checkpoint.metadata.extra?.dataset as { name?: unknown } | undefined;
  if (typeof recorded?.name !== 'string')
    throw new ConfigError(`${options.cv}: the fold models name no dataset`);
  return recorded.name;
}

/**
 * The CV's cluster vote and fusion rule in the ensemble's beat metadata: a CV re-decided with them
 * (beats-cv-rescore.ts) says so in its config, while the members' own metadata predate them.
 */
function clusterVoteOf(
  summary: CvSummary,
  extra: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const rules = beatDecisionRules((summary.config as TrainConfig).beats);
  if (Object.keys(rules).length === 0) return {};
  return { beats: { ...(extra?.beats as Record<string, unknown>), ...rules } };
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A sentence on the teachers, when the members were distilled (config.distill). */
function distillationNote(): string {
  const distill = (config as { distill?: { teachers: string[]; alpha: number; temperature: number } | null })
    .distill;
  if (!distill) return '';
  return (
    `\nEach member was distilled from ${distill.teachers.join(', ')} (soft targets weighted ${distill.alpha}, ` +
    `temperature ${distill.temperature}); a cross-validation folder teaches fold k with its own fold-k model, ` +
    `trained on the same folds, so no teacher saw the records a fold reports.\n`
  );
}

/**
 * A sentence on the members' starting weights (config.init), naming a self-supervised checkpoint's sources and
 * length from its own metadata (src/train/pretrain.ts).
 */
function initNote(): string {
  const init = (config as { init?: string | null }).init;
  if (!init) return '';
  let pretrained: { sources?: Array<{ dataset: string }>; epochs?: number } | null = null;
  try {
    const extra = readCheckpoint(resolveInitCheckpoint(init)).metadata.extra ?? {};
    if (extra.task === 'pretrain') {
      const training = extra.training as { state?: { epoch?: number } } | undefined;
      pretrained = { ...(extra.pretrain as object), epochs: training?.state?.epoch };
    }
  } catch {
    // The checkpoint is not on this machine any more: name it only.
  }
  if (pretrained === null) return `\nEach member started from the weights of ${init} (\`--init\`).\n`;
  const sources = (pretrained.sources ?? []).map((source) => source.dataset).join(', ');
  return (
    `\nEach member started from ${init}: self-supervised contrastive pre-training (docs/pretraining.md) ` +
    `for ${pretrained.epochs} epochs on the unlabelled ECG of ${sources} (no labels read).\n`
  );
}

/** With --aggregate: how the shipped aggregation was chosen, and the figure of the runs' own. */
function aggregationNoteOf(own: CvSummary | null): string | null {
  if (!options.aggregate || own === null) return null;
  const trained = (own.config as { windowAggregate?: string }).windowAggregate ?? 'mean-logits';
  return (
    `windows are combined by ${options.aggregate} instead of the ${trained} the folds were validated with, and the ` +
    `figures are the same fold models re-scored that way; that choice was made on these folds (with ${trained}: ` +
    `${own.mean?.toFixed(3)} ± ${own.sd?.toFixed(3)}, pooled ${own.pooled.value?.toFixed(3)})`
  );
}

function foldsOf(dir: string, summary: CvSummary) {
  const heldout = readHeldout(dir, summary.folds, heldoutName);
  if (heldout === null)
    throw new Error(
      `${dir}: not every fold has ${heldoutName}${options.aggregate ? ' (run cv-rescore.ts --write first)' : ''}`,
    );
  return heldout;
}

const model = modelFromCheckpoint(checkpoint, shippedPath);
model.eval();
const config = cvSummary
  ? (cvSummary.config as unknown as Record<string, unknown>)
  : (JSON.parse(readFileSync(join(options.run!, 'config.json'), 'utf8')) as Record<string, unknown>);
const pre = checkpoint.metadata.preprocessing as {
  leads?: string[];
  fs: number;
  windowSamples: number;
  windowSeconds: number;
  standardize?: boolean;
};
const leads = pre.leads ?? [];
const task = extra.task === 'beats' ? ('beats' as const) : ('records' as const);
// Beat models read their beat channels (beatChannelCount: 3 per lead for template `both`), RR and context.
const macs = checkpointMacs(model, checkpoint.metadata);

const entry = {
  name: options.name,
  dataset,
  task,
  default: options.default ?? false,
  architecture:
    checkpoint.metadata.model.name === 'ensemble'
      ? `ensemble of ${(checkpoint.metadata.model.config as { members: Array<{ name: string }> }).members.length} ${(checkpoint.metadata.model.config as { members: Array<{ name: string }> }).members[0]!.name}`
      : checkpoint.metadata.model.name,
  classes: checkpoint.metadata.labels,
  leads,
  fs: pre.fs,
  windowSeconds: pre.windowSeconds,
  amplitudes: pre.standardize ? 'z-score' : 'mV', // as the Predictor reads the metadata (absent: mV)
  parameters: model.numParameters(),
  macs,
  cv: cvSummary
    ? {
        folds: cvSummary.folds,
        metric: cvSummary.metric,
        mean: cvSummary.mean,
        sd: cvSummary.sd,
        pooled: cvSummary.pooled.value,
        pooledInterval: cvSummary.intervals[cvSummary.metric] ?? null,
        pooledFigures: Object.fromEntries(
          Object.entries(cvSummary.pooled.details ?? {}).filter(([, v]) => typeof v === 'number'),
        ) as Record<string, number>,
        note: `the shipped model is the ensemble of the ${cvSummary.folds} fold models; the figures are those of one fold model on the records it never saw${offsets ? ', decided with class offsets fitted on the other folds (nested)' : ''}${aggregationNote ? `; ${aggregationNote}` : ''}`,
      }
    : null,
  validation: (extra.validation as Record<string, unknown>) ?? {},
  files: { onnx: onnxFile, checkpoint: `${options.name}.safetensors`, card: `${options.name}.md` },
};
model.dispose();

const catalogPath = join(models, 'catalog.json');
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as {
  models: Array<typeof entry & { packaged?: boolean }>;
};
// A model bundled again stays out of the npm package if it was (package.json `files` leaves it out); a default must
// ship, so making it one is refused until it is put back in the package by hand.
const outOfPackage = catalog.models.some((m) => m.name === entry.name && m.packaged === false);
if (outOfPackage && entry.default)
  throw new ConfigError(
    `${entry.name} is left out of the npm package (catalog.json "packaged": false, package.json files "!models/${entry.name}.*"), and a default must ship in it: remove both, then bundle it with --default`,
  );
catalog.models = catalog.models.filter((m) => m.name !== entry.name);
const replaced = entry.default ? catalog.models.filter((m) => m.dataset === dataset && m.default) : [];
for (const m of replaced) m.default = false;
catalog.models.push(outOfPackage ? { ...entry, packaged: false } : entry);
// Every text is made before anything is moved into place: a failure up to here leaves models/ untouched.
const writes = new Map<string, string>([
  [catalogPath, `${JSON.stringify(catalog, null, 2)}\n`],
  [join(models, entry.files.card), card()],
  ...replaced.flatMap((m) => replacedCard(join(models, m.files.card))),
]);
// Staged files were written by writeFileAtomic (synced): each rename shows the whole new file or the old one.
renameSync(stagedPath, shippedPath);
renameSync(stagedOnnx, join(models, onnxFile));
for (const [path, text] of writes) writeFileAtomic(path, text);
console.log(`bundled ${entry.name}: ${entry.parameters} parameters, ${entry.macs} MACs per window`);

/** The card of the model this one replaces as its dataset's default says so (test/cli/models.test.ts checks). */
function replacedCard(cardPath: string): Array<[string, string]> {
  if (!existsSync(cardPath)) return [];
  const text = readFileSync(cardPath, 'utf8').replace(
    /^\| default for (\S+) \| .+ \|$/m,
    (_, set: string) => `| default for ${set} | no (now \`${entry.name}\`) |`,
  );
  return [[cardPath, text]];
}

/** The cross-validation table of the card: each fold, mean ± sd, pooled out-of-fold with its interval. */
function cvSection(summary: CvSummary): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const interval = summary.intervals[summary.metric];
  const details = summary.pooled.details as Record<string, unknown> & {
    auroc_per_class?: Record<string, number | null>;
    f1_per_class?: Record<string, number | null>;
  };
  // Interval keys: the task's figures (S_f1, accuracy...) or per-class ones (auroc_NORM, f1_A).
  const pooledValue = (key: string): number | null | undefined => {
    if (typeof details[key] === 'number') return details[key] as number;
    const [kind, name] = [key.slice(0, key.indexOf('_')), key.slice(key.indexOf('_') + 1)];
    return kind === 'auroc' ? details.auroc_per_class?.[name] : details.f1_per_class?.[name];
  };
  const perClass = Object.entries(summary.intervals)
    .filter(([key]) => key !== summary.metric)
    .map(([key, ci]) => `| ${key} | ${f(pooledValue(key))} | ${ci ? `[${f(ci[0])}, ${f(ci[1])}]` : 'n/a'} |`);
  // Datasets without patient ids (CinC 2017, CPSC 2018) are grouped by record: say which, the reader cannot tell.
  const unit = groupedByRecord(options.cv!, summary) ? 'record' : 'patient';
  return `## Cross-validated accuracy (${summary.folds}-fold, ${unit}-grouped)
Each fold's model trained on the other folds with a fixed schedule (nothing chosen on the fold it reports) and scored
the fold's ${task === 'beats' ? 'beats' : 'records'} once with its last weights (\`efficientecg cv\`, src/train/cv.ts). The shipped model averages the
${summary.folds} fold models' logits; these figures are those of single fold models, so they do not include the
ensemble's own gain.
${offsets ? offsetsSection(offsets) : ''}${aggregationNote ? `\n${capitalised(aggregationNote)}.\n` : ''}${initNote()}${distillationNote()}
| fold | ${summary.metric} | ${task === 'beats' ? 'beats' : 'records'} |
|---|---|---|
${summary.perFold.map((p) => `| ${p.fold} | ${f(p.value)} | ${p.items} |`).join('\n')}
| **mean ± sd** | **${f(summary.mean)} ± ${f(summary.sd)}** | |
| **pooled out-of-fold** | **${f(summary.pooled.value)}** ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''} | ${summary.pooled.items} |

The pooled out-of-fold figures with 95 % ${unit}-bootstrap intervals:

| figure | pooled | interval |
|---|---|---|
${perClass.join('\n')}
`;
}

/** Whether every out-of-fold item is its own group: folds and intervals then resample records, not patients. */
function groupedByRecord(dir: string, summary: CvSummary): boolean {
  return foldsOf(dir, summary).every((file) =>
    file.outputs.groups.every((group, i) => group === file.outputs.ids[i]),
  );
}

/** What the class offsets are and what they changed, measured by nested CV against plain argmax on the same folds. */
function offsetsSection(result: OffsetsCv): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const d = pairedDifference(foldValues(result.plain), foldValues(result.nested));
  const classes = checkpoint.metadata.labels;
  const gated = (extra.beats as { fibrillationGate?: boolean } | undefined)?.fibrillationGate === true;
  const voted = voteSentence() !== '';
  return `
The model decides by argmax of its logits plus per-class offsets (${classes.map((c, i) => `${c} ${result.offsets[i]!.toFixed(2)}`).join(', ')}${gated ? `; added after the fibrillation gate${voted ? ' and the cluster vote' : ''}, as in the CV logits they were fitted on` : ''}),
fitted on the pooled out-of-fold logits (src/eval/class-offsets.ts${options.offsetClasses ? `; only ${options.offsetClasses.join(', ')} fitted, the others fixed at 0` : ''}). The table below is a nested CV of that rule:
fold k decided with offsets fitted on the other folds only. Plain argmax on the same fold models: ${f(result.plain.mean)} ± ${f(result.plain.sd)},
pooled ${f(result.plain.pooled.value)}; paired difference ${d.mean !== null && d.mean >= 0 ? '+' : ''}${f(d.mean)} ± ${f(d.sd)} (${d.up}/${d.folds} folds up).
`;
}

/** Markdown rows "metric | value | 95 % interval" for every number of the result that has an interval. */
function metricRows(result: Record<string, unknown>, ci: Record<string, unknown>, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    const interval = ci[key];
    if (typeof value === 'number' && Array.isArray(interval)) {
      const [low, high] = interval as number[];
      rows.push(`| ${prefix}${key} | ${value.toFixed(3)} | [${low!.toFixed(3)}, ${high!.toFixed(3)}] |`);
    } else if (
      value &&
      typeof value === 'object' &&
      interval &&
      typeof interval === 'object' &&
      !Array.isArray(value)
    ) {
      rows.push(
        ...metricRows(
          value as Record<string, unknown>,
          interval as Record<string, unknown>,
          `${prefix}${key}.`,
        ),
      );
    }
  }
  return rows;
}

/** The selection-split figures of a single run (not a result: the split chose the checkpoint). */
function validationSection(table: string, metrics: string, result: Record<string, unknown>): string {
  return `## Selection-split figures (a training log: the epoch was chosen on these records; onnxruntime, ${intervalsOf(result.notes)})
Reproduce: \`npx efficientecg evaluate --model ${entry.name} --dataset ${dataset} --data DIR --split val --json out.json\`
(${String(result.records ?? '?')} validation records)

${table}

<details><summary>Full evaluation JSON</summary>

\`\`\`json
${metrics}
\`\`\`
</details>
`;
}

/** What the evaluation's intervals resampled, in its own words (evaluate resamples patients' records together). */
function intervalsOf(notes: unknown): string {
  const note = (Array.isArray(notes) ? notes : [])
    .map(String)
    .find((n) => n.includes('percentile bootstrap'));
  const match = /^(\d+) % intervals: percentile bootstrap, (\d+) resamples of (\w+)/.exec(note ?? '');
  if (match === null)
    throw new Error(`${evaluationPath}: no bootstrap note, so the card cannot say what was resampled`);
  const [, level, resamples, unit] = match;
  const together = task === 'beats' ? "a record's beats together" : "a patient's records together";
  return `bootstrap ${level} % intervals over ${unit}${unit === 'groups' ? ` (${together})` : ''}, ${resamples} resamples`;
}

/** What the model reads of amplitudes: a z-scored model ignores units, one without standardisation reads mV. */
function inputUnits(): string {
  const { bandpass, standardize } = config.preprocess as {
    bandpass: [number, number] | null;
    standardize: boolean;
  };
  const band = bandpass ? `band-passed ${bandpass[0]}-${bandpass[1]} Hz, ` : '';
  return standardize
    ? `Input: each lead ${band}then z-scored over the record (amplitude units do not matter).`
    : `Input: each lead ${band}in **millivolts** (no z-score: amplitudes, e.g. the voltage criteria of hypertrophy, are read). Records are converted from their stated unit (µV, V); a record whose leads span no ECG's millivolts gets a notice, since a unit mislabelled as mV would give wrong output.`;
}

/** The card's sentence on the cluster vote, from the shipped metadata. */
function voteSentence(): string {
  const shipped = checkpoint.metadata.extra?.beats as { clusterVote?: ClusterVote } | undefined;
  const vote = shipped?.clusterVote;
  if (!vote) return '';
  return ` Cluster vote: the record's beats are grouped by QRS shape (src/signal/beat-clusters.ts: correlation >= ${vote.correlation} with a cluster's first beat, ${vote.amplitudeRange[0]}-${vote.amplitudeRange[1]}x its amplitude, QRS +-${vote.halfWidthSeconds} s), and each beat's probability of ventricular origin (V + F) becomes ${vote.weight === 1 ? "its cluster's mean" : `${1 - vote.weight} x its own + ${vote.weight} x its cluster's mean`}, its own N:S and V:F ratios kept; after the gate, before the offsets.`;
}

function card(): string {
  const result = (evaluation.result ?? {}) as Record<string, unknown>;
  const table = [
    '| metric | value | 95 % interval |',
    '|---|---|---|',
    ...metricRows(result, (result.ci95 ?? {}) as Record<string, unknown>),
  ].join('\n');
  const metrics = JSON.stringify(result, null, 2);
  return `# ${entry.name}

**${entry.architecture}** trained on **${dataset}** (${entry.classes.join(', ')}); ${entry.leads.length} lead(s)
(${entry.leads.join(', ')}), ${entry.fs} Hz, ${
    task === 'beats'
      ? `one ${entry.windowSeconds.toFixed(2)} s window around each R peak (with its RR intervals), one class per beat.${
          (extra.beats as { fibrillationGate?: boolean } | undefined)?.fibrillationGate
            ? ' Fibrillation gate: a beat that the RR-interval detector of src/signal/fibrillation.ts (fitted on CinC 2017) puts in atrial fibrillation is never called S.'
            : ''
        }${voteSentence()}`
      : `${entry.windowSeconds} s windows (records are covered by sliding windows; ${config.windowAggregate === 'max' ? 'each class takes its largest logit over the windows' : 'their logits are averaged'}).`
  }
${inputUnits()}

| | |
|---|---|
| parameters | ${entry.parameters.toLocaleString('en-US')} |
| MACs per window | ${entry.macs.toLocaleString('en-US')} |
| default for ${dataset} | ${entry.default ? 'yes' : 'no'} |

${cvSummary ? cvSection(cvSummary) : ''}
## Data and split
${LICENSES[dataset] ?? dataset} ${
    cvSummary
      ? `${dataset === 'mitdb' ? 'Every DS1 record was used (DS2, the de Chazal test set, was not read)' : 'Every record the cross-validation covers was used'}: fold k's member trained on the other ${cvSummary.folds - 1} folds. ${extra.labelKind === 'multi-label' ? 'Decision thresholds were chosen on the pooled out-of-fold predictions.' : offsets ? 'Class offsets were fitted on the pooled out-of-fold logits.' : 'Classes are decided by argmax.'}`
      : `Split as saved in the checkpoint: \`${JSON.stringify(extra.split ?? datasetWithCounts((extra.dataset as Record<string, unknown> | undefined) ?? null) ?? {})}\`. Validation figures below are on the split that selected the checkpoint (a training log, not a cross-validated result).`
  } The maintainers' held-out test sets were never seen.

## Recipe
\`\`\`
${options.command ?? '(see runs config.json)'}
\`\`\`
Training configuration: \`${JSON.stringify(config)}\`

${cvSummary ? '' : validationSection(table, metrics, result)}
## Intended use and limits
A research model, not a medical device. Trained on one public dataset with a small compute budget (see the recipe);
expect lower figures on other populations, devices and sampling rates.

## License
Model weights: Apache-2.0, like the code. Training data: ${LICENSES[dataset] ?? 'see the dataset'}
`;
}
