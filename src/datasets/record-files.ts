/**
 * A record file located on disk (Node), for the adapters that read records of any format src/io reads (custom,
 * folder): the path to read, every file it depends on (cache fingerprints) and its lead count.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describeHdf5Exam, parseExamName } from '../io/hdf5.js';
import { readRecord, readWfdbHeader, type WfdbHeader } from '../io/index.js';
import { fileExists } from './files.js';
import { requiredFileBytes } from '../io/wfdb/declared.js';

export interface LocatedRecord {
  readPath: string;
  files: string[];
  leads: number;
}

/**
 * Reads just enough of the record at `path` (a .hea, .dat, .mat, .csv...) to know its lead count: a WFDB header
 * when there is one, else the whole record. A string is the reason it cannot be used (paths relative to `root`).
 */
export async function locateRecordFile(
  root: string,
  path: string,
  fs: number | null,
): Promise<LocatedRecord | string> {
  const readPath = path.replace(/\.dat$/i, '.hea');
  try {
    const exam = parseExamName(readPath);
    if (exam !== null) {
      const found = await describeHdf5Exam(exam.file, exam.exam, fs === null ? {} : { fs });
      if (found === null) return `no exam "${exam.exam}" in ${relative(root, exam.file)}`;
      return { readPath, files: [exam.file], leads: found.leads.length };
    }
    if (/\.(hea|mat)$/i.test(readPath)) {
      const headerPath = readPath.replace(/\.mat$/i, '.hea');
      if (await fileExists(headerPath)) {
        const header = await readWfdbHeader(headerPath);
        const dataFiles = headerDataFiles(headerPath, header);
        const missing = await firstMissing(dataFiles);
        if (missing !== null) return `record file missing (${relative(root, missing)})`;
        // A cut data file is found here from its size (no samples read), as the reader would refuse it.
        const short = await firstTruncated(headerPath, header);
        if (short !== null) return `unreadable: ${relative(root, short.path)}: truncated: ${short.reason}`;
        return { readPath, files: [headerPath, ...dataFiles], leads: header.signals.length };
      }
    }
    const record = await readRecord(readPath, fs === null ? {} : { fs });
    return { readPath, files: [readPath], leads: record.signals.length };
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
}

/** The data files a WFDB header names (each once), beside the header. */
export function headerDataFiles(headerPath: string, header: WfdbHeader): string[] {
  return [...new Set(header.signals.map((signal) => join(dirname(headerPath), signal.fileName)))];
}

/** The first path whose file exists (an HDF5 exam name `FILE#ID` exists when its file does). */
export async function firstExisting(paths: readonly string[]): Promise<string | null> {
  for (const path of paths) if (await fileExists(parseExamName(path)?.file ?? path)) return path;
  return null;
}

async function firstTruncated(
  headerPath: string,
  header: WfdbHeader,
): Promise<{ path: string; reason: string } | null> {
  for (const fileName of new Set(header.signals.map((signal) => signal.fileName))) {
    const path = join(dirname(headerPath), fileName);
    const required = requiredFileBytes(header, fileName);
    if (required === null) continue;
    const { size } = await stat(path);
    if (size < required)
      return { path, reason: `the header declares ${required} bytes of data, the file holds ${size}` };
  }
  return null;
}

async function firstMissing(paths: readonly string[]): Promise<string | null> {
  for (const path of paths) if (!(await fileExists(path))) return path;
  return null;
}
