/**
 * Batch prediction over any number of records (`efficientecg predict --from-list FILE --out FILE`): records stream
 * in (a list file read line by line, folders one at a time), a pool of onnxruntime worker threads predicts them, and
 * one line per record (failures too, with `error`) is appended to the output as soon as every earlier record is
 * done. Nothing grows with the batch: at most `2 x jobs` records are in flight or waiting for an earlier one.
 *
 * Output order is input order, so the output is always a prefix of the input: `--resume` reads the output back
 * line by line beside the inputs (checking that each line is the entry it should be), drops a torn last line, and
 * goes on with the next entry. Each line is written with one write(2) on a file opened for appending, so a killed
 * run leaves whole lines only (a power cut could tear the last one: resume removes it).
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import type { Worker } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { diskFull } from '../util/atomic.js';
import { startSiblingWorker } from '../util/worker-thread.js';
import { PredictorCache, predictFile, type FileResult, type ModelTarget } from './predict-file.js';

/** How results become lines: the header (CSV) and one line per result, and the listed file of a written line. */
export interface LineFormat {
  header: () => string;
  line: (result: FileResult) => string;
  /** The `file` a written line is about (for --resume); throws on a line that is not one of ours. */
  fileOf: (line: string) => string;
}

/** Entries of a list file: one record path a line; blank lines and `#` comments skipped; paths as written. */
export async function* listFileEntries(path: string): AsyncGenerator<string> {
  if (!existsSync(path)) throw new ConfigError(`--from-list ${path}: no such file`);
  if (!statSync(path).isFile())
    throw new ConfigError(`--from-list ${path}: not a file (expected a list of paths)`);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const raw of lines) {
    const entry = raw.trim();
    if (entry !== '' && !entry.startsWith('#')) yield entry;
  }
}

/** Counts entries without keeping them (the progress bar's total). */
export async function countEntries(entries: AsyncIterable<string>): Promise<number> {
  let n = 0;
  for await (const _ of entries) n++;
  return n;
}

/**
 * The progress of a batch for people: records done (of the total, when known), the rate of this run's predictions
 * and the time left. Records skipped by --resume count as done but not towards the rate: its clock starts when they
 * have been read back, and it counts the records predicted since.
 */
export class BatchProgress {
  done = 0;
  private predicted = 0;
  private started: number;

