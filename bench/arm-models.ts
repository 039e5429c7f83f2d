/**
 * The graphs of the PTB-XL efficiency table's rows (docs/results.md#efficiency) as a model catalogue that
 * `npm run bench:infer -- --models-dir DIR` times like the bundled models: each architecture with random weights
 * (marked untrained) and BatchNorm statistics settled on noise (settleBatchNorm), 12 leads at 100 Hz, 5 outputs,
 * scored over a 10 s record with the row's windows (2.5 s at a 1.25 s hop: 7 windows; or one 10 s window).
 *
 *   npx tsx bench/arm-models.ts DIR [--rows a,b] [--trained NAME=CHECKPOINT ...]
 *   npm run bench:infer -- --models-dir DIR --no-browser
 *
 * `--trained` adds trained checkpoints (e.g. a CV fold's last.safetensors) beside the rows, exported with their own
 * windows: weights change the time (trained EfficientECG graphs ran faster than these), so a row and its trained
 * counterpart are best timed in one run.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { manualSeed, noGrad, ops as F, scope } from '../src/engine/index.js';
import {
  encodeCheckpoint,
  decodeCheckpoint,
  readCheckpoint,
  type Checkpoint,
  type CheckpointMetadata,
} from '../src/export/checkpoint.js';
import { exportCheckpoint } from '../src/infer/export-model.js';
import { checkpointMacs } from '../src/models/macs.js';
import {
  buildModel,
  defaultConfig,
  modelFromCheckpoint,
  type ArchitectureName,
  type EcgModel,
} from '../src/models/registry.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const LEADS = ['I', 'II', 'III', 'AVR', 'AVL', 'AVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
const CLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
const FS = 100;

/** A row of the table: the architecture and the windows a 10 s record is scored with. */
interface Arm {
  name: string;
  architecture: ArchitectureName;
  windowSeconds: number;
  hopSeconds: number;
}

const crops = (name: string, architecture: ArchitectureName): Arm => ({
  name,
  architecture,
  windowSeconds: 2.5,
  hopSeconds: 1.25,
});
const whole = (name: string, architecture: ArchitectureName): Arm => ({
  name,
  architecture,
  windowSeconds: 10,
  hopSeconds: 10,
});

export const ARMS: readonly Arm[] = [
  whole('w0.25-10s', 'efficientecg-w0.25'),
  crops('w0.25-7x2.5s', 'efficientecg-w0.25'),
  crops('w0.5-7x2.5s', 'efficientecg-w0.5'),
  crops('w0.25-r4-7x2.5s', 'efficientecg-w0.25-r4'),
  crops('resnet1d_wang-7x2.5s', 'resnet1d_wang'),
  whole('resnet1d_wang-10s', 'resnet1d_wang'),
  crops('inception1d-7x2.5s', 'inception1d'),
  crops('xresnet1d101-7x2.5s', 'xresnet1d101'),
];

function metadataOf(arm: Arm): CheckpointMetadata {
  const samples = Math.round(arm.windowSeconds * FS);
  return {
    model: { name: arm.architecture, config: defaultConfig(arm.architecture, LEADS.length, CLASSES.length) },
    labels: CLASSES,
    preprocessing: {
      resampleTo: FS,
      bandpass: [0.5, 40],
      standardize: true,
      fs: FS,
      leads: LEADS,
      windowSeconds: arm.windowSeconds,
      windowSamples: samples,
      shortRecords: 'zero-pad',
      windows: {
        hopSamples: Math.round(arm.hopSeconds * FS),
        lastAlignedToEnd: true,
        aggregate: 'mean-logits',
      },
    },
    extra: {
      labelKind: 'multi-label',
      outputActivation: 'sigmoid',
      patientInputs: [],
      thresholds: {},
      untrained: true,
    },
  };
}

/**
 * BatchNorm running statistics from training-mode passes over noise. With a fresh model's (mean 0, variance 1),
 * EfficientECG's eval-mode activations shrink block after block until its logits no longer depend on the input
 * (underflow: denormal arithmetic is slower on CPUs, so the timing would not be a trained model's); with them,
 * activations are on a trained model's scale.
 */
function settleBatchNorm(model: EcgModel, samples: number): void {
  model.train();
  manualSeed(1);
  for (let pass = 0; pass < 40; pass++)
    noGrad(() => scope(() => void model.forward(F.randn([8, LEADS.length, samples]))));
  model.eval();
}

