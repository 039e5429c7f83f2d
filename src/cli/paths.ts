/**
 * Checks of the paths options name, made before any work starts: a wrong path costs nothing and the error names
 * the option, instead of a system error (ENOTDIR, EISDIR) after a long run, or an input overwritten by an output.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { isNotFound } from '../datasets/files.js';
import { ConfigError, MissingFileError } from '../errors.js';

/** The path's stats, or null when nothing is there (also when a parent is a file: ENOTDIR). */
export function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** An input folder (--data): MissingFileError when absent, ConfigError when it is not a folder. */
export function requireInputDir(option: string, path: string, what = 'dataset folder'): void {
  const stats = statOrNull(path);
  if (stats === null) throw new MissingFileError(path, `${what} not found (${option})`);
  if (!stats.isDirectory()) throw new ConfigError(`${option} ${path}: not a folder (expected the ${what})`);
}

/** An output folder (--out, --dest) that may not exist yet: when it exists, it must be a folder. */
export function requireOutputDir(option: string, path: string): void {
  const stats = statOrNull(path);
  if (stats !== null && !stats.isDirectory())
    throw new ConfigError(`${option} ${path}: exists and is not a folder (expected an output folder)`);
}

/** An output file that may not exist yet: when it exists, it must not be a folder. */
export function requireOutputFile(option: string, path: string): void {
  if (statOrNull(path)?.isDirectory())
    throw new ConfigError(`${option} ${path}: is a folder, expected a file`);
}

/** `path` through its symlinks when it is a file (null otherwise, or when it cannot be read). */
function realFile(path: string): string | null {
  try {
    return statSync(path).isFile() ? realpathSync(path) : null;
  } catch {
    return null;
  }
}

/** Refuses an output option (name -> path) that names one of the existing input files: it would overwrite it. */
export function refuseOutputOverInput(
  outputs: Record<string, string | undefined>,
  inputs: readonly string[],
): void {
  const files = new Map(inputs.map((input) => [realFile(input), input]));
  files.delete(null);
  for (const [option, path] of Object.entries(outputs)) {
    const input = path === undefined ? undefined : files.get(realFile(path));
    if (input !== undefined)
      throw new ConfigError(`${option} ${path}: is the input ${input}; writing it would destroy the input`);
  }
}
