/**
 * A custom dataset's identity without its record ids. Every folder of one's own data is named "custom", so the name
 * cannot tell a model's training folder from another; its ids (file names, perhaps patient ids) are not written into
 * a model that may be shared. The SHA-256 of the sorted ids is: it lets a cross-validation refuse a start or teacher
 * trained on the same folder and `evaluate` say it scores the folder a model was trained from. It does not list the
 * records (though anyone holding the exact same list of ids can confirm it). Every row of labels.csv counts, skipped
 * ones too, so a file missing on one day does not make another folder; a row more or less does.
 */
import { createHash } from 'node:crypto';

export function recordListDigest(ids: Iterable<string>): string {
  const sorted = [...new Set(ids)].sort();
  return `sha256:${createHash('sha256').update(sorted.join('\n')).digest('hex')}`;
}

/** The digest of a custom folder: every record its labels list names, whether read or skipped. */
export function customFolderDigest(dataset: {
  entries: ReadonlyArray<{ id: string }>;
  skipped?: ReadonlyArray<{ id: string }>;
}): string {
  return recordListDigest([...dataset.entries, ...(dataset.skipped ?? [])].map((entry) => entry.id));
}

/**
 * A checkpoint's dataset metadata names the data `name` (with `folder`, a custom folder's digest): the same dataset,
 * and for `custom` the same folder (no digest on either side: not the same, as far as can be told).
 */
export function sameTrainingData(recorded: unknown, name: string, folder: string | undefined): boolean {
  if ((recorded as { name?: unknown } | null | undefined)?.name !== name) return false;
  return name !== 'custom' || (folder !== undefined && recordedFolder(recorded) === folder);
}

/** The digest a model's dataset metadata names (`dataset.folder`), or null when it names none. */
export function recordedFolder(dataset: unknown): string | null {
  const folder = (dataset as { folder?: unknown } | null | undefined)?.folder;
  return typeof folder === 'string' ? folder : null;
}
