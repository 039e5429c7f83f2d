import type { Command } from 'commander';
import { requireInputDir } from './paths.js';
import { InvalidArgumentError } from 'commander';
import {
  DATASET_NAMES,
  DATASETS,
  formatCountTable,
  summarizeDataset,
  type DatasetName,
} from '../datasets/index.js';

function datasetName(value: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${DATASET_NAMES.join(', ')}`);
  return value as DatasetName;
}

export function registerDatasets(program: Command): void {
  program
    .command('datasets')
    .description(
      `Summarise a dataset folder: class counts per split and fold, skipped records with reasons.\n${DATASET_NAMES.map((name) => `  ${name}: ${DATASETS[name].description}`).join('\n')}`,
    )
    .argument('<dataset>', DATASET_NAMES.join('|'), datasetName)
    .argument('<dir>', 'dataset folder in its official layout')
    .option('--json', 'print JSON')
    .action(async (name: DatasetName, dir: string, options: { json?: boolean }) => {
      requireInputDir('<dir>', dir);
      const summary = summarizeDataset(await DATASETS[name].open(dir));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const skipped = Object.entries(summary.skipped).map(
        ([reason, ids]) =>
          `  ${reason}: ${ids.length} (${ids.slice(0, 10).join(' ')}${ids.length > 10 ? ' ...' : ''})`,
      );
      const lines = [
        `${name}: ${summary.entries} entries, classes ${summary.classes.join(', ')}`,
        `split: ${summary.split.method} ${JSON.stringify(summary.split.parameters)}`,
        '',
        formatCountTable('split', summary.bySplit, summary.classes),
        '',
        formatCountTable('fold', summary.byFold, summary.classes),
        '',
        `skipped: ${skipped.length === 0 ? 'none' : ''}`,
        ...skipped,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
