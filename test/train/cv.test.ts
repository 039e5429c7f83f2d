import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import type { DatasetEntry } from '../../src/datasets/types.js';
import { ConfigError } from '../../src/errors.js';
import { applyCvFold, cvFoldAssignment } from '../../src/train/cv-folds.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { ENSEMBLE_SPLIT, ensembleDataset } from '../../src/models/ensemble-dataset.js';
import {
  crossValidate,
  cvEnsembleDataset,
  foldDir,
  headlineIntervals,
  poolOutputs,
  readHeldout,
  settingDifferences,
  type CvSummary,
} from '../../src/train/cv.js';
import { RUN_FILES } from '../../src/train/loop.js';
import type { TaskOutputs } from '../../src/train/task.js';
import { tempDir, tinyConfig } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

/** The synthetic dataset with two or three records per patient, so that grouping matters. */
function patientDataset() {
  const dataset = syntheticDataset({ records: 30 });
  dataset.entries.forEach((entry, i) => (entry.patientId = `P${Math.floor(i / (i < 12 ? 3 : 2))}`));
  return dataset;
}

test('cv folds: a patient never straddles two folds; classes are spread; test entries stay out', () => {
  const dataset = patientDataset();
  dataset.entries[0]!.split = 'test';
  const folds = cvFoldAssignment('cinc2017', dataset.entries, 4);
  assert.equal(folds.has(dataset.entries[0]!.id), false);
  const foldOfPatient = new Map<string, number>();
  for (const entry of dataset.entries.slice(1)) {
    const fold = folds.get(entry.id)!;
    assert.ok(fold >= 1 && fold <= 4);
    const seen = foldOfPatient.get(entry.patientId!);
    if (seen !== undefined)
      assert.equal(fold, seen, `patient ${entry.patientId} in folds ${seen} and ${fold}`);
    foldOfPatient.set(entry.patientId!, fold);
  }
  for (let fold = 1; fold <= 4; fold++) {
    const classes = new Set(dataset.entries.filter((e) => folds.get(e.id) === fold).map((e) => e.labels[0]));
    assert.equal(classes.size, 3, `fold ${fold} has every class`);
  }
});

test('cv folds: PTB-XL keeps its official strat_folds, cut into k consecutive groups; fold 10 stays test', () => {
  const entries: DatasetEntry[] = Array.from({ length: 20 }, (_, i) => ({
    id: String(i),
    patientId: String(i),
    fold: (i % 10) + 1,
    split: i % 10 === 9 ? 'test' : 'train',
    labels: [0],
    patient: { age: null, sex: 'unknown', ageCapped: false },
  }));
  const folds = cvFoldAssignment('ptbxl', entries, 3);
  const byStratFold = new Map(entries.filter((e) => folds.has(e.id)).map((e) => [e.fold, folds.get(e.id)]));
  assert.deepEqual(
    [...byStratFold].sort((a, b) => a[0]! - b[0]!),
    [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 2],
      [6, 2],
      [7, 3],
      [8, 3],
      [9, 3],
    ],
  );
  applyCvFold('ptbxl', entries, { folds: 3, fold: 2 });
  assert.deepEqual(
    entries
      .filter((e) => e.split === 'val')
      .map((e) => (Number(e.id) % 10) + 1)
      .sort(),
    [4, 4, 5, 5, 6, 6],
  );
  assert.equal(entries.filter((e) => e.split === 'test').length, 2);
});

test('pooling refuses an item that is out-of-fold twice', () => {
  const part = (ids: string[]): TaskOutputs => ({
    task: 'records',
    classes: ['a', 'b'],
    labelKind: 'single-label',
    ids,
    groups: ids,
    labels: ids.map(() => [0]),
    logits: ids.map(() => [1, 0]),
  });
  assert.equal(poolOutputs([part(['x']), part(['y'])]).ids.length, 2);
  assert.throws(() => poolOutputs([part(['x']), part(['x'])]), /out-of-fold in two folds/);
});

