import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { readConfigFile, resolveTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { changedRunSettings } from '../../src/train/loop.js';
import { tinyConfig } from './helpers.js';
import { classWeights } from '../../src/train/objective.js';
import type { DatasetEntry } from '../../src/datasets/types.js';

const required = { dataset: 'cinc2017', data: '/data', model: 'efficientecg-w0.25', out: '/out' };

test('defaults <- config file <- flags, nested objects merged', () => {
  const config = resolveTrainConfig(
    { ...required, epochs: 5, preprocess: { fs: 250 }, augment: { noise: { p: 0.9 } } },
    { epochs: 7, preprocess: { standardize: false }, lr: undefined },
  );
  assert.equal(config.epochs, 7);
  assert.deepEqual(config.preprocess, { fs: 250, bandpass: [0.5, 40], standardize: false });
  assert.deepEqual(config.augment.noise, { p: 0.9, std: 0.05 });
  assert.equal(config.lr, 3e-3);
});

test('every bad setting is named', () => {
  assert.throws(
    () =>
      resolveTrainConfig(required, {
        model: 'efficientnet-b9',
        dataset: 'nope',
        batchSize: 1,
        augment: { scale: { p: 2 } },
      }),
    (error: Error) =>
      error instanceof ConfigError &&
      /model: unknown model/.test(error.message) &&
      /dataset:/.test(error.message) &&
      /batchSize:/.test(error.message) &&
      /augment.scale.p:/.test(error.message),
  );
  // Cross-field checks run once every field is valid on its own.
  assert.throws(
    () => resolveTrainConfig(required, { preprocess: { fs: 100, bandpass: [1, 60] } }),
    /preprocess.bandpass: high must be below fs \/ 2/,
  );
  assert.throws(
    () => resolveTrainConfig(required, { preprocess: { bandpass: [5, 1] } }),
    /low must be below high/,
  );
  assert.throws(() => resolveTrainConfig({ ...required, unknownKey: 1 }, {}), /Unrecognized key/);
  assert.throws(() => resolveTrainConfig({}, {}), /out:.*|data:/);
});

test('config files: missing, not JSON, not an object', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-train-config-'));
  try {
    assert.throws(() => readConfigFile(join(dir, 'none.json')), MissingFileError);
    writeFileSync(join(dir, 'bad.json'), '{ epochs: 3');
    assert.throws(
      () => readConfigFile(join(dir, 'bad.json')),
      (e: Error) => e instanceof ConfigError && /bad.json: not valid JSON/.test(e.message),
    );
    writeFileSync(join(dir, 'list.json'), '[1]');
    assert.throws(() => readConfigFile(join(dir, 'list.json')), /must be a JSON object/);
    writeFileSync(join(dir, 'ok.json'), '{"epochs": 3}');
    assert.deepEqual(readConfigFile(join(dir, 'ok.json')), { epochs: 3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('class weights from the training split (hand-computed)', () => {
  const entry = (labels: number[]) => ({ labels }) as DatasetEntry;
  const single = [entry([0]), entry([0]), entry([0]), entry([1])];
  // balanced: n / (classes * count) = 4 / (3 * 3), 4 / (3 * 1); an absent class gets 1.
  assert.deepEqual(classWeights('single-label', 3, single, 'balanced').values, [4 / 9, 4 / 3, 1]);
  const multi = [entry([0, 1]), entry([0]), entry([]), entry([0])];
  // pos_weight = negatives / positives: class 0 1/3, class 1 3/1, class 2 absent -> 1.
  assert.deepEqual(classWeights('multi-label', 3, multi, 'balanced'), {
    kind: 'pos_weight',
    values: [1 / 3, 3, 1],
  });
  assert.deepEqual(classWeights('multi-label', 3, multi, 'none'), { kind: 'none', values: [] });
});

test('resume: a setting added after a run started reads as its default, a changed one is named', () => {
  const config = tinyConfig('/tmp/x', { dataset: 'mitdb', beats: { context: 'rhythm-morphology' } });
  // The run's config as an earlier version saved it: without the beats' leads settings and without `ema`.
  const { ema: _ema, ...older } = structuredClone(config) as TrainConfig & { ema?: unknown };
  const { leads: _leads, zeroExtraLeads: _zero, ...beats } = older.beats;
  const saved = { ...older, beats } as unknown as TrainConfig;
  assert.deepEqual(changedRunSettings(saved, config), []);
  const twoLeads = { ...config, beats: { ...config.beats, leads: ['MLII', 'V1|V2|V5|V4'] } };
  assert.deepEqual(changedRunSettings(saved, twoLeads), ['beats']);
  assert.deepEqual(changedRunSettings(saved, { ...config, lr: config.lr * 2 }), ['lr']);
});

test('resume: a distilled run saved before distill.targets existed was taught per record', () => {
  const config = tinyConfig('/tmp/x', { distill: { teachers: ['t'], alpha: 0.5, temperature: 2 } });
  assert.equal(config.distill!.targets, 'record');
  const { targets: _targets, ...older } = config.distill!;
  const saved = { ...config, distill: older } as unknown as TrainConfig;
  assert.deepEqual(changedRunSettings(saved, config), []);
  const perCrop = { ...config, distill: { ...config.distill!, targets: 'crop' as const } };
  assert.deepEqual(changedRunSettings(saved, perCrop), ['distill']);
});
