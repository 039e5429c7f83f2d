/**
 * HDF5 files of tracings (Node): many exams in one file, as CODE-15% ships them (`exams_part{i}.hdf5`:
 * `tracings` [exams, 4096, 12] float32 at 400 Hz, zero-padded at both ends, and `exam_id` [exams]). Read through
 * h5wasm (the HDF5 C library in WebAssembly) one exam's hyperslab at a time, so a 4 GB part costs one exam's memory.
 *
 * An exam is named `FILE#ID`: ID is its `exam_id` when the file has that dataset, else its row (from 0). The rows
 * CODE-15 fills with zeros (exam_id 0, one per part) are not listed. Leading and trailing samples where every lead is
 * exactly 0 are the padding and are cut (metadata.padding says how many); zeros inside a recording are kept.
 * The rate: the file's own (attribute fs, sampling_rate or sampling_frequency), else 400 Hz for CODE-15's shape,
 * else the caller's `fs`.
 */
import { existsSync, statSync } from 'node:fs';
import { FormatError, MissingFileError, SignalError } from '../errors.js';
import { checkFs, checkSamples, FLOAT32_MAX, readLimits, type ReadLimits } from './limits.js';
import { examName, HDF5_EXTENSIONS, parseExamName } from './hdf5-names.js';
import type { EcgRecord } from './record.js';
import { extension } from './source.js';

export { examName, parseExamName, HDF5_EXTENSIONS } from './hdf5-names.js';

/** CODE-15%'s lead order and rate (the dataset's README; the files carry neither). */
export const CODE15_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
export const CODE15_FS = 400;
const CODE15_SAMPLES = 4096;
/** Exams of one file: their ids are held in memory (CODE-15's parts hold 20,000). */
const MAX_EXAMS = 2 ** 22;

export interface Hdf5ReadOptions {
  /** Sampling frequency of files that state none and are not CODE-15's shape (12 leads x 4096 samples: 400 Hz). */
  fs?: number;
  limits?: Partial<ReadLimits>;
}

type H5Module = typeof import('h5wasm/node');
type H5File = InstanceType<H5Module['File']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;

let library: Promise<H5Module> | null = null;

/** h5wasm, loaded on first use (~0.2 s: only runs that meet an HDF5 file pay it), errors thrown, not printed. */
function hdf5Library(): Promise<H5Module> {
  library ??= import('h5wasm/node').then(async (h5) => {
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return h5;
  });
  return library;
}

/** The HDF5 library's reason ("Not an HDF5 file", ...): the last `minor:` line of its error stack. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minors = [...text.matchAll(/minor: ([^\n]+)/g)].map((match) => match[1]!.trim());
  return minors.at(-1) ?? text.split('\n')[0]!.slice(0, 200);
}

interface Layout {
  exams: number;
  /** Samples per exam as stored (padding included). */
  samples: number;
  leadCount: number;
  /** true: [exams, samples, leads] (CODE-15); false: [exams, leads, samples]. */
  samplesFirst: boolean;
}

/** An open file and what does not depend on the caller's options: its layout and where each exam is. */
interface OpenFile extends Layout {
  handle: H5File;
  /** Exam IDs in row order, null for the zero-filled rows (exam_id 0). */
  ids: (string | null)[];
  rowOf: Map<string, number>;
  /** The rate the file states (attribute fs, sampling_rate, sampling_frequency on `tracings` or the root). */
  fileFs: number | undefined;
  /** Size and modification time when opened: a file changed since is opened again. */
  stamp: string;
}

/** What a caller reads the file as: its options applied (rate, leads, budget). */
interface Tracings extends OpenFile {
  fs: number;
  leads: string[];
}

function tracingsLayout(dataset: H5Dataset, file: string): Layout {
  const shape = dataset.shape ?? [];
  const { type, size } = dataset.metadata;
  // h5wasm's type codes: 0 integer, 1 float.
  if (type !== 1 || (size !== 4 && size !== 8))
    throw new FormatError(file, `"tracings" holds ${dataset.dtype} values, expected float32 or float64`);
  if (shape.length !== 3)
    throw new FormatError(
      file,
      `"tracings" has shape [${shape.join(', ')}], expected [exams, samples, leads]`,
    );
  const [exams, a, b] = shape as [number, number, number];
  // A shape is only declared: a few bytes can claim 2^40 rows. Whole CODE (2.3 M exams) would fit in one file.
  if (!(exams <= MAX_EXAMS))
    throw new FormatError(
      file,
      `"tracings" declares ${exams} exams, more than the ${MAX_EXAMS} one file may hold`,
    );
  if (a === b) throw new FormatError(file, `"tracings" is [${shape.join(', ')}]: which axis is the leads?`);
  const samplesFirst = a > b;
  return { exams, samples: samplesFirst ? a : b, leadCount: samplesFirst ? b : a, samplesFirst };
}

