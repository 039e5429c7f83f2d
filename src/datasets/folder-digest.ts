/**
 * A custom dataset's identity without its record ids. Every folder of one's own data is named "custom", so the name
 * cannot tell a model's training folder from another; its ids (file names, perhaps patient ids) are not written into
 * a model that may be shared. The SHA-256 of the sorted ids is: it lets a cross-validation refuse a start or teacher
 * trained on the same folder and `evaluate` say it scores the folder a model was trained from, and tells nothing about
 * which records a folder holds. A folder with one record more or less is another folder.
 */
import { createHash } from 'node:crypto';

export function recordListDigest(ids: Iterable<string>): string {
  const sorted = [...new Set(ids)].sort();
  return `sha256:${createHash('sha256').update(sorted.join('\n')).digest('hex')}`;
}

/** The digest a model's dataset metadata names (`dataset.folder`), or null when it names none. */
export function recordedFolder(dataset: unknown): string | null {
  const folder = (dataset as { folder?: unknown } | null | undefined)?.folder;
  return typeof folder === 'string' ? folder : null;
}
