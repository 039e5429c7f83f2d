/**
 * `efficientecg evaluate` through the Predictor on small folders in the official layouts: CinC 2017 (the CLI, its
 * JSON and report; the confusion matrix recomputed from the Predictor's own outputs), PTB-XL held-out style with
 * --split all (multi-label AUROC and F1 at the saved thresholds), MIT-BIH beats on a 20 s excerpt of record 101
 * (test/fixtures/infer/make_mitdb_excerpt.py), and the errors for models that do not fit the dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE15_CLASSES } from '../../src/datasets/code15.js';
import { openCinc2017, openCode15, openCpsc2018, openMitdb, openPtbxl } from '../../src/datasets/index.js';
import { ConfigError } from '../../src/errors.js';
import { exportCheckpoint } from '../../src/infer/export-model.js';
import { evaluate } from '../../src/infer/evaluate.js';
import { Predictor } from '../../src/infer/predictor.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const CINC = ['N', 'A', 'O', '~'];

const cincOnnx = exportCheckpoint(
  devCheckpoint({ leads: ['ECG'], labels: CINC, fs: 100, windowSamples: 300 }),
  'dev',
);
const beatOnnx = exportCheckpoint(
  devCheckpoint({
    leads: ['MLII'],
    labels: ['N', 'S', 'V', 'F', 'Q'],
    fs: 360,
    windowSamples: 200,
    extra: { task: 'beats', beats: { before: 90, after: 110 } },
  }),
  'dev',
);

test('CLI: CinC 2017 --split all -> table, JSON (f1, f1_per_class, ci95) and HTML/Markdown report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-evaluate-'));
  try {
    const model = join(dir, 'dev.onnx');
    writeFileSync(model, cincOnnx);
    const json = join(dir, 'out', 'result.json');
    const result = await runCli([
      'evaluate',
      '--model',
      model,
      '--dataset',
      'cinc2017',
      '--data',
      fixture('datasets/cinc2017'),
      '--split',
      'all',
      '--json',
      json,
      '--report',
      join(dir, 'out', 'report.html'),
      '--resamples',
      '20',
    ]);
    assert.equal(result.error, null);
    assert.match(result.stdout, /CinC 2017 — 3 records/);
    assert.match(result.stdout, /UNTRAINED development model/);
    const saved = JSON.parse(readFileSync(json, 'utf8')) as {
      split: string;
      records: number;
      result: {
        f1: unknown;
        f1_per_class: Record<string, unknown>;
        ci95: unknown;
        confusion: { counts: number[][] };
      };
    };
    assert.equal(saved.split, 'all');
    assert.equal(saved.records, 3);
    assert.ok('f1' in saved.result);
    assert.deepEqual(Object.keys(saved.result.f1_per_class), CINC);
    assert.ok(saved.result.ci95 !== null);
    // The confusion matrix from the Predictor's own outputs and the reference labels.
    const dataset = await openCinc2017(fixture('datasets/cinc2017'));
    const predictor = await Predictor.load(cincOnnx);
    const counts = CINC.map(() => CINC.map(() => 0));
    for (const entry of dataset.entries) {
      const prediction = await predictor.predict((await dataset.load(entry.id)).record);
      counts[CINC.indexOf(dataset.classes[entry.labels[0]!]!)]![CINC.indexOf(prediction.labels[0]!)]! += 1;
    }
    await predictor.release();
    assert.deepEqual(saved.result.confusion.counts, counts);
    assert.ok(existsSync(join(dir, 'out', 'report.md')));
    assert.match(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /<svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PTB-XL --split all: macro and per-class AUROC, F1 at the validation thresholds', async () => {
  const twelve = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
  const labels = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
  const onnx = exportCheckpoint(
    devCheckpoint({
      leads: twelve,
      labels: [...labels].reverse(),
      fs: 100,
      windowSamples: 500,
      labelKind: 'multi-label',
      // Thresholds chosen for NORM and CD only (MI's null: none found on validation).
      extra: { thresholds: { NORM: 0.3, MI: null, CD: 0.6 } },
    }),
    'dev',
  );
  const predictor = await Predictor.load(onnx);
  const dataset = await openPtbxl(fixture('datasets/ptbxl'));
  const evaluation = await evaluate(predictor, dataset, { split: 'all', resamples: 10 });
  assert.equal(evaluation.records, dataset.entries.length);
  const result = evaluation.result as {
    macro_auroc: unknown;
    auroc: Record<string, unknown>;
    f1_at_thresholds: { thresholds: Record<string, number> };
  };
  assert.ok('macro_auroc' in result);
  // One patient of the fixture has 8 records: intervals resample patients, not records.
  const notes = (evaluation.result as { notes: string[] }).notes;
  assert.ok(
    notes.some((note) => /resamples of groups/.test(note)),
    notes.join('\n'),
  );
  assert.deepEqual(Object.keys(result.auroc), labels, 'dataset class order, whatever the model order');
  assert.deepEqual(Object.keys(result.f1_at_thresholds.thresholds).sort(), [...labels].sort());
  // The classes without a chosen threshold are decided at the 0.5 fallback, and the report says which.
  assert.ok(
    evaluation.report.notes.includes(
      'THRESHOLDS: no threshold was chosen on validation for MI, STTC, HYP: their F1 is at the 0.5 default',
    ),
    evaluation.report.notes.join('\n'),
  );
  assert.deepEqual((result.f1_at_thresholds as { unchosen?: string[] }).unchosen, ['MI', 'STTC', 'HYP']);
  assert.deepEqual(result.f1_at_thresholds.thresholds, { NORM: 0.3, MI: 0.5, STTC: 0.5, CD: 0.6, HYP: 0.5 });
  await assert.rejects(
    evaluate(predictor, dataset, { split: 'test', resamples: 0 }),
    /has no test records: use --split val/,
  );
  await predictor.release();
});

test('a model reading mV on records whose unit is wrong: evaluate says so first, naming them', async () => {
  // The PTB-XL fixture as it is, and copied with every gain divided by 1000 (values 1000x, still labelled mV).
  const twelve = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
  const labels = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
  const model = (standardize: boolean) =>
    exportCheckpoint(
      devCheckpoint({
        leads: twelve,
        labels,
        fs: 100,
        windowSamples: 500,
        labelKind: 'multi-label',
        standardize,
      }),
      'dev',
    );
  const dir = mkdtempSync(join(tmpdir(), 'ecg-units-'));
  try {
    cpSync(fixture('datasets/ptbxl'), dir, { recursive: true });
    for (const name of ['00001_lr.hea', '00002_lr.hea']) {
      const path = join(dir, 'records100', '00000', name);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/ 1000\.0\(0\)\/mV /g, ' 1.0(0)/mV '));
    }
    const unitNote = (notes: string[]) => notes.filter((note) => note.startsWith('UNITS:'));
    const mv = await Predictor.load(model(false));
    const right = await evaluate(mv, await openPtbxl(fixture('datasets/ptbxl')), {
      split: 'all',
      resamples: 0,
    });
    assert.deepEqual(unitNote(right.report.notes), []);
    const wrong = await evaluate(mv, await openPtbxl(dir), { split: 'all', resamples: 0 });
    // Named by PTB-XL ecg_id.
    assert.match(unitNote(wrong.report.notes)[0] ?? '', /^UNITS: 2 of 2 record\(s\) .* \(1, 2;/);
    await mv.release();
    // A z-scored model does not depend on the unit: no note.
    const z = await Predictor.load(model(true));
    assert.deepEqual(
      unitNote((await evaluate(z, await openPtbxl(dir), { split: 'all', resamples: 0 })).report.notes),
      [],
    );
    await z.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CODE-15 (HDF5 exams): AUROC of the scores the Predictor gives each exam, in the dataset's class order", async () => {
  const twelve = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
  const onnx = exportCheckpoint(
    devCheckpoint({
      leads: twelve,
      labels: [...CODE15_CLASSES].reverse(),
      fs: 100,
      windowSamples: 250,
      labelKind: 'multi-label',
    }),
    'dev',
  );
  const predictor = await Predictor.load(onnx);
  const dataset = await openCode15(fixture('datasets/code15'));
  const evaluation = await evaluate(predictor, dataset, { split: 'all', resamples: 0 });
  assert.equal(evaluation.dataset, 'code15');
  assert.equal(evaluation.records, 2);
  const result = evaluation.result as { dataset: string; auroc: Record<string, number | null> };
  assert.equal(result.dataset, 'code15');
  assert.deepEqual(Object.keys(result.auroc), [...CODE15_CLASSES]);
  // RBBB: exam 1000002 positive, 1000001 negative: AUROC 1 or 0 from the two exams' own RBBB probabilities.
  const rbbb = [];
  for (const id of ['1000001', '1000002'])
    rbbb.push((await predictor.predict((await dataset.load(id)).record)).probabilities['RBBB']!);
  assert.equal(result.auroc['RBBB'], rbbb[1]! > rbbb[0]! ? 1 : 0);
  await predictor.release();
});

test('a PTB-XL model on CPSC 2018 and CODE-15: scored on the superclasses their classes map to, the map in the result', async () => {
  const twelve = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
  const onnx = exportCheckpoint(
    devCheckpoint({
      leads: twelve,
      labels: ['NORM', 'MI', 'STTC', 'CD', 'HYP'],
      fs: 100,
      windowSamples: 50,
      labelKind: 'multi-label',
    }),
    'dev',
  );
  const predictor = await Predictor.load(onnx);
  const cpsc = await openCpsc2018(fixture('datasets/cpsc2018/original'));
  const evaluation = await evaluate(predictor, cpsc, { split: 'all', resamples: 0 });
  const result = evaluation.result as { dataset: string; auroc: Record<string, number>; class_map: object };
  assert.equal(result.dataset, 'cpsc2018');
  assert.deepEqual(Object.keys(result.auroc), ['NORM', 'CD']);
  assert.deepEqual(result.class_map, { Normal: 'NORM', 'I-AVB': 'CD', LBBB: 'CD', RBBB: 'CD' });
  // A0002 is the Normal record, A0001 the RBBB one: each AUROC from the two records' own probabilities.
  const probability = async (id: string, label: string) =>
    (await predictor.predict((await cpsc.load(id)).record)).probabilities[label]!;
  const norm = (await probability('A0002', 'NORM')) > (await probability('A0001', 'NORM')) ? 1 : 0;
  const cd = (await probability('A0001', 'CD')) > (await probability('A0002', 'CD')) ? 1 : 0;
  assert.deepEqual([result.auroc['NORM'], result.auroc['CD']], [norm, cd]);
  assert.match(evaluation.report.notes[0]!, /Normal -> NORM, I-AVB -> CD/);
  const code15 = await evaluate(predictor, await openCode15(fixture('datasets/code15')), {
    split: 'all',
    resamples: 0,
  });
  assert.deepEqual(Object.keys((code15.result as { auroc: object }).auroc), ['CD']);
  await predictor.release();
});

test('MIT-BIH beats: annotated R peaks, AAMI accuracy and Se/+P/F1 per class, intervals over patients', async () => {
  const predictor = await Predictor.load(beatOnnx);
  const dataset = await openMitdb(fixture('infer/mitdb'));
  const evaluation = await evaluate(predictor, dataset, { split: 'all', resamples: 10 });
  const result = evaluation.result as { beats: number; excluded_q: number; accuracy: unknown } & Record<
    'N' | 'S' | 'V' | 'F',
    { se: unknown; ppv: unknown; f1: unknown }
  >;
  const beats = dataset.beats.get('101')!;
  assert.equal(result.beats + result.excluded_q, beats.length);
  assert.ok('accuracy' in result);
  for (const name of ['N', 'S', 'V', 'F'] as const)
    assert.deepEqual(Object.keys(result[name]).slice(0, 3), ['se', 'ppv', 'f1']);
  await predictor.release();
});

test('models that do not fit the dataset are ConfigErrors naming both sides', async () => {
  const beats = await Predictor.load(beatOnnx);
  const records = await Predictor.load(cincOnnx);
  const cinc = await openCinc2017(fixture('datasets/cinc2017'));
  const mitdb = await openMitdb(fixture('infer/mitdb'));
  await assert.rejects(
    evaluate(beats, cinc, { split: 'all', resamples: 0 }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /cinc2017 is scored on records but model .* classifies beats/.test(e.message),
  );
  await assert.rejects(evaluate(records, mitdb, { split: 'all', resamples: 0 }), /mitdb is scored on beats/);
  const ptbxl = await openPtbxl(fixture('datasets/ptbxl'));
  await assert.rejects(
    evaluate(records, ptbxl, { split: 'all', resamples: 0 }),
    /the model's classes \[N, A, O, ~\] are not the dataset's \[NORM, MI, STTC, CD, HYP\]/,
  );
  await beats.release();
  await records.release();
});

test('a model that scores NaN fails those records instead of having argmax call them the first class', async () => {
  const predictor = await Predictor.load(cincOnnx);
  const nan = Object.create(predictor) as Predictor;
  nan.predict = async (record) => {
    const prediction = await predictor.predict(record);
    return { ...prediction, probabilities: Object.fromEntries(CINC.map((label) => [label, Number.NaN])) };
  };
  const dataset = await openCinc2017(fixture('datasets/cinc2017'));
  await assert.rejects(evaluate(nan, dataset, { split: 'all', resamples: 0 }), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /non-finite probabilities/);
    return true;
  });
  await predictor.release();
});
