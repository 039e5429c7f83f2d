/** Thin Node file helpers shared by the adapters: typed errors that name the file. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { EcgError, MissingFileError } from '../errors.js';

/** ENOENT, or ENOTDIR: a parent of the path is a file (e.g. a file given where a dataset folder goes). */
export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isNotFound(error)) throw new MissingFileError(path);
    throw new EcgError(`${path}: ${(error as Error).message}`);
  }
}

export async function readText(path: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(path));
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function requireFile(path: string, problem?: string): Promise<void> {
  if (!(await fileExists(path))) throw new MissingFileError(path, problem);
}

/** File names in a folder; a missing folder is a MissingFileError naming it. */
export async function listFolder(path: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(path));
  } catch (error) {
    if (isNotFound(error)) throw new MissingFileError(path, 'folder not found');
    throw new EcgError(`${path}: ${(error as Error).message}`);
  }
}
