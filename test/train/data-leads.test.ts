/**
 * Training data reads every record's leads in the first record's order, by name, as inference does: a record that
 * stores [L2, L1] is trained as [L1, L2]. Names that match none of the first record's keep their order; a partial
 * match is an error naming the record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { ConfigError } from '../../src/errors.js';
import { loadTrainingData } from '../../src/train/data.js';
import { syntheticDataset } from './synthetic.js';

/** The synthetic dataset with record `id`'s leads stored under `names`, in reverse order when `reverse`. */
function relabelled(id: string, names: string[], reverse: boolean): Dataset {
  const dataset = syntheticDataset({ records: 6, leads: 2 });
  const load = dataset.load.bind(dataset);
  dataset.load = async (entryId) => {
    const example = await load(entryId);
    if (entryId !== id) return example;
    const order = reverse ? [1, 0] : [0, 1];
    const { record } = example;
    return {
      ...example,
      record: {
        ...record,
        leads: names,
        units: order.map((i) => record.units[i]!),
        signals: order.map((i) => record.signals[i]!),
      },
    };
  };
  return dataset;
}

const load = (dataset: Dataset) =>
  loadTrainingData(dataset, {
    preprocess: { resampleTo: null, bandpass: null, standardize: false },
    cacheDir: null,
  });

test('a record storing its leads in another order is trained in the first record order', async () => {
  const plain = await load(syntheticDataset({ records: 6, leads: 2 }));
  const id = plain.entries[3]!.id;
  const swapped = await load(relabelled(id, ['L2', 'L1'], true));
  assert.deepEqual(swapped.leadNames, ['L1', 'L2']);
  assert.deepEqual(Array.from(swapped.store.samples), Array.from(plain.store.samples));
  // Generic names that match none of the first record's: stored order, as before.
  const generic = await load(relabelled(id, ['A', 'B'], false));
  assert.deepEqual(Array.from(generic.store.samples), Array.from(plain.store.samples));
  await assert.rejects(
    load(relabelled(id, ['L1', 'X'], false)),
    (error: unknown) => error instanceof ConfigError && error.message.includes(`record ${id}`),
  );
});
