/**
 * scripts/bundle-model.ts --cv --class-offsets on a tiny finished CV: the shipped ensemble carries the offsets fitted
 * on all out-of-fold logits, and the catalogue's `cv` figure is the nested CV of that decision rule (offsets of fold
 * k fitted without fold k), not plain argmax and not a figure chosen on the records it reports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeStoredCheckpoint, readCheckpoint } from '../../src/export/checkpoint.js';
import { withOnnxMetadata } from '../../src/export/onnx/edit.js';
import { readOnnxSummary } from '../../src/export/onnx/read.js';
import { CLASS_OFFSETS_KEY } from '../../src/models/ensemble.js';
import { crossValidate, foldDir, readHeldout, rescoredHeldoutName, summarise } from '../../src/train/cv.js';
import { offsetsCv } from '../../src/train/cv-offsets.js';
import { tempDir, tinyConfig } from '../train/helpers.js';
import { syntheticDataset } from '../train/synthetic.js';

const script = new URL('../../scripts/bundle-model.ts', import.meta.url).pathname;
const addRecords = new URL('../../scripts/add-training-records.ts', import.meta.url).pathname;

test('bundle-model --cv --class-offsets ships the offsets and reports their nested CV', async () => {
  const { dir, dispose } = tempDir();
  try {
    const cv = join(dir, 'cv');
    const config = tinyConfig(cv, { epochs: 2 });
    await crossValidate(config, async () => syntheticDataset({ records: 30 }), { folds: 3 });
    const models = join(dir, 'models');
    spawnSync('mkdir', [models]);
    writeFileSync(join(models, 'catalog.json'), '{"models": []}\n');
    const args = [
      '--import',
      'tsx',
      script,
      '--cv',
      cv,
      '--name',
      'tiny-ens3',
      '--class-offsets',
      '--default',
    ];
    const run = spawnSync(process.execPath, [...args, '--models-dir', models], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);

    const expected = offsetsCv(readHeldout(cv, 3)!, config);
    const entry = (
      JSON.parse(readFileSync(join(models, 'catalog.json'), 'utf8')) as {
        models: Array<{
          name: string;
          architecture: string;
          cv: { mean: number; pooled: number; folds: number };
        }>;
      }
    ).models[0]!;
    assert.equal(entry.name, 'tiny-ens3');
    assert.match(entry.architecture, /^ensemble of 3 /);
    assert.equal(entry.cv.folds, 3);
    assert.equal(entry.cv.mean, expected.nested.mean);
    assert.equal(entry.cv.pooled, expected.nested.pooled.value);
    const shipped = readCheckpoint(join(models, 'tiny-ens3.safetensors'));
    const offsets = Array.from(shipped.state.get(CLASS_OFFSETS_KEY)!.data as Float32Array);
    expected.offsets.forEach((value, c) => assert.ok(Math.abs(offsets[c]! - value) < 1e-6));
    assert.ok(existsSync(join(models, 'tiny-ens3.onnx')));
    // Its training records: every record the CV covers (each fold model trained on the other folds), in the
    // checkpoint and in the ONNX file that evaluate reads.
    const covered = readHeldout(cv, 3)!
      .flatMap((file) => file.outputs.ids)
      .sort();
    const trainedOn = (dataset: unknown) => (dataset as { records: { train: string[] } }).records.train;
    const onnxDataset = () => readOnnxSummary(readFileSync(join(models, 'tiny-ens3.onnx'))).metadata.dataset;
    assert.deepEqual(trainedOn(shipped.metadata.extra!.dataset), covered);
    assert.deepEqual(trainedOn(onnxDataset()), covered);
    // A bundle made before that named its first fold model's split only: add-training-records names the union,
    // the weights and the graph untouched.
    const firstFold = readCheckpoint(join(foldDir(cv, 1), 'last.safetensors')).metadata.extra!.dataset;
    const old = { ...(firstFold as Record<string, unknown>) };
    delete old.records;
    writeFileSync(
      join(models, 'tiny-ens3.safetensors'),
      encodeStoredCheckpoint({
        ...shipped,
        metadata: { ...shipped.metadata, extra: { ...shipped.metadata.extra, dataset: old } },
      }),
    );
    const onnxPath = join(models, 'tiny-ens3.onnx');
    const graph = readFileSync(onnxPath);
    writeFileSync(onnxPath, withOnnxMetadata(graph, { dataset: old }, onnxPath));
    assert.equal((onnxDataset() as { records?: unknown }).records, undefined);
    const named = spawnSync(
      process.execPath,
      ['--import', 'tsx', addRecords, '--name', 'tiny-ens3', '--cv', cv, '--models-dir', models],
      { encoding: 'utf8' },
    );
    assert.equal(named.status, 0, named.stderr);
    assert.match(named.stdout, /tiny-ens3: trained on \d+ synthetic records/);
    assert.deepEqual(trainedOn(onnxDataset()), covered);
    const patched = readCheckpoint(join(models, 'tiny-ens3.safetensors'));
    assert.deepEqual(trainedOn(patched.metadata.extra!.dataset), covered);
    assert.deepEqual(Array.from(patched.state.get(CLASS_OFFSETS_KEY)!.data as Float32Array), offsets);
    // Another folder's models are refused: the members must be the folder's folds.
    const wrong = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        addRecords,
        '--name',
        'tiny-ens3',
        '--cv',
        join(dir, 'elsewhere'),
        '--models-dir',
        models,
      ],
      { encoding: 'utf8' },
    );
    assert.notEqual(wrong.status, 0);
    assert.match(
      wrong.stderr,
      /member 1 is .*fold-1\/last\.safetensors", not .*elsewhere\/fold-1\/last\.safetensors/,
    );
    const card = readFileSync(join(models, 'tiny-ens3.md'), 'utf8');
    assert.match(card, /per-class offsets/);
    assert.match(card, /nested CV/);
    // The synthetic records have no patient ids: folds and intervals are by record, and the card says so.
    assert.match(card, /Cross-validated accuracy \(3-fold, record-grouped\)/);
    assert.match(card, /95 % record-bootstrap intervals/);
    assert.match(card, /Input: each lead in \*\*millivolts\*\* \(no z-score/); // tinyConfig keeps amplitudes
    assert.match(card, /^\| default for \S+ \| yes \|$/m);
    // A new default for the same dataset: the catalogue and the replaced model's card both say so.
    const again = [...args.slice(0, 6), 'tiny-ens3-again', '--default', '--models-dir', models];
    const second = spawnSync(process.execPath, again, { encoding: 'utf8' });
    assert.equal(second.status, 0, second.stderr);
    assert.match(
      readFileSync(join(models, 'tiny-ens3.md'), 'utf8'),
      /^\| default for \S+ \| no \(now `tiny-ens3-again`\) \|$/m,
    );
    // A model left out of the npm package stays out when bundled again (package.json `files` names it).
    const catalogPath = join(models, 'catalog.json');
    const listed = () =>
      (
        JSON.parse(readFileSync(catalogPath, 'utf8')) as {
          models: Array<{ name: string; default: boolean; packaged?: boolean }>;
        }
      ).models;
    writeFileSync(
      catalogPath,
      JSON.stringify({
        models: listed().map((m) => (m.name === 'tiny-ens3' ? { ...m, packaged: false } : m)),
      }),
    );
    const third = spawnSync(process.execPath, [...args.slice(0, 7), '--models-dir', models], {
      encoding: 'utf8',
    });
    assert.equal(third.status, 0, third.stderr);
    assert.equal(listed().find((m) => m.name === 'tiny-ens3')!.packaged, false);
    // Made a default, it would be missing from the package: refused, saying what to change.
    const fourth = spawnSync(process.execPath, [...args.slice(0, 7), '--default', '--models-dir', models], {
      encoding: 'utf8',
    });
    assert.notEqual(fourth.status, 0);
    assert.match(fourth.stderr, /tiny-ens3 is left out of the npm package .*a default must ship in it/);
    assert.equal(listed().find((m) => m.name === 'tiny-ens3')!.default, false);
  } finally {
    dispose();
  }
});

test('bundle-model --cv --aggregate mean-logits ships that aggregation with the re-scored folds’ figures', async () => {
  const { dir, dispose } = tempDir();
  try {
    const cv = join(dir, 'cv');
    const config = tinyConfig(cv, { epochs: 1, windowAggregate: 'max' });
    const data = async () => syntheticDataset({ records: 30, labelKind: 'multi-label' });
    await crossValidate(config, data, { folds: 3 });
    // Stand-ins for cv-rescore --write: the same folds with other logits.
    const rescored = readHeldout(cv, 3)!.map((file) => ({
      ...file,
      outputs: { ...file.outputs, logits: file.outputs.logits.map((row) => row.map((v, c) => v + c)) },
    }));
    rescored.forEach((file) =>
      writeFileSync(join(foldDir(cv, file.fold), rescoredHeldoutName('mean-logits')), JSON.stringify(file)),
    );
    const models = join(dir, 'models');
    spawnSync('mkdir', [models]);
    writeFileSync(join(models, 'catalog.json'), '{"models": []}\n');
    const args = ['--import', 'tsx', script, '--cv', cv, '--name', 'tiny-mean', '--aggregate', 'mean-logits'];
    const run = spawnSync(process.execPath, [...args, '--models-dir', models], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);

    const expected = summarise(rescored, config);
    const entry = (
      JSON.parse(readFileSync(join(models, 'catalog.json'), 'utf8')) as {
        models: Array<{ cv: { mean: number; pooled: number } }>;
      }
    ).models[0]!;
    assert.equal(entry.cv.mean, expected.mean);
    assert.equal(entry.cv.pooled, expected.pooled.value);
    const shipped = readCheckpoint(join(models, 'tiny-mean.safetensors'));
    const windows = (shipped.metadata.preprocessing as { windows: { aggregate: string } }).windows;
    assert.equal(windows.aggregate, 'mean-logits');
    assert.match(readFileSync(join(models, 'tiny-mean.md'), 'utf8'), /their logits are averaged/);
  } finally {
    dispose();
  }
});