test('cv --only: a fold out of range is refused before --out is made or any dataset opened', async () => {
  const { dir, dispose } = tempDir();
  try {
    const out = join(dir, 'cv');
    let opened = 0;
    await assert.rejects(
      crossValidate(
        tinyConfig(out),
        async () => {
          opened++;
          return patientDataset();
        },
        { folds: 5, only: [1, 9] },
      ),
      (error: unknown) => error instanceof ConfigError && /fold 9 is not one of 1\.\.5/.test(error.message),
    );
    assert.equal(opened, 0);
    assert.equal(existsSync(out), false);
  } finally {
    dispose();
  }
});

async function runCv(out: string, signal?: AbortSignal, onEpoch?: () => void): Promise<CvSummary | null> {
  return crossValidate(tinyConfig(out), async () => patientDataset(), {
    folds: 3,
    ...(signal ? { signal } : {}),
    ...(onEpoch ? { onLog: (line) => line.type === 'epoch' && onEpoch() } : {}),
  });
}

test('cv: every record is out-of-fold exactly once, nothing is selected on it, a killed CV resumes to the same figures', async () => {
  const straight = tempDir();
  const killed = tempDir();
  try {
    const summary = (await runCv(straight.dir))!;
    const all = patientDataset()
      .entries.map((e) => e.id)
      .sort();
    const pooled = JSON.parse(readFileSync(join(straight.dir, 'cv.json'), 'utf8')) as CvSummary;
    assert.equal(pooled.pooled.items, all.length);
    const heldout = [1, 2, 3].map(
      (fold) =>
        JSON.parse(readFileSync(join(foldDir(straight.dir, fold), RUN_FILES.heldout), 'utf8')) as {
          outputs: TaskOutputs;
        },
    );
    assert.deepEqual(heldout.flatMap((h) => h.outputs.ids).sort(), all);
    for (let fold = 1; fold <= 3; fold++) {
      // A fixed schedule: no checkpoint chosen on the held-out fold, and its thresholds are not chosen there either.
      assert.equal(existsSync(join(foldDir(straight.dir, fold), RUN_FILES.best)), false);
      // The fold model names its training records: every record its fold did not hold out.
      const { records } = readCheckpoint(join(foldDir(straight.dir, fold), RUN_FILES.last)).metadata.extra!
        .dataset as { records: { train: string[]; val: string[] } };
      const held = heldout[fold - 1]!.outputs.ids;
      assert.deepEqual([...records.val].sort(), [...held].sort());
      assert.deepEqual(
        [...records.train].sort(),
        all.filter((id) => !held.includes(id)),
      );
    }
    // The ensemble of the fold models trained on every record, as the held-out files alone also tell.
    const members = [1, 2, 3].map((fold) =>
      readCheckpoint(join(foldDir(straight.dir, fold), RUN_FILES.last)),
    );
    assert.deepEqual((ensembleDataset(members)!.records as { train: string[] }).train, all);
    assert.deepEqual(cvEnsembleDataset('synthetic', readHeldout(straight.dir, 3)!).records, { train: all });
    assert.equal(summary.perFold.length, 3);
    assert.ok(summary.mean !== null && summary.sd !== null && summary.pooled.value !== null);
    assert.ok(summary.intervals[summary.metric] !== null);
    // Finished folds count only under the same recipe: another learning rate is refused, other threads are not.
    const again = (overrides: Parameters<typeof tinyConfig>[1]) =>
      crossValidate(tinyConfig(straight.dir, overrides), async () => patientDataset(), { folds: 3 });
    await assert.rejects(
      again({ lr: 0.123 }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /finished folds were trained with other settings than this run \(fold 1: lr 0\.003 vs 0\.123 in this run; fold 2/.test(
          error.message,
        ),
    );
    assert.equal((await again({ threads: 2 }))!.pooled.value, summary.pooled.value);

    // Stop in the middle of fold 2 (after its first epoch), then run the same command again.
    const controller = new AbortController();
    let epochs = 0;
    assert.equal(
      await runCv(killed.dir, controller.signal, () => ++epochs === 3 && controller.abort()),
      null,
    );
    assert.equal(existsSync(join(foldDir(killed.dir, 2), RUN_FILES.last)), true);
    assert.equal(existsSync(join(foldDir(killed.dir, 2), RUN_FILES.heldout)), false);
    const resumed = (await runCv(killed.dir))!;
    assert.deepEqual(
      resumed.perFold.map((f) => f.value),
      summary.perFold.map((f) => f.value),
    );
    assert.equal(resumed.pooled.value, summary.pooled.value);

    // Killed while finishing fold 1: at its last checkpoint's write the fold is not done (no heldout.json yet); at
    // heldout.json's the checkpoint is complete, and the next run scores it instead of training again.
    for (const file of [RUN_FILES.last, RUN_FILES.heldout]) {
      const torn = tempDir();
      try {
        let finalWrites = 0;
        const beforeWriteStep = (step: string, path: string) => {
          if (
            basename(path) === file &&
            step === 'rename' &&
            (file === RUN_FILES.heldout || ++finalWrites === 2)
          )
            throw new Error('killed');
        };
        await assert.rejects(
          crossValidate(tinyConfig(torn.dir), async () => patientDataset(), { folds: 3, beforeWriteStep }),
          /killed/,
        );
        const fold1 = foldDir(torn.dir, 1);
        assert.equal(existsSync(join(fold1, RUN_FILES.heldout)), false, file);
        assert.equal(existsSync(join(fold1, RUN_FILES.last)), true, file);
        const again = (await runCv(torn.dir))!;
        assert.deepEqual(
          again.perFold.map((f) => f.value),
          summary.perFold.map((f) => f.value),
          file,
        );
      } finally {
        torn.dispose();
      }
    }
  } finally {
    straight.dispose();
    killed.dispose();
  }
});

test('settingDifferences names the changed leaves of a nested setting (both sides were cut at 40 characters)', () => {
  const base = tinyConfig('/tmp/x');
  const other = { ...base, preprocess: { ...base.preprocess, fs: 250 } };
  assert.deepEqual(settingDifferences(base, other), [`preprocess.fs ${base.preprocess.fs} vs 250`]);
  assert.deepEqual(settingDifferences(base, { ...base, lr: 0.123 }), [`lr ${base.lr} vs 0.123`]);
});

test("an ensemble of custom-data models names its members' folder digest, never their record ids", () => {
  const member = (folder: string) =>
    ({
      metadata: {
        extra: { dataset: { name: 'custom', folder, records: { train: ['patient-7/ecg'], val: [] } } },
      },
    }) as never;
  const same = ensembleDataset([member('sha256:aa'), member('sha256:aa')])!;
  assert.deepEqual(same, { name: 'custom', split: ENSEMBLE_SPLIT, folder: 'sha256:aa' });
  // Members of different folders: no folder can be named.
  assert.equal('folder' in ensembleDataset([member('sha256:aa'), member('sha256:bb')])!, false);
  const heldout = [{ outputs: { task: 'records', ids: ['patient-7/ecg'] } }] as never;
  assert.deepEqual(cvEnsembleDataset('custom', heldout, 'sha256:aa'), {
    name: 'custom',
    split: ENSEMBLE_SPLIT,
    folder: 'sha256:aa',
  });
});

test('pooled CV intervals: a resample that misses a class has no macro (not a macro over fewer classes)', () => {
  // Two patients hold the only positives of rare class R, ranked lowest (AUROC 0); class A is perfect (AUROC 1).
  const n = 40;
  const outputs: TaskOutputs = {
    task: 'records',
    classes: ['A', 'R'],
    labelKind: 'multi-label',
    ids: Array.from({ length: n }, (_, i) => `r${i}`),
    groups: Array.from({ length: n }, (_, i) => `p${i}`),
    labels: Array.from({ length: n }, (_, i) => [...(i % 2 ? [0] : []), ...(i < 2 ? [1] : [])]),
    logits: Array.from({ length: n }, (_, i) => [i % 2 ? 3 : -3, i < 2 ? -5 : (i % 7) / 10]),
  };
  const intervals = headlineIntervals(outputs, 200);
  assert.deepEqual(intervals.macro_auroc, [0.5, 0.5]);
  assert.deepEqual(intervals.auroc_A, [1, 1]);
});
