/** Streams a zip archive into a folder (fflate), each file written to a temporary name and renamed when complete. */
import { closeSync, createReadStream, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Unzip, UnzipInflate } from 'fflate';
import { FormatError } from '../../errors.js';
import { isSafeRelativePath } from './sources.js';

/** Extracts `zipPath` under `dest`; returns the number of files written. Unsafe entry names are a FormatError. */
export async function extractZip(zipPath: string, dest: string): Promise<number> {
  let written = 0;
  let failure: Error | null = null;
  const unzip = new Unzip((file) => {
    if (failure !== null || file.name.endsWith('/')) return;
    if (!isSafeRelativePath(file.name)) {
      failure = new FormatError(zipPath, `unsafe entry name ${JSON.stringify(file.name)}`);
      return;
    }
    const target = join(dest, file.name);
    const temporary = `${target}.part`;
    mkdirSync(dirname(target), { recursive: true });
    const fd = openSync(temporary, 'w');
    file.ondata = (error, data, final) => {
      if (error !== null) {
        failure ??= new FormatError(zipPath, `entry ${file.name}: ${error.message}`);
        closeSync(fd);
        return;
      }
      writeSync(fd, data);
      if (final) {
        closeSync(fd);
        renameSync(temporary, target);
        written++;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(zipPath)) {
      unzip.push(chunk as Uint8Array);
      if (failure !== null) break;
    }
    if (failure === null) unzip.push(new Uint8Array(0), true);
  } catch (error) {
    throw new FormatError(zipPath, `not a readable zip archive (${(error as Error).message})`);
  }
  if (failure !== null) throw failure;
  return written;
}
