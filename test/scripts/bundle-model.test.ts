/**
 * scripts/bundle-model.ts --run: the shipped files change only when every step worked (a bad --data or a failing
 * evaluate leaves the models folder byte for byte as it was), and the card says what its intervals resampled in the
 * evaluation's own words, as every shipped card must.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveCheckpoint } from '../../src/export/checkpoint.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import { devCheckpoint } from '../infer/dev-models.js';
import { withTempDir } from '../helpers/temp-dir.js';

const script = new URL('../../scripts/bundle-model.ts', import.meta.url).pathname;
const shippedModels = new URL('../../models/', import.meta.url).pathname;
const cinc = new URL('../fixtures/datasets/cinc2017', import.meta.url).pathname;

/** A run folder (best.safetensors, config.json) of a tiny CinC 2017 model, and a models folder shipping `old`. */
function setUp(dir: string): { run: string; models: string } {
  const run = join(dir, 'run');
  const models = join(dir, 'models');
  mkdirSync(run);
  mkdirSync(models);
  const checkpoint = devCheckpoint({
    leads: ['ECG'],
    labels: ['N', 'A', 'O', '~'],
    fs: 100,
    windowSamples: 300,
    extra: { dataset: { name: 'cinc2017' }, task: 'records' },
  });
  const module = modelFromCheckpoint(checkpoint, 'dev');
  saveCheckpoint(join(run, 'best.safetensors'), module, checkpoint.metadata);
  module.dispose();
  const config = { preprocess: { bandpass: [0.5, 40], standardize: true }, windowAggregate: 'mean-logits' };
  writeFileSync(join(run, 'config.json'), JSON.stringify(config));
  const files = { onnx: 'old.onnx', checkpoint: 'old.safetensors', card: 'old.md' };
  writeFileSync(join(models, 'catalog.json'), JSON.stringify({ models: [{ name: 'old', files }] }));
  for (const name of Object.values(files)) writeFileSync(join(models, name), `the shipped ${name}\n`);
  return { run, models };
}

/** Every entry of the folder (hidden ones too) with its bytes. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name)).toString('base64')]),
  );
}

const bundle = (run: string, models: string, data: string) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', script, '--run', run, '--name', 'old', '--data', data, '--models-dir', models],
    { encoding: 'utf8' },
  );

const withDir = (fn: (dir: string) => void) => withTempDir('ecg-bundle-', fn);

test('bundle-model --run with a missing --data fails before touching the models folder', () => {
  withDir((dir) => {
    const { run, models } = setUp(dir);
    const before = snapshot(models);
    const result = bundle(run, models, join(dir, 'nonexistent'));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /dataset folder not found \(--data\)/);
    assert.deepEqual(snapshot(models), before);
  });
});

test('bundle-model --run whose evaluate fails leaves the models folder byte-identical', () => {
  withDir((dir) => {
    const { run, models } = setUp(dir);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const before = snapshot(models);
    const result = bundle(run, models, empty);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /efficientecg evaluate .* failed/);
    assert.deepEqual(snapshot(models), before); // no new weights, and no staging folder left behind
  });
});

test('bundle-model --run: the card names the intervals’ resampling unit as the evaluation does', () => {
  withDir((dir) => {
    const { run, models } = setUp(dir);
    const result = bundle(run, models, cinc);
    assert.equal(result.status, 0, result.stderr);
    const card = readFileSync(join(models, 'old.md'), 'utf8');
    // evaluate resamples CinC 2017 records grouped by patient: its JSON says "resamples of groups".
    assert.match(card, /"95 % intervals: percentile bootstrap, 200 resamples of groups, seed 0"/);
    assert.match(
      card,
      /bootstrap 95 % intervals over groups \(a patient's records together\), 200 resamples\)/,
    );
    assert.doesNotMatch(card, /intervals over records/);
    assert.notEqual(readFileSync(join(models, 'old.safetensors'), 'utf8'), 'the shipped old.safetensors\n');
    assert.deepEqual(readdirSync(models).sort(), ['catalog.json', 'old.md', 'old.onnx', 'old.safetensors']);
  });
});

test('every shipped card says what its evaluation resampled', () => {
  const cards = readdirSync(shippedModels).filter((name) => name.endsWith('.md'));
  let checked = 0;
  for (const name of cards) {
    const card = readFileSync(join(shippedModels, name), 'utf8');
    const header = /^## Selection-split figures .* intervals over (\w+)/m.exec(card);
    if (header === null) continue;
    const note = /"\d+ % intervals: percentile bootstrap, \d+ resamples of (\w+)/.exec(card);
    assert.ok(note, `${name}: no bootstrap note in its evaluation JSON`);
    assert.equal(header[1], note[1], `${name}: the header says over ${header[1]}, its JSON ${note[1]}`);
    checked++;
  }
  assert.ok(checked > 0, 'no card with selection-split figures');
});
