/**
 * Bundles a trained run as a shipped model: exports its best checkpoint to ONNX, evaluates it on the validation
 * split through onnxruntime (bootstrap 95 % intervals), counts parameters and MACs for one window, writes the model
 * card and adds (or replaces) its entry in models/catalog.json.
 *
 *   npx tsx scripts/bundle-model.ts --run runs/X --name NAME --data DIR [--default] [--command "how it was trained"]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ops as F } from '../src/engine/index.js';
import { readCheckpoint } from '../src/export/checkpoint.js';
import { countMacsOf } from '../src/models/macs.js';
import { modelFromCheckpoint } from '../src/models/registry.js';
import { noGrad, scope } from '../src/engine/index.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const LICENSES: Record<string, string> = {
  cinc2017: 'PhysioNet/CinC Challenge 2017 training data, ODC-By 1.0 (Clifford et al., CinC 2017).',
  ptbxl: 'PTB-XL 1.0.3, CC BY 4.0 (Wagner et al., Scientific Data 2020; PhysioNet).',
  mitdb: 'MIT-BIH Arrhythmia Database, ODC-By 1.0 (Moody & Mark 2001; PhysioNet).',
};

const options = new Command()
  .requiredOption('--run <dir>', 'training run folder (best.safetensors, config.json)')
  .requiredOption('--name <name>', 'catalogue name')
  .requiredOption('--data <dir>', 'dataset folder used for the validation figures')
  .option('--default', 'the default model for its dataset')
  .option('--command <text>', 'the exact training command, for the card')
  .parse()
  .opts<{ run: string; name: string; data: string; default?: boolean; command?: string }>();

const models = new URL('../models/', import.meta.url).pathname;
const cli = new URL('../src/cli/index.ts', import.meta.url).pathname;
const efficientecg = (...args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`efficientecg ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
};

const checkpointPath = join(options.run, 'best.safetensors');
const checkpoint = readCheckpoint(checkpointPath);
const extra = checkpoint.metadata.extra ?? {};
const dataset = String((extra.dataset as { name?: string } | undefined)?.name ?? extra.dataset ?? '');
const onnxFile = `${options.name}.onnx`;
copyFileSync(checkpointPath, join(models, `${options.name}.safetensors`));
efficientecg('export', '--model', checkpointPath, '--out', join(models, onnxFile));
const evaluationPath = join(options.run, 'validation-evaluation.json');
efficientecg(
  'evaluate',
  '--model',
  join(models, onnxFile),
  '--dataset',
  dataset,
  '--data',
  options.data,
  '--split',
  'val',
  '--json',
  evaluationPath,
  '--resamples',
  '200',
);
const evaluation = JSON.parse(readFileSync(evaluationPath, 'utf8')) as Record<string, unknown>;

const model = modelFromCheckpoint(checkpoint, checkpointPath);
model.eval();
const config = JSON.parse(readFileSync(join(options.run, 'config.json'), 'utf8')) as Record<string, unknown>;
const pre = checkpoint.metadata.preprocessing as {
  leads?: string[];
  fs: number;
  windowSamples: number;
  windowSeconds: number;
};
const leads = pre.leads ?? [];
const task = extra.task === 'beats' ? ('beats' as const) : ('records' as const);
const macs = noGrad(() =>
  countMacsOf(() =>
    scope(() => {
      const x = F.zeros([1, Math.max(1, leads.length), pre.windowSamples]);
      // Beat models read the RR intervals (s); fusion models their encoded patient tokens.
      const second =
        task === 'beats'
          ? F.full([1, 4], 0.8)
          : 'encodePatients' in model
            ? (model as unknown as { encodePatients(r: object[]): unknown }).encodePatients([{}])
            : undefined;
      return model.forward(x, second);
    }),
  ),
).total;

const entry = {
  name: options.name,
  dataset,
  task,
  default: options.default ?? false,
  architecture: checkpoint.metadata.model.name,
  classes: checkpoint.metadata.labels,
  leads,
  fs: pre.fs,
  windowSeconds: pre.windowSeconds,
  parameters: model.numParameters(),
  macs,
  validation: (extra.validation as Record<string, unknown>) ?? {},
  files: { onnx: onnxFile, checkpoint: `${options.name}.safetensors`, card: `${options.name}.md` },
};
model.dispose();

const catalogPath = join(models, 'catalog.json');
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as { models: Array<typeof entry> };
catalog.models = catalog.models.filter((m) => m.name !== entry.name);
if (entry.default) for (const m of catalog.models) if (m.dataset === dataset) m.default = false;
catalog.models.push(entry);
writeFileAtomic(catalogPath, `${JSON.stringify(catalog, null, 2)}\n`);
writeFileAtomic(join(models, entry.files.card), card());
console.log(`bundled ${entry.name}: ${entry.parameters} parameters, ${entry.macs} MACs per window`);

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
      ? `one ${entry.windowSeconds.toFixed(2)} s window around each R peak (with its RR intervals), one class per beat.`
      : `${entry.windowSeconds} s windows (records are covered by sliding windows whose outputs are averaged).`
  }

| | |
|---|---|
| parameters | ${entry.parameters.toLocaleString('en-US')} |
| MACs per window | ${entry.macs.toLocaleString('en-US')} |
| default for ${dataset} | ${entry.default ? 'yes' : 'no'} |

## Data and split
${LICENSES[dataset] ?? dataset} Split as saved in the checkpoint: \`${JSON.stringify(extra.split ?? extra.dataset ?? {})}\`.
Validation figures below are on the validation split only; the maintainers' held-out test sets were never seen.

## Recipe
\`\`\`
${options.command ?? '(see runs config.json)'}
\`\`\`
Training configuration: \`${JSON.stringify(config)}\`

## Validation metrics (onnxruntime, bootstrap 95 % intervals over records, 200 resamples)
Reproduce: \`npx efficientecg evaluate --model ${entry.name} --dataset ${dataset} --data DIR --split val --json out.json\`
(${String(result.records ?? '?')} validation records)

${table}

<details><summary>Full evaluation JSON</summary>

\`\`\`json
${metrics}
\`\`\`
</details>

## Intended use and limits
A research model, not a medical device. Trained on one public dataset with a small compute budget (see the recipe);
expect lower figures on other populations, devices and sampling rates.

## License
Model weights: Apache-2.0, like the code. Training data: ${LICENSES[dataset] ?? 'see the dataset'}
`;
}