/** Writes the arm's checkpoint and ONNX file into `dir`; returns its catalogue entry. */
function writeArm(dir: string, arm: Arm): Record<string, unknown> {
  manualSeed(0);
  const metadata = metadataOf(arm);
  const model = buildModel(arm.architecture, metadata.model.config);
  settleBatchNorm(model, Math.round(arm.windowSeconds * FS));
  const bytes = encodeCheckpoint(model, metadata);
  const parameters = model.numParameters();
  const macs = checkpointMacs(model, metadata);
  model.dispose();
  writeFileAtomic(join(dir, `${arm.name}.safetensors`), bytes);
  writeFileAtomic(
    join(dir, `${arm.name}.onnx`),
    exportCheckpoint(decodeCheckpoint(bytes, arm.name), arm.name),
  );
  writeFileAtomic(
    join(dir, `${arm.name}.md`),
    `# ${arm.name}\n\nRandom weights: a graph to time, not a model.\n`,
  );
  return {
    name: arm.name,
    dataset: 'ptbxl',
    task: 'records',
    default: false,
    architecture: arm.architecture,
    classes: CLASSES,
    leads: LEADS,
    fs: FS,
    windowSeconds: arm.windowSeconds,
    parameters,
    macs,
    cv: null,
    validation: {},
    files: { onnx: `${arm.name}.onnx`, checkpoint: `${arm.name}.safetensors`, card: `${arm.name}.md` },
  };
}

/** Writes a trained checkpoint's ONNX file (and a copy of it) into `dir`; returns its catalogue entry. */
function writeTrained(dir: string, name: string, path: string): Record<string, unknown> {
  const checkpoint: Checkpoint = readCheckpoint(path);
  const { metadata } = checkpoint;
  const model = modelFromCheckpoint(checkpoint, path); // any architecture, ensembles too
  const parameters = model.numParameters();
  const macs = checkpointMacs(model, metadata);
  model.dispose();
  const pre = metadata.preprocessing as { fs: number; leads: string[]; windowSeconds: number };
  writeFileAtomic(join(dir, `${name}.safetensors`), readFileSync(path));
  writeFileAtomic(join(dir, `${name}.onnx`), exportCheckpoint(checkpoint, name));
  writeFileAtomic(join(dir, `${name}.md`), `# ${name}\n\nTrained weights from ${path}: a graph to time.\n`);
  return {
    name,
    dataset: 'ptbxl',
    task: 'records',
    default: false,
    architecture: metadata.model.name,
    classes: metadata.labels,
    leads: pre.leads,
    fs: pre.fs,
    windowSeconds: pre.windowSeconds,
    parameters,
    macs,
    cv: null,
    validation: {},
    files: { onnx: `${name}.onnx`, checkpoint: `${name}.safetensors`, card: `${name}.md` },
  };
}

/** `NAME=PATH` pairs of --trained. */
function trainedPairs(values: readonly string[]): Array<[string, string]> {
  return values.map((value) => {
    // NAME as the catalogue takes it (src/models/bundled.ts): lower-case letters, digits, . _ -.
    const match = /^([a-z0-9._-]+)=(.+\.safetensors)$/.exec(value);
    if (match === null) {
      process.stderr.write(
        `--trained ${value}: expected NAME=CHECKPOINT.safetensors (NAME: a-z 0-9 . _ -)\n`,
      );
      process.exit(2);
    }
    return [match[1]!, match[2]!];
  });
}

const options = new Command()
  .argument('<dir>', 'folder to write the catalogue into')
  .option('--rows <names>', `only these rows, comma-separated (${ARMS.map((arm) => arm.name).join(', ')})`)
  .option(
    '--trained <pairs...>',
    'trained checkpoints to add, NAME=CHECKPOINT.safetensors (their own windows)',
  )
  .parse();
const [dir] = options.args as [string];
const { rows, trained = [] } = options.opts() as { rows?: string; trained?: string[] };
const wanted = rows?.split(',');
const trainedModels = trainedPairs(trained);
const unknown = (wanted ?? []).filter((name) => !ARMS.some((arm) => arm.name === name));
if (unknown.length > 0) {
  process.stderr.write(`--rows: unknown ${unknown.join(', ')}\n`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const models = ARMS.filter((arm) => wanted === undefined || wanted.includes(arm.name)).map((arm) => {
  const entry = writeArm(dir, arm);
  process.stderr.write(`${arm.name}: ${entry.parameters} parameters, ${entry.macs} MACs per window\n`);
  return entry;
});
for (const [name, path] of trainedModels) {
  const entry = writeTrained(dir, name, path);
  process.stderr.write(
    `${name} (trained, ${path}): ${entry.parameters} parameters, ${entry.macs} MACs per window\n`,
  );
  models.push(entry);
}
writeFileAtomic(
  join(dir, 'catalog.json'),
  `${JSON.stringify({ format: 'efficientecg-models', version: 1, models }, null, 2)}\n`,
);
