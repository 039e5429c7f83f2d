import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { positiveInteger } from './parsers.js';
import { requireOutputDir } from './paths.js';
import { downloadDataset } from '../datasets/download/index.js';
import { DOWNLOADABLE_DATASETS, SOURCES, type DownloadableDataset } from '../datasets/download/sources.js';

function datasetName(value: string): DownloadableDataset {
  if (!(DOWNLOADABLE_DATASETS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${DOWNLOADABLE_DATASETS.join(', ')}`);
  }
  return value as DownloadableDataset;
}

/** --mirror: an http(s) base URL. */
function mirrorUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value;
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

export function registerDownload(program: Command): void {
  program
    .command('download')
    .description(
      `Download a dataset from its official source, resumable and SHA-256 verified where published:\n${DOWNLOADABLE_DATASETS.map((name) => `  ${name}: ${SOURCES[name].description}`).join('\n')}`,
    )
    .argument('<dataset>', DOWNLOADABLE_DATASETS.join('|'), datasetName)
    .requiredOption('--dest <dir>', 'destination folder (files keep the official layout)')
    .option('--mirror <url>', 'base URL of a mirror with the same layout as the official source', mirrorUrl)
    .option('--concurrency <n>', 'files fetched at once', positiveInteger, 8)
    .action(
      async (
        dataset: DownloadableDataset,
        options: { dest: string; mirror?: string; concurrency: number },
      ) => {
        requireOutputDir('--dest', options.dest);
        const bar = new SingleBar(
          {
            format: `${dataset} [{bar}] {value}/{total} files | {mb} MB | {file}`,
            hideCursor: true,
            stream: process.stderr,
          },
          Presets.shades_classic,
        );
        let started = false;
        try {
          const summary = await downloadDataset(dataset, {
            dest: options.dest,
            mirror: options.mirror,
            concurrency: options.concurrency,
            onProgress: (progress) => {
              const payload = { mb: megabytes(progress.bytes), file: progress.currentFile };
              if (!started) {
                bar.start(progress.filesTotal, progress.filesDone, payload);
                started = true;
              } else bar.update(progress.filesDone, payload);
            },
          });
          if (started) bar.stop();
          const { downloaded, resumed } = summary.files;
          const lines = [
            `${dataset}: ${downloaded} downloaded, ${resumed} resumed, ${summary.files['already-present']} already present (${megabytes(summary.bytes)} MB) from ${summary.base}`,
            summary.verified
              ? 'SHA-256: every file verified against the published sums'
              : 'SHA-256: the source publishes no checksums; not verified',
            ...Object.entries(summary.extracted).map(
              ([archive, count]) => `unpacked ${archive}: ${count} files`,
            ),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          if (started) bar.stop();
        }
      },
    );
}