function examIds(handle: H5File, exams: number, file: string): (string | null)[] {
  if (!handle.keys().includes('exam_id')) return Array.from({ length: exams }, (_, row) => String(row));
  const dataset = handle.get('exam_id') as H5Dataset;
  if (dataset.metadata.type !== 0 || (dataset.shape ?? []).join() !== String(exams))
    throw new FormatError(file, `"exam_id" is not ${exams} integers (one per row of "tracings")`);
  const values = dataset.value as ArrayLike<number | bigint>;
  return Array.from(values, (id) => (Number(id) === 0 ? null : String(id)));
}

const RATE_ATTRIBUTES = ['fs', 'sampling_rate', 'sampling_frequency'];

function statedRate(handle: H5File, tracings: H5Dataset): number | undefined {
  for (const holder of [tracings, handle])
    for (const name of RATE_ATTRIBUTES) {
      const attribute = holder.attrs[name];
      if (attribute !== undefined) return Number(attribute.value as number | bigint);
    }
  return undefined;
}

/**
 * Open files, most recent last: `predict` reads a part's exams one after another, and opening the file and reading
 * its exam_id again for each would cost more than the exam (a few ms for 20,000 ids).
 */
const openFiles = new Map<string, OpenFile>();
const MAX_OPEN_FILES = 4;

function forget(file: string): void {
  const open = openFiles.get(file);
  openFiles.delete(file);
  try {
    open?.handle.close();
  } catch {
    // already unusable: nothing more to release
  }
}

async function openFile(file: string): Promise<OpenFile> {
  if (!existsSync(file)) throw new MissingFileError(file);
  const info = statSync(file);
  if (!info.isFile()) throw new FormatError(file, 'not a file');
  const stamp = `${info.size}:${info.mtimeMs}`;
  const cached = openFiles.get(file);
  if (cached?.stamp === stamp) {
    openFiles.delete(file);
    openFiles.set(file, cached);
    return cached;
  }
  forget(file);
  const h5 = await hdf5Library();
  let handle: H5File;
  try {
    handle = new h5.File(file, 'r');
  } catch (error) {
    throw new FormatError(file, `cannot open as HDF5: ${hdf5Reason(error)}`);
  }
  try {
    if (!handle.keys().includes('tracings'))
      throw new FormatError(file, `no "tracings" dataset (it has: ${handle.keys().join(', ') || 'nothing'})`);
    const layout = tracingsLayout(handle.get('tracings') as H5Dataset, file);
    const ids = examIds(handle, layout.exams, file);
    const rowOf = new Map<string, number>();
    ids.forEach((id, row) => id !== null && !rowOf.has(id) && rowOf.set(id, row));
    const fileFs = statedRate(handle, handle.get('tracings') as H5Dataset);
    const open = { ...layout, handle, ids, rowOf, fileFs, stamp };
    openFiles.set(file, open);
    if (openFiles.size > MAX_OPEN_FILES) forget(openFiles.keys().next().value!);
    return open;
  } catch (error) {
    handle.close();
    throw hdf5Error(file, error);
  }
}

function hdf5Error(file: string, error: unknown): Error {
  if (error instanceof FormatError || error instanceof SignalError) return error;
  return new FormatError(file, `HDF5: ${hdf5Reason(error)}`);
}

/** The file read with the caller's options: CODE-15's rate and leads unless the file is not CODE-15's shape. */
async function tracingsOf(file: string, options: Hdf5ReadOptions): Promise<Tracings> {
  const open = await openFile(file);
  const code15 = open.leadCount === CODE15_LEADS.length && open.samples === CODE15_SAMPLES;
  // The file's own rate first, then CODE-15's (known for its shape), and only then the caller's: a batch's --fs
  // for its CSV files must not re-time CODE-15 exams.
  const rate = open.fileFs ?? (code15 ? CODE15_FS : options.fs);
  if (rate === undefined)
    throw new FormatError(
      file,
      `tracings of ${open.leadCount} leads x ${open.samples} samples are not CODE-15's (12 x 4096 at 400 Hz) and ` +
        'the file states no rate (attribute fs or sampling_rate): give it (--fs HZ, { fs } in code)',
    );
  const fs = checkFs(rate, file, readLimits(options.limits));
  checkSamples(file, open.samples, open.leadCount, readLimits(options.limits));
  const leads = code15 ? [...CODE15_LEADS] : Array.from({ length: open.leadCount }, (_, i) => `lead${i + 1}`);
  return { ...open, fs, leads };
}

