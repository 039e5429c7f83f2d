import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandOutput, type CommandOutput } from './output.js';
import { integerIn, positiveNumber } from './parsers.js';
import { refuseOutputOverInput, requireOutputFile } from './paths.js';
import { ConfigError } from '../errors.js';
import {
  folderRecords,
  FOLDER_RULE,
  globEntries,
  resolveRecordPath,
  walkFolders,
} from '../io/find-records.js';
import type { FileResult, ModelTarget } from '../infer/predict-file.js';
import {
  csvClasses,
  csvFormat,
  LINE_FORMATS,
  OUTPUT_FORMATS,
  type OutputFormat,
} from '../infer/predict-output.js';
import { predictionReportHtml, reportExcerpt } from '../infer/prediction-report.js';
import { fileResultSchema } from '../infer/result.js';
import { escapeHtml } from '../eval/report/html.js';
import { withHdf5Exams } from '../io/hdf5.js';
import { readRecord } from '../io/read.js';
import type { EcgRecord } from '../io/record.js';
import {
  BatchProgress,
  countEntries,
  csvLineFile,
  jsonLineFile,
  listFileEntries,
  runBatch,
  type BatchSummary,
} from '../infer/batch.js';
import { defaultModels, readCatalog, resolveModel } from '../models/bundled.js';
import { writeFileAtomic } from '../util/atomic.js';

interface PredictFlags {
  model?: string;
  format: OutputFormat;
  out?: string;
  fromList?: string;
  resume?: boolean;
  report?: string;
  jobs: number;
  lead?: string;
  fs?: number;
}

/**
 * The excerpts of the report's traces, read again one record at a time (results hold no samples); one that fails is
 * left undrawn.
 */
async function reportRecords(
  results: readonly FileResult[],
  target: ModelTarget,
): Promise<Map<string, EcgRecord>> {
  const records = new Map<string, EcgRecord>();
  const fs = target.options?.fs;
  for (const result of results) {
    if (!result.ok) continue;
    try {
      records.set(result.file, reportExcerpt(await readRecord(result.file, fs === undefined ? {} : { fs })));
    } catch {
      // the section keeps its probabilities and notices without a trace
    }
  }
  return records;
}

/**
 * The results a --report shows: those predicted in this run and, with --resume, those read back from JSON Lines
 * output. CSV lines hold too little to draw a record: those resumed records are counted as left out.
 */
class ReportResults {
  readonly results: FileResult[] = [];
  /** Resumed records whose lines could not be read back (CSV, or not a result this version reads). */
  leftOut = 0;

  constructor(private readonly format: OutputFormat) {}

  readonly addResumedLine = (line: string): void => {
    const parsed = this.format === 'json' ? fileResultSchema.safeParse(JSON.parse(line)) : null;
    if (parsed?.success) this.results.push(parsed.data);
    else this.leftOut++;
  };
}

/** "3 record(s) resumed from out.csv are not in the report (...)", or null when none is left out. */
function leftOutNote(leftOut: number, out: string | undefined, format: OutputFormat): string | null {
  if (leftOut === 0) return null;
  const why =
    format === 'csv' ? 'CSV lines cannot be read back into results' : 'their lines could not be read back';
  return `${leftOut} record(s) resumed from ${out} are not in the report (${why})`;
}

/** The report's HTML with `note` under its title (predictionReportHtml takes no notes). */
function withReportNote(html: string, note: string | null): string {
  return note === null ? html : html.replace('</h1>', `</h1>\n<p class="warn">${escapeHtml(note)}</p>`);
}

