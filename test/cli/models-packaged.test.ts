/**
 * Models the npm package leaves out (`"packaged": false` in models/catalog.json) as an npm install sees them: the
 * catalogue lists them but their files are absent. Simulated by a models folder with the shipped catalogue and the
 * files of the packaged models only (linked, not copied: they are large).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MissingFileError, RepositoryOnlyModelError } from '../../src/errors.js';
import { listModels, loadModel } from '../../src/infer/index.js';
import { isPackaged, readCatalog } from '../../src/models/bundled.js';
import { runCli } from '../infer/cli-harness.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const RECORD = fileURLToPath(new URL('../fixtures/wfdb/00001_lr.hea', import.meta.url));
const shipped = readCatalog(MODELS);
const left = shipped.models.filter((m) => !isPackaged(m)).map((m) => m.name);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecg-npm-models-'));
  copyFileSync(join(MODELS, 'catalog.json'), join(dir, 'catalog.json'));
  for (const model of shipped.models.filter(isPackaged)) {
    for (const file of Object.values(model.files)) symlinkSync(join(MODELS, file), join(dir, file));
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the shipped catalogue leaves some models out of the package (else this file tests nothing)', () => {
  assert.ok(left.length > 0);
});

test('models: a model left out of the npm package is "repository only", not MISSING (text and --json)', async () => {
  const text = await runCli(['--models-dir', dir, 'models']);
  assert.equal(text.error, null);
  assert.doesNotMatch(text.stdout, /MISSING/);
  for (const name of left)
    assert.match(text.stdout, new RegExp(`${name}\\.onnx \\(repository only\\)`), name);
  assert.equal(text.stdout.match(/\(repository only\)/g)?.length, left.length);
  assert.match(text.stdout, /repository only: not in the npm package \(size\); clone the repository for/);

  const json = await runCli(['--models-dir', dir, 'models', '--json']);
  assert.equal(json.error, null);
  const listed = JSON.parse(json.stdout) as {
    models: Array<{ name: string; packaged: boolean; repositoryOnly: boolean; present: { onnx: boolean } }>;
  };
  for (const model of listed.models) {
    const out = left.includes(model.name);
    assert.equal(model.packaged, !out, model.name);
    assert.equal(model.repositoryOnly, out, model.name);
    assert.equal(model.present.onnx, !out, model.name);
  }
});

test('models: in the repository (files present) nothing is repository only', async () => {
  const json = await runCli(['--models-dir', MODELS, 'models', '--json']);
  assert.equal(json.error, null);
  const listed = JSON.parse(json.stdout) as { models: Array<{ name: string; repositoryOnly: boolean }> };
  assert.deepEqual(
    listed.models.filter((m) => m.repositoryOnly),
    [],
  );
  const text = await runCli(['--models-dir', MODELS, 'models']);
  assert.doesNotMatch(text.stdout, /repository only/);
});

test('predict --model NAME of a model left out: the typed error says it is not in the npm package and where it is', async () => {
  const name = left[0]!;
  const run = await runCli(['--models-dir', dir, 'predict', RECORD, '--model', name, '--jobs', '0']);
  assert.ok(run.error instanceof RepositoryOnlyModelError, String(run.error));
  assert.ok(run.error instanceof MissingFileError);
  assert.match(run.error.message, new RegExp(`${name} is not in the npm package`));
  assert.ok(run.error.message.includes(`clone the repository for models/${name}.onnx`), run.error.message);
});

test('library: listModels lists what loads here; loadModel of a model left out rejects with the typed error', async () => {
  assert.deepEqual(
    listModels(dir).map((m) => m.name),
    shipped.models.filter(isPackaged).map((m) => m.name),
  );
  assert.deepEqual(
    listModels(MODELS).map((m) => m.name),
    shipped.models.map((m) => m.name),
  );
  await assert.rejects(loadModel(left[0]!, { modelsDir: dir }), RepositoryOnlyModelError);
});
