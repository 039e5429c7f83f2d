/**
 * The records a model learned labels from include those of its start (--init) and teachers of the same dataset:
 * the checkpoint's `dataset.records.train` lists them (evaluate names them among the records it scores), lists
 * nothing when such an ancestor names no ids, and a custom dataset's ids (file names, patient ids) are never saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeStoredCheckpoint, readCheckpoint } from '../../src/export/checkpoint.js';
import { train } from '../../src/train/index.js';
import { inheritedTrainingRecords } from '../../src/train/lineage.js';
import { recordListDigest } from '../../src/datasets/folder-digest.js';
import { tempDir, tinyConfig } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `S${String(from + i).padStart(3, '0')}`);
const recordsOf = (path: string) =>
  (readCheckpoint(path).metadata.extra!.dataset as { records?: { train: string[]; val: string[] } }).records;

/** A copy of the checkpoint at `path` whose metadata is changed by `edit`. */
function edited(
  path: string,
  out: string,
  edit: (extra: Record<string, unknown>) => Record<string, unknown>,
) {
  const checkpoint = readCheckpoint(path);
  const extra = edit({ ...checkpoint.metadata.extra });
  writeFileSync(out, encodeStoredCheckpoint({ ...checkpoint, metadata: { ...checkpoint.metadata, extra } }));
  return out;
}

test('a run started from a checkpoint of the same dataset lists its start training records too', async () => {
  const { dir, dispose } = tempDir();
  try {
    // A trains on S012-S047 (S000-S011 validate); B on S024-S047 from A's weights.
    const a = await train(tinyConfig(join(dir, 'a'), { epochs: 1 }), syntheticDataset());
    assert.deepEqual(recordsOf(a.lastPath)!.train.sort(), ids(12, 48));
    const b = await train(
      tinyConfig(join(dir, 'b'), { epochs: 1, init: a.lastPath }),
      syntheticDataset({ validation: 0.5 }),
      { onNotice: () => {} },
    );
    const records = recordsOf(b.lastPath)!;
    assert.deepEqual([...records.train].sort(), ids(12, 48));
    assert.deepEqual([...records.val].sort(), ids(0, 24));

    // A start that names no ids: the run names none either (evaluate then says "may include").
    const noIds = edited(a.lastPath, join(dir, 'no-ids.safetensors'), (extra) => ({
      ...extra,
      dataset: { name: 'synthetic', entries: { train: 36, val: 12 } },
    }));
    const c = await train(
      tinyConfig(join(dir, 'c'), { epochs: 1, init: noIds }),
      syntheticDataset({ validation: 0.5 }),
      { onNotice: () => {} },
    );
    assert.equal(recordsOf(c.lastPath), undefined);

    // Teachers pass theirs on the same way; label-free pre-training and other datasets pass nothing.
    const none = { init: null, distill: null, cvFold: null };
    const teacher = {
      ...none,
      distill: { teachers: [a.lastPath], alpha: 0.5, temperature: 2, targets: 'record' },
    };
    assert.deepEqual(inheritedTrainingRecords(teacher as never, 'synthetic')!.sort(), ids(12, 48));
    assert.deepEqual(inheritedTrainingRecords({ ...none, init: a.lastPath }, 'ptbxl'), []);
    const pretrained = edited(a.lastPath, join(dir, 'ssl.safetensors'), (extra) => ({
      ...extra,
      task: 'pretrain',
    }));
    assert.deepEqual(inheritedTrainingRecords({ ...none, init: pretrained }, 'synthetic'), []);
    assert.equal(inheritedTrainingRecords({ ...none, init: noIds }, 'synthetic'), null);
  } finally {
    dispose();
  }
});

test("a custom dataset's record ids (file names, patient ids) are not written into the model: its folder's digest is", async () => {
  const { dir, dispose } = tempDir();
  try {
    const run = await train(tinyConfig(join(dir, 'run'), { epochs: 1 }), {
      ...syntheticDataset(),
      name: 'custom',
    });
    const dataset = readCheckpoint(run.lastPath).metadata.extra!.dataset as Record<string, unknown>;
    assert.equal(dataset.name, 'custom');
    assert.equal('records' in dataset, false);
    assert.deepEqual(dataset.entries, { train: 36, val: 12 });
    // Every record of the folder (training, validation and any test rows), as evaluate and cv recompute it.
    assert.equal(dataset.folder, recordListDigest(ids(0, 48)));
    assert.doesNotMatch(JSON.stringify(readCheckpoint(run.lastPath).metadata), /S0\d\d/);
  } finally {
    dispose();
  }
});