function format(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${OUTPUT_FORMATS.join('|')}`);
  return value as OutputFormat;
}

/** Each worker holds its own onnxruntime session and two records: more workers than this only cost memory. */
const MAX_JOBS = 64;

/** --model NAME|PATH for every file, or each file routed by its leads to a bundled default model. */
function modelTarget(
  model: string | undefined,
  modelsDir: string | undefined,
): { target: ModelTarget; labels: string[] | null } {
  if (model !== undefined) {
    if (/\.safetensors$/i.test(model))
      throw new ConfigError(
        `--model ${model}: predict runs ONNX models; export it first (efficientecg export)`,
      );
    const resolved = resolveModel(model, 'onnx', modelsDir);
    return {
      target: {
        kind: 'fixed',
        model: { name: resolved.name, path: resolved.path, leads: resolved.bundled?.leads ?? [] },
      },
      labels: resolved.labels,
    };
  }
  const candidates = defaultModels(readCatalog(modelsDir)).map((m) => ({
    name: m.name,
    path: m.paths.onnx,
    leads: m.leads,
  }));
  if (candidates.length === 0)
    throw new ConfigError('no bundled default models yet (models/catalog.json): pass --model PATH.onnx');
  return { target: { kind: 'route', candidates }, labels: null };
}

/** Non-record files met in folders: how many, and the first few names for the summary. */
interface Skipped {
  count: number;
  examples: string[];
}

/**
 * Inputs -> record files, streamed: a folder one sub-folder at a time by FOLDER_RULE, a glob's matches in sorted
 * order as the walk finds them, a file as given (or its header when given without extension), a missing file as
 * given (predicting it reports "file not found" and the batch goes on).
 */
function* recordEntries(inputs: readonly string[], skipped: Skipped): Generator<string> {
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) {
      for (const folder of walkFolders(input)) {
        const selection = folderRecords(folder.files);
        skipped.count += selection.skipped.length;
        skipped.examples.push(...selection.skipped.slice(0, 3 - skipped.examples.length));
        yield* selection.files;
      }
    } else if (/[*?[]/.test(input)) {
      yield* globEntries(input);
    } else {
      yield resolveRecordPath(input) ?? input;
    }
  }
}

function skippedSummary(skipped: Skipped): string {
  if (skipped.count === 0) return '';
  const examples = skipped.examples.map((path) => basename(path));
  return `, ${skipped.count} non-record file(s) skipped (${examples.join(', ')}${skipped.count > 3 ? ', ...' : ''})`;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      'Diagnose records with onnxruntime (no libtorch): files, folders (in parallel on worker threads) or globs; a bad file is reported and the rest go on',
    )
    .argument('[inputs...]', `record files (.hea, .mat, .csv), folders or globs; ${FOLDER_RULE}`)
    .option(
      '--from-list <file>',
      'also predict the records listed in this file (one path a line; any number)',
    )
    .option(
      '--model <name|path>',
      'bundled model name or .onnx file (default: route each record to the bundled default model for its leads)',
    )
    .option(
      '--format <format>',
      `output: ${OUTPUT_FORMATS.join('|')} (json: one JSON object per line; default: from --out's extension .jsonl/.csv, else table)`,
      format,
      'table',
    )
    .option(
      '--out <file>',
      'write the output to this file instead of stdout, one line per record as each completes',
    )
    .option('--resume', 'continue an interrupted run: keep the records already in --out, predict the rest')
    .option(
      '--report <file.html>',
      'also write an HTML report: each record on ECG paper with saliency shading, probabilities as bars (keeps every result and its first 10 s in memory)',
    )
    .option('--lead <name|index>', 'a one-lead model reads this lead of multi-lead records (e.g. V1, or 0)')
    .option(
      '--fs <hz>',
      'sampling rate of CSV tables without a time column (and bare .mat files)',
      positiveNumber,
    )
    .option(
      '--jobs <n>',
      `worker threads (0: main thread; at most ${MAX_JOBS})`,
      integerIn(0, MAX_JOBS),
      Math.max(1, Math.min(4, availableParallelism() - 1)),
    )
    .action(async (inputs: string[], flags: PredictFlags, command: Command) => {
      checkOutputPaths(inputs, flags);
      const output = commandOutput(command);
      const chosen = modelTarget(flags.model, command.optsWithGlobals<{ modelsDir?: string }>().modelsDir);
      const target = {
        ...chosen.target,
        options: {
          ...(flags.lead === undefined ? {} : { lead: flags.lead }),
          ...(flags.fs === undefined ? {} : { fs: flags.fs }),
          ...(flags.report ? { saliency: true } : {}),
        },
      };
      const formatName = outputFormat(flags, command.getOptionValueSource('format') !== 'default');
      if (flags.resume && (!flags.out || formatName === 'table'))
        throw new ConfigError('--resume needs --out FILE.jsonl or FILE.csv (the output it continues)');
      const skipped: Skipped = { count: 0, examples: [] };
      const entries = await nonEmpty(
        batchEntries(inputs, flags.fromList, skipped, flags.fs),
        () =>
          `no record files (.hea, .mat, .csv) in ${[...inputs, ...(flags.fromList ? [flags.fromList] : [])].join(', ')}${skippedSummary(skipped)}`,
      );
      if (flags.out) mkdirSync(dirname(flags.out), { recursive: true });
      // A listed HDF5 file counts as its exams, as the batch reads it.
      const listed = flags.fromList
        ? withHdf5Exams(listFileEntries(flags.fromList), fsOption(flags.fs))
        : null;
      const total = await knownTotal(inputs, listed, flags.fs);
      const bar = progressReporter(total, output, process.stderr.isTTY === true);
      const report = new ReportResults(formatName);
      const summary = await runBatch(entries, {
        target,
        jobs: flags.jobs,
        format: {
          ...(formatName === 'csv' ? csvFormat(csvClasses(chosen.labels)) : LINE_FORMATS[formatName]),
          fileOf: formatName === 'csv' ? csvLineFile : jsonLineFile,
        },
        out: flags.out ?? null,
        write: output.out,
        resume: flags.resume ?? false,
        ...(flags.report ? { onResumedLine: report.addResumedLine } : {}),
        onRecord: (result, progress) => {
          if (result !== null && flags.report) report.results.push(result);
          bar.update(progress);
        },
      }).finally(() => bar.stop());
      const note = leftOutNote(report.leftOut, flags.out, formatName);
      if (flags.report) {
        mkdirSync(dirname(flags.report), { recursive: true });
        const html = predictionReportHtml(report.results, await reportRecords(report.results, target));
        writeFileAtomic(flags.report, withReportNote(html, note));
      }
      output.err(
        `${summary.predicted - summary.failed} record(s) predicted, ${summary.failed} failed${skippedSummary(skipped)}${summary.resumed ? `, ${summary.resumed} already in ${flags.out} (--resume)` : ''}${flags.report ? `; report: ${flags.report}` : ''}${note === null ? '' : `; ${note}`}\n`,
      );
      if (summary.failed > 0)
        output.err(
          `failures by type: ${[...summary.failuresByType].map(([type, n]) => `${type} ${n}`).join(', ')}\n`,
        );
      if (summary.predicted > 0 && summary.failed === summary.predicted) process.exitCode = 1;
    });
}