  constructor(
    readonly total: number | null,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(progress: Pick<BatchSummary, 'predicted' | 'resumed'>): void {
    // The update after --resume read the output back: the run's own predictions start now.
    if (progress.predicted === 0) this.started = this.now();
    this.predicted = progress.predicted;
    this.done = progress.predicted + progress.resumed;
  }

  /** Records predicted per second in this run, or null before the clock has moved. */
  rate(): number | null {
    const seconds = (this.now() - this.started) / 1000;
    return seconds > 0 ? this.predicted / seconds : null;
  }

  /** Seconds left at the current rate, when the total is known and the rate is not zero. */
  etaSeconds(): number | null {
    const rate = this.rate();
    if (this.total === null || rate === null || rate === 0) return null;
    return Math.max(0, this.total - this.done) / rate;
  }

  rateText(): string {
    const rate = this.rate();
    return rate === null ? '-' : rate.toFixed(1);
  }

  etaText(): string {
    const eta = this.etaSeconds();
    if (eta === null) return '-';
    const s = Math.round(eta);
    return s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
        : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  }

  /** "predict 3/5 records | 1.2 records/s | ETA 2s", or "predict 3 records done | 1.2 records/s" without a total. */
  line(): string {
    return this.total === null
      ? `predict ${this.done} records done | ${this.rateText()} records/s`
      : `predict ${this.done}/${this.total} records | ${this.rateText()} records/s | ETA ${this.etaText()}`;
  }
}

/** What happened, for the closing summary. */
export interface BatchSummary {
  /** Records predicted in this run. */
  predicted: number;
  /** Records whose line has `error`, in this run. */
  failed: number;
  /** Records found already in the output (--resume) and not predicted again. */
  resumed: number;
  /** Failures by error type ("MissingFileError", "FormatError", ...), in this run. */
  failuresByType: Map<string, number>;
}

export interface BatchOptions {
  target: ModelTarget;
  /** Worker threads (0: the calling thread). */
  jobs: number;
  format: LineFormat;
  /** Output file (appended to); null: lines go to `write`. */
  out: string | null;
  /** Where lines go when `out` is null (stdout). */
  write?: (text: string) => void;
  /** Continue an interrupted run: skip the entries already in `out`. */
  resume: boolean;
  /** After each line (also for the entries skipped by --resume, with resumed: true). */
  onRecord?: (result: FileResult | null, progress: BatchSummary) => void;
  /** Each line found already in `out` by --resume (without its newline), in order, before any prediction. */
  onResumedLine?: (line: string) => void;
}

/** "FormatError: x.hea: ..." -> "FormatError"; a message without an error name -> "Error". */
export function errorType(message: string): string {
  return /^([A-Z][A-Za-z0-9]*(Error|Exception)):/.exec(message)?.[1] ?? 'Error';
}

export async function runBatch(entries: AsyncIterable<string>, options: BatchOptions): Promise<BatchSummary> {
  const summary: BatchSummary = { predicted: 0, failed: 0, resumed: 0, failuresByType: new Map() };
  const inputs = entries[Symbol.asyncIterator]();
  // A new run replaces the output; a resumed one reads it back and appends.
  const sink = options.out === null ? null : openOutput(options.out, options.resume);
  try {
    if (sink !== null && options.resume) {
      summary.resumed = await skipWritten(options.out!, sink, inputs, options.format, options.onResumedLine);
      options.onRecord?.(null, summary);
    }
    const write = sink !== null ? (text: string) => writeOutput(options.out!, sink, text) : options.write!;
    if (sink === null || statSync(options.out!).size === 0) write(options.format.header());
    const remaining = { [Symbol.asyncIterator]: () => inputs };
    for await (const result of predictInOrder(remaining, options.target, options.jobs)) {
      write(options.format.line(result));
      summary.predicted++;
      if (!result.ok) {
        summary.failed++;
        const type = errorType(result.error);
        summary.failuresByType.set(type, (summary.failuresByType.get(type) ?? 0) + 1);
      }
      options.onRecord?.(result, summary);
    }
  } finally {
    if (sink !== null) closeSync(sink);
  }
  return summary;
}

function openOutput(path: string, resume: boolean): number {
  try {
    return openSync(path, resume ? 'a+' : 'w');
  } catch (error) {
    throw outputError(error, path, 'open');
  }
}

function writeOutput(path: string, fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch (error) {
    throw outputError(error, path, 'write to');
  }
}

/** DiskFullError for ENOSPC / EDQUOT, else a ConfigError naming --out and the system's reason. */
function outputError(error: unknown, path: string, action: string): Error {
  const full = diskFull(error, path, 'the lines already written are kept; continue with --resume');
  if (full !== null) return full;
  const { code, message } = error as NodeJS.ErrnoException;
  const why = code === 'EISDIR' ? 'it is a directory, not a file' : message;
  return new ConfigError(`--out ${path}: cannot ${action} it: ${why}`);
}

/**
 * Reads the lines already written beside the entries they must be, truncates a torn last line, and leaves `inputs`
 * at the first entry not yet written. Returns how many entries were skipped.
 */
async function skipWritten(
  path: string,
  fd: number,
  inputs: AsyncIterator<string>,
  format: LineFormat,
  onLine: (line: string) => void = () => undefined,
): Promise<number> {
  const header = format.header();
  let offset = 0;
  let done = 0;
  let lineNumber = 0;
  for await (const { text, end } of completeLines(fd)) {
    lineNumber++;
    if (lineNumber === 1 && header !== '') {
      if (`${text}\n` !== header)
        throw new ConfigError(`--resume ${path}: line 1 is not the header this output format writes`);
      offset = end;
      continue;
    }
    let file: string;
    try {
      file = format.fileOf(text);
    } catch {
      throw new ConfigError(`--resume ${path}: line ${lineNumber} is not a prediction line`);
    }
    const next = await inputs.next();
    if (next.done || next.value !== file)
      throw new ConfigError(
        `--resume ${path}: line ${lineNumber} is ${file}, but entry ${done + 1} of the inputs is ${next.done ? 'past their end' : next.value}: resume with the same inputs in the same order`,
      );
    done++;
    offset = end;
    onLine(text);
  }
  ftruncateSync(fd, offset); // drops a torn last line (no newline), if any
  return done;
}

/** Newline-terminated lines of a file with the byte offset after each; a last line without newline is not given. */
async function* completeLines(fd: number): AsyncGenerator<{ text: string; end: number }> {
  const chunk = Buffer.alloc(1 << 20);
  let carry = Buffer.alloc(0);
  let position = 0;
  for (;;) {
    const read = readSync(fd, chunk, 0, chunk.length, position);
    if (read === 0) return;
    const data = Buffer.concat([carry, chunk.subarray(0, read)]);
    const base = position - carry.length;
    position += read;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      yield { text: data.toString('utf8', start, nl), end: base + nl + 1 };
      start = nl + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
}

/**
 * Results in input order, predicted on `jobs` worker threads, with at most 2 x jobs records in flight or waiting
 * for an earlier one. A worker that crashes fails only its record (`WorkerError`) and is replaced.
 */
export async function* predictInOrder(
  files: AsyncIterable<string>,
  target: ModelTarget,
  jobs: number,
): AsyncGenerator<FileResult> {
  if (jobs <= 0) {
    const cache = new PredictorCache();
    try {
      for await (const file of files) yield await predictFile(file, target, cache);
    } finally {
      await cache.close();
    }
    return;
  }
  const pool = new WorkerPool(target, jobs);
  const inputs = files[Symbol.asyncIterator]();
  const pending: Promise<FileResult>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < 2 * jobs) {
        const next = await inputs.next();
        if (next.done) exhausted = true;
        else pending.push(pool.predict(next.value));
      }
      const first = pending.shift();
      if (first === undefined) return;
      yield await first;
    }
  } finally {
    await pool.close();
  }
}

