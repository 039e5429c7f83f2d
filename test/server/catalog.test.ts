/** Model and example catalogues: names checked once at start-up, examples grouped by stem per dataset folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { isPackaged, readCatalog } from '../../src/models/bundled.js';
import { bundledModels, isSafeName, loadExamples, loadModels } from '../../src/server/index.js';

const DEV = fileURLToPath(new URL('fixtures/dev-1lead-untrained.onnx', import.meta.url));

test('examples: top-level and dataset subfolders, record files only, lone .dat dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'efficientecg-examples-'));
  try {
    mkdirSync(join(dir, 'cinc2017'));
    mkdirSync(join(dir, '.hidden'));
    for (const file of [
      'cinc2017/A1.hea',
      'cinc2017/A1.mat',
      'top.csv',
      'README.md',
      'x.atr',
      'lone.dat',
      '.hidden/s.hea',
    ]) {
      writeFileSync(join(dir, file), 'x');
    }
    const examples = loadExamples(dir);
    assert.deepEqual(
      [...examples].map(([name, e]) => [name, [...e.files.keys()]]),
      [
        ['top', ['top.csv']],
        ['cinc2017-A1', ['A1.hea', 'A1.mat']],
      ],
    );
    assert.equal(examples.get('cinc2017-A1')!.files.get('A1.mat'), join(dir, 'cinc2017', 'A1.mat'));
    assert.equal(loadExamples(join(dir, 'missing')).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('models: names from files or name=path, checked and unique; non-models refused at start-up', () => {
  assert.deepEqual([...loadModels([DEV, `short=${DEV}`]).keys()], ['dev-1lead-untrained', 'short']);
  assert.throws(() => loadModels([`../x=${DEV}`]), ConfigError);
  assert.throws(() => loadModels([`a=${DEV}`, `a=${DEV}`]), /given twice/);
  assert.throws(() => loadModels(['/nonexistent/m.onnx']), /cannot read \/nonexistent\/m\.onnx/);
  const readme = fileURLToPath(new URL('app.test.ts', import.meta.url));
  assert.throws(() => loadModels([`t=${readme}`]), /is not an EfficientECG ONNX model/);
  for (const bad of ['..', '../a', 'a/b', '', '.hidden', 'a\\b', 'x'.repeat(101)])
    assert.equal(isSafeName(bad), false, bad);
  assert.equal(isSafeName('cinc2017-A00001.hea'), true);
});

test('models: routing candidates are the catalogue defaults, or every model given by path', () => {
  assert.equal(loadModels([DEV]).get('dev-1lead-untrained')!.default, true);
  assert.equal(loadModels([DEV], () => false).get('dev-1lead-untrained')!.default, false);
  const bundled = bundledModels();
  const catalog = readCatalog();
  assert.deepEqual(
    [...bundled.values()].map((m) => [m.name, m.default, m.info.task]),
    catalog.models.map((m) => [m.name, m.default, m.task]),
  );
  assert.ok([...bundled.values()].some((m) => m.default && m.info.task === 'beats'));
});

test('bundled models: an npm install skips the models the package leaves out; a missing packaged model still fails', () => {
  const models = fileURLToPath(new URL('../../models/', import.meta.url));
  const shipped = readCatalog(models);
  const dir = mkdtempSync(join(tmpdir(), 'efficientecg-npm-models-'));
  try {
    copyFileSync(join(models, 'catalog.json'), join(dir, 'catalog.json'));
    // The packaged models' files, linked (they are large); those of `"packaged": false` entries are absent.
    for (const model of shipped.models.filter(isPackaged)) {
      for (const file of Object.values(model.files)) symlinkSync(join(models, file), join(dir, file));
    }
    const served = bundledModels(dir);
    assert.deepEqual(
      [...served.keys()],
      shipped.models.filter(isPackaged).map((m) => m.name),
    );
    assert.ok(
      shipped.models.some((m) => !isPackaged(m)),
      'the catalogue leaves some models out',
    );
    assert.deepEqual(
      [...served.values()].filter((m) => m.default).map((m) => m.name),
      shipped.models.filter((m) => m.default).map((m) => m.name),
    );
    const packaged = shipped.models.find((m) => isPackaged(m) && !m.default)!;
    rmSync(join(dir, packaged.files.onnx));
    assert.throws(() => bundledModels(dir), new RegExp(`cannot read .*${packaged.files.onnx}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
