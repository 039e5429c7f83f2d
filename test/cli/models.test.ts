/** The bundled-model catalogue: validation, name lookup (never a path join), file paths kept inside the folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, MissingFileError, RepositoryOnlyModelError } from '../../src/errors.js';
import { readOnnxSummary } from '../../src/export/onnx/read.js';
import { parseModelInfo } from '../../src/infer/metadata.js';
import {
  availableModels,
  defaultModels,
  isPackaged,
  isRepositoryOnly,
  readCatalog,
  resolveModel,
} from '../../src/models/bundled.js';

const entry = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  dataset: 'cinc2017',
  task: 'records',
  default: false,
  architecture: 'efficientecg-w0.25',
  classes: ['N', 'A', 'O', '~'],
  leads: ['ECG'],
  fs: 100,
  windowSeconds: 10,
  parameters: 1,
  macs: null,
  validation: {},
  files: { onnx: `${name}.onnx`, card: `${name}.md` },
  ...extra,
});

function withCatalog(models: unknown[], fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-catalog-'));
  try {
    writeFileSync(
      join(dir, 'catalog.json'),
      JSON.stringify({ format: 'efficientecg-models', version: 1, models }),
    );
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the shipped catalogue parses; every model says whether and how it was cross-validated', () => {
  const catalog = readCatalog(new URL('../../models/', import.meta.url).pathname);
  assert.ok(Array.isArray(catalog.models));
  for (const model of catalog.models) {
    assert.ok(model.cv === null || (model.cv.folds >= 2 && model.cv.metric.length > 0), model.name);
  }
  // The beat default's pooled figures are the gross DS1 statistics (issue 13: S and V Se, +P, F1).
  const beats = catalog.models.find((model) => model.dataset === 'mitdb' && model.default);
  const figures = beats?.cv?.pooledFigures ?? {};
  for (const key of ['S_se', 'S_ppv', 'S_f1', 'V_se', 'V_ppv', 'V_f1', 'accuracy'])
    assert.ok(typeof figures[key] === 'number', `${beats?.name}: cv.pooledFigures.${key}`);
});

test('a cv figure is validated: folds, metric, mean, sd, pooled', () => {
  const cv = { folds: 9, metric: 'macro_auroc', mean: 0.9, sd: 0.02, pooled: 0.89 };
  withCatalog([entry('a', { cv })], (dir) => assert.deepEqual(readCatalog(dir).models[0]!.cv, cv));
  withCatalog([entry('a')], (dir) => assert.equal(readCatalog(dir).models[0]!.cv, null));
  withCatalog([entry('a', { cv: { ...cv, folds: 1 } })], (dir) =>
    assert.throws(() => readCatalog(dir), /cv\.folds/),
  );
  withCatalog([entry('a', { cv: { ...cv, pooledFigures: { S_f1: 'high' } } })], (dir) =>
    assert.throws(() => readCatalog(dir), /pooledFigures/),
  );
});

test('names are looked up in the catalogue; unknown names, traversal and missing files are typed errors', () => {
  withCatalog([entry('a', { default: true }), entry('b')], (dir) => {
    const catalog = readCatalog(dir);
    assert.deepEqual(
      defaultModels(catalog).map((m) => m.name),
      ['a'],
    );
    assert.throws(() => resolveModel('a', 'onnx', catalog), MissingFileError);
    writeFileSync(join(dir, 'a.onnx'), 'x');
    assert.equal(resolveModel('a', 'onnx', catalog).path, join(dir, 'a.onnx'));
    assert.throws(() => resolveModel('a', 'checkpoint', catalog), /ships no checkpoint/);
    assert.throws(
      () => resolveModel('../etc/passwd', 'onnx', catalog),
      (e: unknown) => e instanceof ConfigError && /not a bundled model \(bundled: a, b\)/.test(e.message),
    );
    assert.throws(() => resolveModel('missing.onnx', 'onnx', catalog), MissingFileError);
  });
  // An unknown name lists the models that load here: not a repository-only one absent from an npm install.
  withCatalog([entry('a'), entry('r', { packaged: false })], (dir) => {
    assert.throws(
      () => resolveModel('nope', 'onnx', readCatalog(dir)),
      (e: unknown) =>
        e instanceof ConfigError && /^model "nope": not a bundled model \(bundled: a\)/.test(e.message),
    );
  });
  withCatalog([entry('x', { files: { onnx: '../outside.onnx', card: 'x.md' } })], (dir) => {
    assert.throws(() => readCatalog(dir), /files\.onnx: must not contain \. or \.\./);
  });
  withCatalog([entry('x', { files: { onnx: '/etc/passwd', card: 'x.md' } })], (dir) => {
    assert.throws(() => readCatalog(dir), /files\.onnx: must be a relative path/);
  });
  withCatalog([entry('x', { default: true }), entry('y', { default: true })], (dir) => {
    assert.throws(() => readCatalog(dir), /two default models for dataset cinc2017/);
  });
  withCatalog([entry('x'), entry('x')], (dir) => assert.throws(() => readCatalog(dir), /listed twice/));
});

test('packaged: false marks a model the npm package leaves out; absent means packaged; a default must be packaged', () => {
  withCatalog([entry('a'), entry('b', { packaged: false }), entry('c', { packaged: true })], (dir) => {
    const [a, b, c] = readCatalog(dir).models;
    assert.equal(a!.packaged, undefined);
    assert.deepEqual(
      [a, b, c].map((m) => isPackaged(m!)),
      [true, false, true],
    );
  });
  withCatalog([entry('a', { packaged: 'no' })], (dir) => assert.throws(() => readCatalog(dir), /packaged/));
  withCatalog([entry('a', { default: true, packaged: false })], (dir) =>
    assert.throws(
      () => readCatalog(dir),
      (e: unknown) =>
        e instanceof ConfigError && /a is the default for cinc2017 but not packaged/.test(e.message),
    ),
  );
});

test('a repository-only model whose files are absent (an npm install) is a typed error naming the repository path; a packaged one stays a missing file', () => {
  const files = (name: string) => ({
    onnx: `${name}.onnx`,
    checkpoint: `${name}.safetensors`,
    card: `${name}.md`,
  });
  withCatalog(
    [
      entry('small', { files: files('small') }),
      entry('big-ens9', { packaged: false, files: files('big-ens9') }),
    ],
    (dir) => {
      const catalog = readCatalog(dir);
      for (const kind of ['onnx', 'checkpoint'] as const) {
        const file = kind === 'onnx' ? 'big-ens9.onnx' : 'big-ens9.safetensors';
        assert.throws(
          () => resolveModel('big-ens9', kind, catalog),
          (e: unknown) =>
            e instanceof RepositoryOnlyModelError &&
            e instanceof MissingFileError &&
            e.model === 'big-ens9' &&
            e.repositoryPath === `models/${file}` &&
            e.source === join(dir, file) &&
            /big-ens9 is not in the npm package/.test(e.message) &&
            /clone the repository/.test(e.message) &&
            e.message.includes(`models/${file}`),
          kind,
        );
      }
      // A packaged model that is missing is not excused: the old error.
      assert.throws(
        () => resolveModel('small', 'onnx', catalog),
        (e: unknown) =>
          e instanceof MissingFileError &&
          !(e instanceof RepositoryOnlyModelError) &&
          /file of bundled model small is missing/.test(e.message),
      );
      assert.deepEqual(
        catalog.models.map((m) => isRepositoryOnly(m)),
        [false, true],
      );
      assert.deepEqual(
        availableModels(catalog).map((m) => m.name),
        ['small'],
      );
      // In a clone of the repository its files are there: it resolves like any other.
      writeFileSync(join(dir, 'big-ens9.onnx'), 'x');
      assert.equal(resolveModel('big-ens9', 'onnx', catalog).path, join(dir, 'big-ens9.onnx'));
      assert.equal(isRepositoryOnly(catalog.models[1]!), false);
      assert.deepEqual(
        availableModels(catalog).map((m) => m.name),
        ['small', 'big-ens9'],
      );
    },
  );
});

test('the shipped catalogue leaves exactly the five superseded ensembles out of the npm package, none a default', () => {
  const catalog = readCatalog(new URL('../../models/', import.meta.url).pathname);
  assert.deepEqual(
    catalog.models
      .filter((m) => !isPackaged(m))
      .map((m) => m.name)
      .sort(),
    [
      'cinc2017-w0.25-30s-ens5',
      'ptbxl-fusion-w0.25-ens9',
      'ptbxl-w0.25-ens9',
      'ptbxl-w0.25-kd-e100-ens9',
      'ptbxl-w0.25-kd-ens9',
    ],
  );
  for (const model of defaultModels(catalog)) assert.ok(isPackaged(model), model.name);
});

test('every shipped model says what it reads of amplitudes, as its own ONNX metadata does (mV models need right units)', () => {
  const catalog = readCatalog(new URL('../../models/', import.meta.url).pathname);
  for (const model of catalog.models) {
    const { metadata } = readOnnxSummary(readFileSync(model.paths.onnx));
    const info = parseModelInfo(metadata, model.name);
    assert.equal(model.amplitudes, info.standardize ? 'z-score' : 'mV', model.name);
  }
  // The PTB-XL default reads millivolts (session 19); the other defaults are z-scored.
  const defaults = defaultModels(catalog);
  assert.equal(defaults.find((m) => m.dataset === 'ptbxl')?.amplitudes, 'mV');
  assert.equal(defaults.find((m) => m.dataset === 'cinc2017')?.amplitudes, 'z-score');
});

test('every shipped card says whether its model is the default as the catalogue does, and cards of models that were never cross-validated as a whole say so first', () => {
  const catalog = readCatalog(new URL('../../models/', import.meta.url).pathname);
  for (const model of catalog.models) {
    const card = readFileSync(model.paths.card, 'utf8');
    const row = /^\| default for (\S+) \| (.+) \|$/m.exec(card);
    assert.ok(row, `${model.name}: no "default for" row`);
    const [, dataset = '', status = ''] = row;
    assert.equal(dataset, model.dataset, model.name);
    assert.equal(status.startsWith('yes'), model.default, `${model.name}: card says ${status}`);
    // A selection-split model's card opens with its status before any figure (issue 12: CV first).
    if (!/-ens\d+$/.test(model.name)) {
      const firstSection = /^## (.+)$/m.exec(card)?.[1] ?? '';
      assert.match(firstSection, /^Status: selected on/, model.name);
    }
  }
});
