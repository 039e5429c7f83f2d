/**
 * The records a model learned labels from through its start (`--init`) and its teachers (`--distill-from`): a
 * checkpoint trained on the same dataset passes its training records on. The trainer adds them to the run's own
 * (checkpoint metadata `dataset.records.train`), so that `evaluate` names them among the records it scores.
 */
import { readCheckpoint } from '../export/checkpoint.js';
import type { TrainConfig } from './config.js';
import { teacherCheckpointPath } from './distill.js';
import { resolveInitCheckpoint } from './init.js';

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
  const paths = [
    ...(config.init === null ? [] : [resolveInitCheckpoint(config.init, modelsDir)]),
    ...(config.distill?.teachers ?? []).map((spec) => teacherCheckpointPath(spec, config.cvFold, modelsDir)),
  ];
  const inherited = new Set<string>();
  for (const path of paths) {
    const extra = readCheckpoint(path).metadata.extra ?? {};
    const recorded = extra.dataset as { name?: unknown; records?: { train?: unknown } } | undefined;
    if (extra.task === 'pretrain' || recorded?.name !== dataset) continue;
    const train = recorded.records?.train;
    if (!Array.isArray(train) || !train.every((id) => typeof id === 'string')) return null;
    for (const id of train) inherited.add(id);
  }
  return [...inherited];
}
