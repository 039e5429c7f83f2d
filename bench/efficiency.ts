/**
 * Parameters and MACs of every registered architecture for one 10 s record, at each --lengths (samples per lead:
 * 1000 = 100 Hz, 5000 = 500 Hz), from the op trace (src/models/macs.ts: convolutions, linear, matmul; elementwise
 * ops not counted). EfficientECG-Fusion is listed over the b0 backbone (the registry default) and over w0.5 (the
 * PTB-XL experiments), with age and sex tokens.
 * With --train-steps N it also times N training steps per model (after 2 untimed ones) as the trainer takes them:
 * forward and BCE with logits on random data, backward, gradient clipping at 1, AdamW; batch --batch, 12 x
 * --train-length, --threads libtorch threads. Elapsed time depends on what else runs on the machine: compare the
 * rows of one run, not runs made at different times.
 * Usage: npx tsx bench/efficiency.ts [--lengths 1000,5000] [--leads 12] [--classes 5] [--models a,b]
 *          [--train-steps 0] [--batch 32] [--train-length 1000] [--threads 1]
 */
import { Command } from 'commander';
import { manualSeed, ops as F, scope, setNumThreads, type Tensor } from '../src/engine/index.js';
import { ConfigError } from '../src/errors.js';
import { countMacsOf } from '../src/models/macs.js';
import { architectureNames } from '../src/models/registry.js';
import { AdamW, clipGradNorm, weightDecayGroups } from '../src/optim/index.js';
import { newTrainableModel, type TrainableModel } from '../src/train/index.js';

const options = new Command()
  .option('--lengths <list>', 'samples per lead for the MAC columns, comma-separated', '1000,5000')
  .option('--leads <n>', 'input leads', '12')
  .option('--classes <n>', 'outputs', '5')
  .option('--models <list>', 'only these rows, comma-separated (default: all)')
  .option('--train-steps <n>', 'timed training steps per model (0: no training column)', '0')
  .option('--batch <n>', 'training batch size', '32')
  .option('--train-length <n>', 'training samples per lead', '1000')
  .option('--threads <n>', 'libtorch threads for the training steps', '1')
  .parse()
  .opts<{
    lengths: string;
    leads: string;
    classes: string;
    models?: string;
    trainSteps: string;
    batch: string;
    trainLength: string;
    threads: string;
  }>();

function positiveInteger(name: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(
      `--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${text}`,
    );
  }
  return value;
}

const lengths = options.lengths.split(',').map((text) => positiveInteger('lengths', text));
const leads = positiveInteger('leads', options.leads);
const classes = positiveInteger('classes', options.classes);
const trainSteps = positiveInteger('train-steps', options.trainSteps, true);
const batch = positiveInteger('batch', options.batch);
const trainLength = positiveInteger('train-length', options.trainLength);
const threads = positiveInteger('threads', options.threads);
const WARMUP_STEPS = 2;

/** One row: a label and how to build the model as the trainer does. */
interface Row {
  label: string;
  build(): TrainableModel;
}

const shape = { leads, classes };
const patientsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ age: 40 + i, sex: i % 2 ? 'female' : 'male' }));

function allRows(): Row[] {
  const plain = architectureNames().filter((name) => name !== 'efficientecg-fusion');
  return [
    ...plain.map((name) => ({ label: name, build: () => newTrainableModel(name, false, shape, []) })),
    ...(['b0', 'w0.5'] as const).map((variant) => ({
      label: `efficientecg-fusion (${variant})`,
      build: () => newTrainableModel(`efficientecg-${variant}`, true, shape, patientsOf(8)),
    })),
    // The bundled PTB-XL fusion model: w0.25 backbone with the ECG shortcut.
    {
      label: 'efficientecg-fusion (w0.25 + shortcut)',
      build: () =>
        newTrainableModel('efficientecg-w0.25', true, shape, patientsOf(8), {}, { shortcut: true }),
    },
  ];
}

function selectedRows(): Row[] {
  const rows = allRows();
  if (options.models === undefined) return rows;
  const wanted = options.models.split(',');
  const unknown = wanted.filter((label) => !rows.some((row) => row.label === label));
  if (unknown.length) {
    throw new RangeError(
      `--models: unknown ${unknown.join(', ')} (known: ${rows.map((r) => r.label).join(', ')})`,
    );
  }
  return rows.filter((row) => wanted.includes(row.label));
}

function macsAt(model: TrainableModel, length: number): number {
  model.module.eval();
  const run = () => scope(() => model.logits(F.zeros([1, leads, length]), patientsOf(1)));
  return countMacsOf(run).total;
}

/** Training samples per second over `trainSteps` steps, taken as src/train/trainer.ts takes them. */
async function trainingThroughput(model: TrainableModel): Promise<number> {
  model.module.train();
  manualSeed(0);
  const optimizer = new AdamW(weightDecayGroups(model.module, 3e-3, 1e-2));
  const x = F.randn([batch, leads, trainLength]);
  const y = F.toDtype(F.gt(F.rand([batch, classes]), 0.8), 'float32');
  const patients = patientsOf(batch);
  const step = async () => {
    scope(() => F.bceWithLogits(model.logits(x, patients) as Tensor, y).backward());
    clipGradNorm(model.module.parameters(), 1);
    optimizer.step();
    optimizer.zeroGrad();
    await new Promise((resolve) => setImmediate(resolve)); // the trainer yields to its batch loader between steps
  };
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) await step();
    const start = performance.now();
    for (let i = 0; i < trainSteps; i++) await step();
    return (trainSteps * batch) / ((performance.now() - start) / 1000);
  } finally {
    optimizer.dispose();
    x.dispose();
    y.dispose();
  }
}

setNumThreads(threads);
const header = [
  'model',
  `params (${leads} leads)`,
  ...lengths.map((length) => `MMACs (${leads}x${length})`),
  ...(trainSteps ? [`train samples/s (batch ${batch}, ${leads}x${trainLength}, ${threads} thr)`] : []),
];
const table: string[][] = [];
const skipped: string[] = [];
for (const row of selectedRows()) {
  const model = row.build();
  try {
    const cells = [row.label, model.module.numParameters().toLocaleString('en-US')];
    for (const length of lengths) cells.push((macsAt(model, length) / 1e6).toFixed(1));
    if (trainSteps) cells.push((await trainingThroughput(model)).toFixed(1));
    table.push(cells);
    if (trainSteps) console.error(`done ${row.label}`); // progress: the training column takes minutes
  } catch (error) {
    // Architectures whose forward needs more than the ECG (e.g. beat models with RR intervals) are not comparable.
    if (!(error instanceof ConfigError)) throw error;
    skipped.push(`${row.label}: ${error.message}`);
  } finally {
    model.module.dispose();
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));
for (const reason of skipped) console.log(`skipped ${reason}`);