/** Before anything is opened: --out and --report are not folders, nor an input file (or its list). */
function checkOutputPaths(inputs: readonly string[], flags: PredictFlags): void {
  if (flags.out) requireOutputFile('--out', flags.out);
  if (flags.report) requireOutputFile('--report', flags.report);
  // A record given without extension reads as one of these.
  const files = inputs.flatMap((input) => [input, ...['hea', 'mat', 'csv'].map((ext) => `${input}.${ext}`)]);
  refuseOutputOverInput(
    { '--out': flags.out, '--report': flags.report },
    flags.fromList ? [...files, flags.fromList] : files,
  );
}

/** --format when given, else from --out's extension (.jsonl/.json: json, .csv: csv), else table. */
function outputFormat(flags: PredictFlags, formatGiven: boolean): OutputFormat {
  if (formatGiven || !flags.out) return flags.format;
  if (/\.jsonl?$/i.test(flags.out)) return 'json';
  if (/\.csv$/i.test(flags.out)) return 'csv';
  return flags.format;
}

async function* batchEntries(
  inputs: readonly string[],
  fromList: string | undefined,
  skipped: Skipped,
  fs: number | undefined,
): AsyncGenerator<string> {
  yield* withHdf5Exams(recordEntries(inputs, skipped), fsOption(fs));
  if (fromList) yield* withHdf5Exams(listFileEntries(fromList), fsOption(fs));
}

const fsOption = (fs: number | undefined) => (fs === undefined ? {} : { fs });

/**
 * The number of records, when cheap to know: files given one by one and list files (an HDF5 file counted as its
 * exams, as the batch reads it). Null with a folder or a glob among the inputs: walking a large tree twice (once to
 * count) would delay the first result, so progress then says how many records are done, without a total.
 */
async function knownTotal(
  inputs: readonly string[],
  listed: AsyncIterable<string> | null,
  fs: number | undefined,
): Promise<number | null> {
  const folderOrGlob = (input: string) =>
    /[*?[]/.test(input) || (existsSync(input) && statSync(input).isDirectory());
  if (inputs.some(folderOrGlob)) return null;
  const files = await countEntries(withHdf5Exams(inputs, fsOption(fs)));
  return files + (listed === null ? 0 : await countEntries(listed));
}

/** The entries, or a ConfigError when there are none (before any output is written). */
async function nonEmpty(
  entries: AsyncIterable<string>,
  message: () => string,
): Promise<AsyncIterable<string>> {
  const iterator = entries[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new ConfigError(message());
  return (async function* () {
    yield first.value;
    yield* { [Symbol.asyncIterator]: () => iterator };
  })();
}

/** How often a plain progress line is printed when stderr is not a terminal. */
export const PLAIN_PROGRESS_MS = 10_000;

/**
 * Records done of the total (when known), records/s and time left, on stderr: a bar redrawn in place on a terminal;
 * elsewhere (a log file, a pipe, CI) cli-progress draws nothing, so a plain line every PLAIN_PROGRESS_MS and one at
 * the end.
 */
export function progressReporter(
  total: number | null,
  output: Pick<CommandOutput, 'err'>,
  terminal: boolean,
  now: () => number = Date.now,
): { update: (progress: Pick<BatchSummary, 'predicted' | 'resumed'>) => void; stop: () => void } {
  const meter = new BatchProgress(total, now);
  if (!terminal) {
    let printed = now();
    let printedDone: number | null = null; // records done at the last line printed
    let updated = false;
    const print = () => {
      printed = now();
      printedDone = meter.done;
      output.err(`${meter.line()}\n`);
    };
    return {
      update: (progress) => {
        meter.update(progress);
        updated = true;
        if (now() - printed >= PLAIN_PROGRESS_MS) print();
      },
      // The last count, unless the last line already said it.
      stop: () => {
        if (updated && printedDone !== meter.done) print();
      },
    };
  }
  const bar = new SingleBar({
    stream: process.stderr,
    format:
      total === null
        ? 'predict {value} records done | {rate} records/s'
        : 'predict [{bar}] {value}/{total} records | {rate} records/s | ETA {eta_text}',
    hideCursor: true,
  });
  bar.start(total ?? 0, 0, { rate: '-', eta_text: '-' });
  return {
    update: (progress) => {
      meter.update(progress);
      bar.update(meter.done, { rate: meter.rateText(), eta_text: meter.etaText() });
    },
    stop: () => bar.stop(),
  };
}
