/**
 * The records a model learned labels from through its start (`--init`) and its teachers (`--distill-from`): a
 * checkpoint trained on the same dataset passes its training records on. The trainer adds them to the run's own
 * (checkpoint metadata `dataset.records.train`), so that `evaluate` names them among the records it scores.
 */
import { readCheckpoint } from '../export/checkpoint.js';
import type { TrainConfig } from './config.js';
import { isCvFolder, teacherCheckpointPath } from './distill.js';
import { recordedFolder } from '../datasets/folder-digest.js';
import { resolveInitCheckpoint } from './init.js';

/** The run's start and teachers: each role, checkpoint path and whether it was given as a CV folder. */
function ancestors(
  config: Pick<TrainConfig, 'init' | 'distill' | 'cvFold'>,
  modelsDir?: string,
): Array<{ role: string; path: string; cvFolder: boolean }> {
  return [
    ...(config.init === null
      ? []
      : [{ role: '--init', path: resolveInitCheckpoint(config.init, modelsDir), cvFolder: false }]),
    ...(config.distill?.teachers ?? []).map((spec) => ({
      role: 'teacher',
      path: teacherCheckpointPath(spec, config.cvFold, modelsDir),
      cvFolder: isCvFolder(spec),
    })),
  ];
}

/**
 * In a CV fold of custom data: a start or single teacher trained on custom data whose folder digest is absent (older
 * than digests) or another folder's cannot be shown to have never seen the fold's records (another folder may share
 * some): one notice each. The same digest is refused (src/train/init.ts, distill.ts); CV-folder teachers are checked
 * record by record (distill.ts).
 */
export function unconfirmedCustomAncestors(
  config: Pick<TrainConfig, 'init' | 'distill' | 'cvFold'>,
  folder: string | undefined,
  modelsDir?: string,
): string[] {
  if (config.cvFold === null || folder === undefined) return [];
  const notices: string[] = [];
  for (const { role, path, cvFolder } of ancestors(config, modelsDir)) {
    if (cvFolder) continue;
    const extra = readCheckpoint(path).metadata.extra ?? {};
    if (extra.task === 'pretrain' || (extra.dataset as { name?: unknown } | undefined)?.name !== 'custom')
      continue;
    const theirs = recordedFolder(extra.dataset);
    if (theirs === folder) continue;
    notices.push(
      `${role} ${path} was trained on ${theirs === null ? 'a custom folder it does not identify (saved before folder digests)' : 'another custom folder (another record list)'}: if it shares records with this one, this fold's figure is optimistic`,
    );
  }
  return notices;
}

/**
 * The training record ids of the run's same-dataset start and teachers (none: []), or null when one of them names
 * none (its records cannot be listed: the run then saves no ids, and evaluate falls back to its cautious note).
 * Label-free pre-training (`task: pretrain`) and checkpoints of other datasets pass nothing on; nor does a `custom`
 * dataset, whose name says nothing about which folder it was.
 */
export function inheritedTrainingRecords(
  config: Pick<TrainConfig, 'init' | 'distill' | 'cvFold'>,
  dataset: string,
  modelsDir?: string,
): string[] | null {
  if (dataset === 'custom') return [];
  const inherited = new Set<string>();
  for (const { path } of ancestors(config, modelsDir)) {
    const extra = readCheckpoint(path).metadata.extra ?? {};
    const recorded = extra.dataset as { name?: unknown; records?: { train?: unknown } } | undefined;
    if (extra.task === 'pretrain' || recorded?.name !== dataset) continue;
    const train = recorded.records?.train;
    if (!Array.isArray(train) || !train.every((id) => typeof id === 'string')) return null;
    for (const id of train) inherited.add(id);
  }
  return [...inherited];
}
