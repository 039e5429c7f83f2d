/**
 * `evaluate` on the model's own dataset: the split is recomputed over the folder given, so its "val" records are the
 * model's only when the folder holds the records it was trained on, and `--split all` there scores its training
 * records. The model's metadata (`dataset`: name, split, train/val counts or record ids) is what evaluate checks: a
 * NOTE says when the records scored may be (or, with ids, are) training records, and nothing when they cannot be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCinc2017, openMitdb } from '../../src/datasets/index.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { evaluate, trainingOverlap } from '../../src/infer/evaluate.js';
import { ENSEMBLE_SPLIT } from '../../src/models/ensemble-dataset.js';
import { recordListDigest } from '../../src/datasets/folder-digest.js';
import { Predictor } from '../../src/infer/predictor.js';
import { runCli } from './cli-harness.js';
import { devCheckpoint } from './dev-models.js';

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const CINC = ['N', 'A', 'O', '~'];
const SEEDED = {
  method: 'seeded iterative stratification',
  parameters: { folds: 5, seed: 2017, valFold: 5, groupBy: 'record' },
};

/** A CinC 2017 dev model whose metadata records the dataset it was trained on. */
const cincModel = (dataset: Record<string, unknown>) =>
  exportCheckpoint(
    devCheckpoint({ leads: ['ECG'], labels: CINC, fs: 100, windowSamples: 300, extra: { dataset } }),
    'dev',
  );

async function overlapOf(onnx: Uint8Array, split: 'val' | 'all', root = fixture('datasets/cinc2017')) {
  const predictor = await Predictor.load(onnx, { name: 'dev' });
  try {
    return (await evaluate(predictor, await openCinc2017(root), { split, resamples: 0 })).training_overlap;
  } finally {
    await predictor.release();
  }
}