interface Task {
  file: string;
  resolve: (result: FileResult) => void;
}

/** A `predict` worker (predict-worker.ts) for `target`. */
function startWorker(target: ModelTarget): Worker {
  return startSiblingWorker(import.meta.url, 'predict-worker', { target });
}

/**
 * The text of a worker's 'error' event. Not always an Error: an error the thread cannot clone back (a
 * DataCloneError) arrives as a plain `{}`.
 */
export function workerErrorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  const text = String(error);
  return text === '[object Object]' ? 'the worker thread failed with an error it could not pass back' : text;
}

/** Worker threads taking files from one queue; a crashed worker fails its file and is replaced. */
export class WorkerPool {
  private readonly queue: Task[] = [];
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private nextId = 0;
  private closing = false;

  /** `start` makes a worker (tests pass stand-ins). */
  constructor(
    private readonly target: ModelTarget,
    jobs: number,
    private readonly start: (target: ModelTarget) => Worker = startWorker,
  ) {
    for (let i = 0; i < jobs; i++) this.idle.push(this.spawn());
  }

  predict(file: string): Promise<FileResult> {
    return new Promise((resolve) => {
      this.queue.push({ file, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.removeAllListeners('exit');
            worker.once('exit', () => resolve());
            worker.postMessage({ close: true });
            setTimeout(() => void worker.terminate(), 5000).unref();
          }),
      ),
    );
  }

  private spawn(): Worker {
    const worker = this.start(this.target);
    worker.on('message', (message: { id: number; result: FileResult }) => this.done(worker, message.result));
    let crashed = false;
    const crash = (why: string) => {
      if (crashed) return; // 'error' is followed by 'exit'
      crashed = true;
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index !== -1) this.idle.splice(index, 1);
      // A worker failing while the pool closes is not replaced: nothing would close its successor.
      if (!this.closing) this.idle.push(this.spawn());
      task?.resolve({ ok: false, file: task.file, error: `WorkerError: ${why}` });
      this.dispatch();
    };
    worker.on('error', (error: unknown) => crash(workerErrorText(error)));
    worker.on('exit', (code) => crash(`worker thread exited (code ${code})`));
    return worker;
  }

  private done(worker: Worker, result: FileResult): void {
    const task = this.busy.get(worker);
    // A worker marked crashed has left `busy` and been replaced: a late message must not make it idle again.
    if (task === undefined) return;
    this.busy.delete(worker);
    this.idle.push(worker);
    task.resolve(result);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const worker = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.busy.set(worker, task);
      worker.postMessage({ id: this.nextId++, file: task.file });
    }
  }
}

/** The `file` of a JSON Lines prediction line. */
export function jsonLineFile(line: string): string {
  const file = (JSON.parse(line) as { file?: unknown }).file;
  if (typeof file !== 'string') throw new Error('no "file" field');
  return file;
}

/**
 * The `file` of a CSV prediction line: its first cell (RFC 4180 quoting). Read character by character: inside
 * quotes `""` is one literal quote, so a name holding `",` does not end the cell early.
 */
export function csvLineFile(line: string): string {
  if (!line.startsWith('"')) return line.split(',', 1)[0]!;
  let cell = '';
  for (let i = 1; i < line.length; i++) {
    if (line[i] !== '"') cell += line[i];
    else if (line[i + 1] === '"') cell += line[i++];
    else if (i + 1 === line.length || line[i + 1] === ',') return cell;
    else throw new Error('text after a closing quote');
  }
  throw new Error('unterminated quoted cell');
}
