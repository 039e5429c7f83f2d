import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { commandOutput } from './output.js';
import { formatTable } from '../eval/report/table.js';
import { isPackaged, isRepositoryOnly, readCatalog, type BundledModel } from '../models/bundled.js';

/** The files column: the ONNX file, or why it is absent (left out of the npm package, or missing). */
function fileText(model: BundledModel): string {
  if (isRepositoryOnly(model)) return `${model.files.onnx} (repository only)`;
  return existsSync(model.paths.onnx) ? model.files.onnx : `${model.files.onnx} (MISSING)`;
}

/** The cross-validated figure first; a selection-split figure is shown only as such. */
function metricText(model: BundledModel): string {
  const cv = model.cv;
  if (cv !== null) {
    // No sd (fewer than two fold figures) is not an sd of 0.
    const sd = cv.sd?.toFixed(3) ?? 'n/a';
    const spread = cv.mean === null ? 'n/a' : `${cv.mean.toFixed(3)} ± ${sd}`;
    return `${cv.metric} ${spread} (${cv.folds}-fold CV; pooled ${cv.pooled?.toFixed(3) ?? 'n/a'})`;
  }
  const { metric, value } = model.validation as { metric?: unknown; value?: unknown };
  return typeof metric === 'string' && typeof value === 'number'
    ? `not cross-validated (${metric} ${value.toFixed(3)} on its selection split)`
    : 'not cross-validated';
}

function count(n: number | null): string {
  if (n === null) return 'n/a';
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

export function registerModels(program: Command): void {
  program
    .command('models')
    .description(
      'List the bundled models (models/catalog.json): dataset, task, classes, leads, rate, window, size, cross-validated accuracy (--json: cv {folds, metric, mean, sd, pooled}), files',
    )
    .option(
      '--json',
      'print JSON (entries with absolute file paths, whether each file exists, packaged: whether the npm package carries the model, repositoryOnly: left out of the npm package and absent here)',
    )
    .action((options: { json?: boolean }, command: Command) => {
      const { out } = commandOutput(command);
      const catalog = readCatalog(command.optsWithGlobals<{ modelsDir?: string }>().modelsDir);
      if (options.json) {
        const models = catalog.models.map((model) => ({
          ...model,
          packaged: isPackaged(model),
          repositoryOnly: isRepositoryOnly(model),
          present: {
            onnx: existsSync(model.paths.onnx),
            checkpoint: model.paths.checkpoint === null ? null : existsSync(model.paths.checkpoint),
            card: existsSync(model.paths.card),
          },
        }));
        out(`${JSON.stringify({ dir: catalog.dir, models }, null, 2)}\n`);
        return;
      }
      if (catalog.models.length === 0) {
        out(`no bundled models yet (${catalog.dir}/catalog.json is empty; see models/README.md)\n`);
        return;
      }
      const table = formatTable({
        title: `Bundled models (${catalog.dir})`,
        columns: [
          'name',
          'dataset',
          'task',
          'classes',
          'leads',
          'Hz',
          'window',
          'input',
          'params',
          'MACs',
          'accuracy (cross-validated)',
          'default',
          'files',
        ],
        rows: catalog.models.map((m) => [
          m.name,
          m.dataset,
          m.task,
          m.classes.join(' '),
          m.leads.length === 1 ? m.leads[0]! : `${m.leads.length} leads`,
          String(m.fs),
          `${Number(m.windowSeconds.toFixed(2))} s`,
          m.amplitudes ?? '?',
          count(m.parameters),
          count(m.macs),
          metricText(m),
          m.default ? 'yes' : '',
          fileText(m),
        ]),
      });
      out(`${table}\n`);
      if (catalog.models.some(isRepositoryOnly)) {
        out(
          'repository only: not in the npm package (size); clone the repository for their files (models/NAME.onnx)\n',
        );
      }
    });
}