test('--split all on the dataset the model was trained on: a NOTE on stderr, in the report and the JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-overlap-'));
  try {
    const model = join(dir, 'dev.onnx');
    writeFileSync(model, cincModel({ name: 'cinc2017', split: SEEDED, entries: { train: 5457, val: 1365 } }));
    const json = join(dir, 'out.json');
    const args = [
      'evaluate',
      '--model',
      model,
      '--dataset',
      'cinc2017',
      '--data',
      fixture('datasets/cinc2017'),
    ];
    const run = await runCli([...args, '--split', 'all', '--resamples', '0', '--json', json]);
    assert.equal(run.error, null);
    const note =
      /NOTE: these records may include the model's training records: model dev was trained on 5457 cinc2017 records/;
    assert.match(run.stderr, note);
    assert.match(run.stdout, note);
    assert.match(JSON.parse(readFileSync(json, 'utf8')).training_overlap, note);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default --split test on a folder without test records names --split val and what --split all is for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-overlap-'));
  try {
    const model = join(dir, 'dev.onnx');
    writeFileSync(model, cincModel({ name: 'cinc2017', split: SEEDED, entries: { train: 2, val: 1 } }));
    const run = await runCli([
      ...['evaluate', '--model', model, '--dataset', 'cinc2017', '--data', fixture('datasets/cinc2017')],
      ...['--resamples', '0'],
    ]);
    assert.match(
      String(run.error),
      /has no test records: use --split val \(the model's own validation split, if this is its training folder\) or --split all \(a held-out folder only/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--split val: a NOTE when the recomputed split is not the one recorded, none when it is', async () => {
  // The fixture's 3 records split 2 train / 1 val: a model trained on this very folder recorded the same counts.
  assert.equal(
    await overlapOf(cincModel({ name: 'cinc2017', split: SEEDED, entries: { train: 2, val: 1 } }), 'val'),
    null,
  );
  // Trained on 6,822 records: the seeded split of these 3 is another split.
  assert.match(
    (await overlapOf(
      cincModel({ name: 'cinc2017', split: SEEDED, entries: { train: 5457, val: 1365 } }),
      'val',
    )) ?? '',
    /model's training records: this val split is not model dev's: the split recomputed over this folder has 2 train \/ 1 val records, the model's had 5457 \/ 1365/,
  );
  // A cross-validation fold's model: its validation fold is not the folder's val fold.
  const cv = {
    method: 'cross-validation fold 1 of 5 (patient-grouped iterative stratification, seed 2017)',
    parameters: { folds: 5, fold: 1, seed: 2017 },
  };
  assert.match(
    (await overlapOf(cincModel({ name: 'cinc2017', split: cv, entries: { train: 2, val: 1 } }), 'val')) ?? '',
    /this val split is not model dev's: the model's split is "cross-validation fold 1 of 5/,
  );
  // Another seed: another split.
  const seed = { ...SEEDED, parameters: { ...SEEDED.parameters, seed: 1 } };
  assert.match(
    (await overlapOf(cincModel({ name: 'cinc2017', split: seed, entries: { train: 2, val: 1 } }), 'val')) ??
      '',
    /split seed 1 for the model, 2017 here/,
  );
  // Another dataset's model, or no dataset recorded: nothing to check, nothing claimed.
  assert.equal(await overlapOf(cincModel({ name: 'custom', split: SEEDED }), 'all'), null);
  assert.equal(
    await overlapOf(
      exportCheckpoint(devCheckpoint({ leads: ['ECG'], labels: CINC, fs: 100, windowSamples: 300 }), 'dev'),
      'all',
    ),
    null,
  );
});

test("custom data: a NOTE only on the folder the model was trained from (its record list's digest)", async () => {
  const entries = ['a/1', 'a/2', 'b/3'].map((id) => ({ id, split: 'train' }));
  const folder = { name: 'custom', split: { method: 'labels.csv split column', parameters: {} }, entries };
  const model = (dataset: Record<string, unknown>) =>
    ({ name: 'mine', info: { dataset, architecture: 'efficientecg' } }) as never;
  const trained = { name: 'custom', entries: { train: 3 }, folder: recordListDigest(['b/3', 'a/1', 'a/2']) };
  assert.match(
    trainingOverlap(model(trained), folder as never, 'all', entries as never) ?? '',
    /may include the model's training records: model mine was trained on 3 custom records/,
  );
  // Another folder (one record more), or a model that names no folder: nothing can be said.
  const more = [...entries, { id: 'c/4', split: 'train' }];
  assert.equal(
    trainingOverlap(model(trained), { ...folder, entries: more } as never, 'all', more as never),
    null,
  );
  // Skipped rows (a file missing that day) still belong to the folder: its digest covers every listed record.
  const withSkipped = { ...trained, folder: recordListDigest(['a/1', 'a/2', 'b/3', 'c/4']) };
  assert.match(
    trainingOverlap(
      model(withSkipped),
      { ...folder, skipped: [{ id: 'c/4' }] } as never,
      'all',
      entries as never,
    ) ?? '',
    /may include the model's training records/,
  );
  const { folder: _, ...unnamed } = trained;
  assert.equal(trainingOverlap(model(unnamed), folder as never, 'all', entries as never), null);
});

test('a model that recorded its training record ids: the overlap itself, by id', async () => {
  const beatModel = (train: string[]) =>
    exportCheckpoint(
      devCheckpoint({
        leads: ['MLII'],
        labels: ['N', 'S', 'V', 'F', 'Q'],
        fs: 360,
        windowSamples: 200,
        extra: {
          task: 'beats',
          beats: { before: 90, after: 110 },
          dataset: { name: 'mitdb', split: 'de Chazal 2004 DS1', records: { train, val: ['116'] } },
        },
      }),
      'dev',
    );
  const dataset = await openMitdb(fixture('infer/mitdb'));
  for (const [train, expected] of [
    [
      ['101', '106'],
      /^NOTE: these records include the model's training records: 1 of 1 are in model dev's training split \(101\)$/,
    ],
    [['106', '108'], null],
  ] as const) {
    const predictor = await Predictor.load(beatModel([...train]), { name: 'dev' });
    const evaluation = await evaluate(predictor, dataset, { split: 'all', resamples: 0 });
    await predictor.release();
    if (expected === null) assert.equal(evaluation.training_overlap, null);
    else assert.match(evaluation.training_overlap ?? '', expected);
  }
});

test("an ensemble without its members' ids: every split may hold training records, and no member's count is given", async () => {
  const dataset = { name: 'cinc2017', split: SEEDED, entries: { train: 5457, val: 1365 } };
  const ensemble = await Predictor.load(cincModel(dataset), { name: 'ens' });
  try {
    const data = await openCinc2017(fixture('datasets/cinc2017'));
    const info = { ...ensemble.info, architecture: 'ensemble of 5 efficientecg-w0.25' };
    for (const split of ['all', 'val', 'test'] as const)
      assert.match(
        trainingOverlap({ name: 'ens', info }, data, split, data.entries) ?? '',
        /may include the model's training records: model ens is an ensemble whose members were trained on different cinc2017 records, so every split of this folder may hold some/,
      );
    // A single model's count is its own.
    const single = trainingOverlap({ name: 'one', info: ensemble.info }, data, 'all', data.entries);
    assert.match(single ?? '', /model one was trained on 5457 cinc2017 records/);
    // Members of several datasets, this one among them: the same caution.
    const mixed = {
      ...info,
      dataset: { name: 'mitdb, cinc2017', names: ['mitdb', 'cinc2017'], split: ENSEMBLE_SPLIT },
    };
    assert.match(
      trainingOverlap({ name: 'ens', info: mixed }, data, 'all', data.entries) ?? '',
      /model ens is an ensemble whose members were trained on different cinc2017 records/,
    );
    // An ensemble whose metadata holds the union of its members' ids: the overlap itself, or nothing.
    for (const [train, expected] of [
      [
        ['A05493', 'A99999'],
        /these records include the model's training records: 1 of 3 are in model ens's training split \(A05493\)/,
      ],
      [['A99999'], null],
    ] as const) {
      const union = { ...info, dataset: { name: 'cinc2017', split: ENSEMBLE_SPLIT, records: { train } } };
      const note = trainingOverlap({ name: 'ens', info: union }, data, 'all', data.entries);
      if (expected === null) assert.equal(note, null);
      else assert.match(note ?? '', expected);
    }
  } finally {
    await ensemble.release();
  }
});

test('records that fail are named in the notes (not only in --json), with the first error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-failed-'));
  try {
    cpSync(fixture('datasets/cinc2017'), dir, { recursive: true });
    writeFileSync(join(dir, 'A07615.mat'), new Uint8Array(3)); // unreadable
    // A model that names its training records: the NOTE counts the records scored, not the failed one.
    const trained = {
      name: 'cinc2017',
      split: SEEDED,
      records: { train: ['A05493', 'A07615', 'A08050'], val: [] },
    };
    const predictor = await Predictor.load(cincModel(trained), { name: 'dev' });
    try {
      const evaluation = await evaluate(predictor, await openCinc2017(dir), { split: 'all', resamples: 0 });
      assert.deepEqual(
        evaluation.failed.map((f) => f.id),
        ['A07615'],
      );
      assert.match(
        evaluation.training_overlap ?? '',
        /: 2 of 2 are in model dev's training split \(A05493, A08050\)$/,
      );
      assert.ok(
        evaluation.report.notes.some((note) =>
          /^1 record\(s\) failed and were left out \(A07615; first: .*A07615\.mat.*; all in `failed` of --json\)$/.test(
            note,
          ),
        ),
        evaluation.report.notes.join('\n'),
      );
    } finally {
      await predictor.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--split all on a folder with no scorable record says why (it suggested the --split all already given)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-none-'));
  try {
    cpSync(fixture('datasets/cinc2017'), dir, { recursive: true });
    writeFileSync(join(dir, 'REFERENCE.csv'), 'A09999,A\n'); // its records unlabelled, its one label's files absent
    const predictor = await Predictor.load(cincModel({ name: 'elsewhere' }), { name: 'dev' });
    try {
      await assert.rejects(
        evaluate(predictor, await openCinc2017(dir), { split: 'all', resamples: 0 }),
        (e: unknown) =>
          e instanceof Error &&
          /has no record it can score \(4 left out; first: A05493: no label in REFERENCE\.csv\)/.test(
            e.message,
          ) &&
          !/--split all/.test(e.message),
      );
    } finally {
      await predictor.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
