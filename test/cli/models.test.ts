/** The bundled-model catalogue: validation, name lookup (never a path join), file paths kept inside the folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { readOnnxSummary } from '../../src/export/onnx/read.js';
import { parseModelInfo } from '../../src/infer/metadata.js';
import { defaultModels, readCatalog, resolveModel } from '../../src/models/bundled.js';

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