/** What an HDF5 file holds: its exams as record names `FILE#ID` (zero-filled rows left out), leads and rate. */
export async function describeHdf5(
  file: string,
  options: Hdf5ReadOptions = {},
): Promise<{ exams: string[]; leads: string[]; fs: number }> {
  const { ids, leads, fs } = await tracingsOf(file, options);
  return { exams: ids.filter((id) => id !== null).map((id) => examName(file, id)), leads, fs };
}

/** One exam's leads and rate without reading it (null: the file has no such exam); O(1) per exam of a part. */
export async function describeHdf5Exam(
  file: string,
  exam: string,
  options: Hdf5ReadOptions = {},
): Promise<{ leads: string[]; fs: number } | null> {
  const { rowOf, leads, fs } = await tracingsOf(file, options);
  return rowOf.has(exam) ? { leads, fs } : null;
}

export async function listHdf5Exams(file: string, options: Hdf5ReadOptions = {}): Promise<string[]> {
  return (await describeHdf5(file, options)).exams;
}

/**
 * Record names with every HDF5 file named without an exam replaced by its exams; a file that cannot be listed is
 * passed on as it is, so that reading it reports why (predict's batches, the `folder` source).
 */
export async function* withHdf5Exams(
  names: Iterable<string> | AsyncIterable<string>,
  options: Hdf5ReadOptions = {},
): AsyncGenerator<string> {
  for await (const name of names) {
    const whole = HDF5_EXTENSIONS.has(extension(name)) && parseExamName(name) === null;
    if (!whole) yield name;
    else yield* await listHdf5Exams(name, options).catch(() => [name]);
  }
}

/** Reads exam `exam` (its ID, see the module comment) of an HDF5 file as a record, padding cut. */
export async function readHdf5Exam(
  file: string,
  exam: string,
  options: Hdf5ReadOptions = {},
): Promise<EcgRecord> {
  const name = examName(file, exam);
  const tracings = await tracingsOf(file, options);
  const row = tracings.rowOf.get(exam);
  if (row === undefined) throw new FormatError(name, `no exam "${exam}" in ${file}`);
  let values: Float32Array | Float64Array;
  try {
    const dataset = tracings.handle.get('tracings') as H5Dataset;
    // Every axis given: h5wasm's hyperslab for [[row, row + 1]] alone takes twice as long.
    values = dataset.slice([[row, row + 1], [], []]) as Float32Array | Float64Array;
  } catch (error) {
    forget(file);
    throw hdf5Error(name, error);
  }
  checkFloat32Range(values, tracings, name);
  return examRecord(name, splitLeads(values, tracings), tracings);
}

/** Infinite samples (or float64 ones that would read as ±Infinity) are refused, naming the lead and sample. */
function checkFloat32Range(values: Float32Array | Float64Array, layout: Layout, name: string): void {
  const at = values.findIndex((v) => Math.abs(v) > FLOAT32_MAX);
  if (at < 0) return;
  const { samples, leadCount, samplesFirst } = layout;
  const [lead, sample] = samplesFirst
    ? [at % leadCount, Math.floor(at / leadCount)]
    : [Math.floor(at / samples), at % samples];
  throw new FormatError(
    name,
    `lead ${lead + 1}, sample ${sample + 1}: ${values[at]} is beyond float32 (±3.4e38), the precision samples are read in`,
  );
}

/** One row of `tracings` -> one Float32Array per lead (read in storage order: this loop is most of a read's time). */
function splitLeads(values: Float32Array | Float64Array, layout: Layout): Float32Array[] {
  const { samples, leadCount, samplesFirst } = layout;
  if (!samplesFirst)
    return Array.from({ length: leadCount }, (_, lead) =>
      Float32Array.from(values.subarray(lead * samples, (lead + 1) * samples)),
    );
  const signals = Array.from({ length: leadCount }, () => new Float32Array(samples));
  for (let t = 0, i = 0; t < samples; t++)
    for (let lead = 0; lead < leadCount; lead++, i++) signals[lead]![t] = values[i]!;
  return signals;
}

function examRecord(name: string, signals: Float32Array[], tracings: Tracings): EcgRecord {
  const samples = signals[0]?.length ?? 0;
  const allZero = (t: number) => signals.every((signal) => signal[t] === 0);
  let start = 0;
  while (start < samples && allZero(start)) start++;
  if (start === samples) throw new SignalError(`${name}: every sample of every lead is 0 (an empty row)`);
  let end = samples;
  while (allZero(end - 1)) end--;
  return {
    name,
    fs: tracings.fs,
    leads: [...tracings.leads],
    // CODE-15's unit is documented two ways (a 1e-4 V scale, and a factor that makes it mV); values as stored.
    units: tracings.leads.map(() => 'mV'),
    signals: signals.map((signal) => signal.slice(start, end)),
    age: null,
    sex: 'unknown',
    metadata: { format: 'hdf5', padding: { before: start, after: samples - end } },
  };
}
