import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { noGrad } from '../../src/engine/autograd.js';
import { scope } from '../../src/engine/scope.js';
import { CheckpointError, ConfigError, MissingFileError } from '../../src/errors.js';
import { encodeStoredCheckpoint, readCheckpoint, type Checkpoint } from '../../src/export/checkpoint.js';
import type { EfficientECG } from '../../src/models/efficientecg.js';
import type { StoredTensor } from '../../src/nn/module.js';
import { train, type TrainConfig } from '../../src/train/index.js';
import {
  adaptStemWeight,
  describeSummary,
  preprocessingNotices,
  resolveInitCheckpoint,
  transferWeights,
} from '../../src/train/init.js';
import { newTrainableModel, type TrainableModel } from '../../src/train/model.js';
import { toNumbers } from '../helpers/tensors.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig, TINY_MODEL } from './helpers.js';

const LABELS = ['N', 'A', 'O', '~'];
const ROWS = [
  { age: 40, sex: 'female' as const },
  { age: 70, sex: 'male' as const },
];

function tiny(leads: number, classes: number, seed: number, overrides = {}, fusion = false): TrainableModel {
  manualSeed(seed);
  return newTrainableModel('efficientecg-w0.25', fusion, { leads, classes }, ROWS, {
    ...TINY_MODEL,
    ...overrides,
  });
}

/** A trained-looking checkpoint: a few train-mode passes move the BatchNorm running statistics off 0 / 1. */
function sourceCheckpoint(model: TrainableModel, labels: string[], leads: number): Checkpoint {
  model.module.train();
  noGrad(() => {
    for (let i = 0; i < 3; i++) scope(() => model.logits(F.randn([4, leads, 200]), ROWS));
  });
  return {
    metadata: {
      model: model.spec,
      labels,
      preprocessing: { fs: 100, windowSeconds: 10, bandpass: [0.5, 40], standardize: true },
    },
    formatVersion: 1,
    state: model.module.exportState(),
    optimizerState: new Map(),
  };
}

const stateOf = (model: TrainableModel) => model.module.exportState();

function assertSame(actual: StoredTensor, expected: StoredTensor, name: string): void {
  assert.deepEqual(actual.shape, expected.shape, name);
  assert.deepEqual(actual.data, expected.data, name);
}

test('same architecture and labels: every tensor copied exactly, running statistics included', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const target = tiny(1, 4, 2);
  const summary = transferWeights(target, checkpoint, LABELS);
  const after = stateOf(target);
  assert.equal(summary.copied.length, after.size);
  assert.deepEqual([summary.adapted, summary.reinitialised, summary.dropped], [[], [], []]);
  for (const [name, stored] of checkpoint.state) assertSame(after.get(name)!, stored, name);
  const mean = after.get('stem.1.running_mean')!.data as Float32Array;
  assert.ok(
    mean.some((v) => v !== 0),
    'running statistics are the trained ones',
  );
  source.module.dispose();
  target.module.dispose();
});

test('labels the checkpoint does not know: the output layer keeps its fresh initialisation', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const labels = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
  const target = tiny(1, labels.length, 2);
  const fresh = stateOf(target);
  const summary = transferWeights(target, checkpoint, labels);
  assert.deepEqual(summary.reinitialised, ['classifier.weight', 'classifier.bias']);
  const after = stateOf(target);
  for (const name of summary.reinitialised) assertSame(after.get(name)!, fresh.get(name)!, name);
  for (const name of summary.copied) assertSame(after.get(name)!, checkpoint.state.get(name)!, name);
  assert.equal(summary.copied.length, after.size - 2);
  target.module.dispose();
  source.module.dispose();
});

test('reordered or extended labels: each known label keeps its output row, a new label starts fresh', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const rowOf = (tensor: StoredTensor, row: number) => {
    const size = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    return Array.from(tensor.data.slice(row * size, (row + 1) * size) as ArrayLike<number>);
  };
  for (const labels of [
    ['~', 'O', 'N', 'A'],
    ['A', 'N', 'X', 'O', '~'],
  ]) {
    const target = tiny(1, labels.length, 2);
    const fresh = stateOf(target);
    const summary = transferWeights(target, checkpoint, labels);
    assert.deepEqual(summary.reinitialised, []);
    assert.equal(summary.adapted.length, 2, summary.adapted.join('; '));
    const after = stateOf(target);
    for (const name of ['classifier.weight', 'classifier.bias']) {
      labels.forEach((label, row) => {
        const from = LABELS.indexOf(label);
        const expected = from < 0 ? rowOf(fresh.get(name)!, row) : rowOf(checkpoint.state.get(name)!, from);
        assert.deepEqual(rowOf(after.get(name)!, row), expected, `${name} row ${label}`);
      });
    }
    target.module.dispose();
  }
  source.module.dispose();
});

test('1 lead -> 12 leads: on 12 copies of one lead the features equal the source model on that lead', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const target = tiny(12, 5, 2);
  const summary = transferWeights(target, checkpoint, ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  assert.deepEqual(summary.adapted, ['stem.0.weight (1 -> 12 leads)']);
  source.module.eval();
  target.module.eval();
  noGrad(() =>
    scope(() => {
      manualSeed(3);
      const lead = F.randn([2, 1, 300]);
      const leads = F.cat(
        Array.from({ length: 12 }, () => lead),
        1,
      );
      const expected = (source.module as EfficientECG).features(lead);
      const actual = (target.module as EfficientECG).features(leads);
      assert.deepEqual(actual.shape, expected.shape);
      const worst = F.max(F.abs(F.sub(actual, expected))).item();
      assert.ok(worst < 1e-5, `max |difference| ${worst}`);
    }),
  );
  source.module.dispose();
  target.module.dispose();
});

test('stem adaptation is mean-preserving for any lead counts (sum of source kernels / destination leads)', () => {
  const source = { shape: [2, 3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
  const adapted = adaptStemWeight(source, 2);
  assert.deepEqual(adapted.shape, [2, 2, 2]);
  // Output channel 0: kernel taps sum to (1+3+5, 2+4+6) = (9, 12), halved for each of the 2 leads.
  assert.deepEqual([...adapted.data], [4.5, 6, 4.5, 6, 13.5, 15, 13.5, 15]);
});

test('architecture mismatch: a CheckpointError naming every tensor that does not fit', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const wider = tiny(1, 4, 2, { stemChannels: 64 }); // x width 0.25: 16 stem channels instead of 8
  const before = stateOf(wider);
  assert.throws(
    () => transferWeights(wider, checkpoint, LABELS, 'small.safetensors'),
    (error: Error) =>
      error instanceof CheckpointError &&
      /small\.safetensors/.test(error.message) &&
      /stem\.0\.weight: run \[16, 1, 7\], checkpoint \[8, 1, 7\]/.test(error.message) &&
      /stem\.1\.weight: run \[16\], checkpoint \[8\]/.test(error.message),
  );
  const deeper = tiny(1, 4, 2, {
    stages: [...TINY_MODEL.stages, { expand: 2, channels: 16, repeats: 1, stride: 1, kernel: 3 }],
  });
  assert.throws(
    () => transferWeights(deeper, checkpoint, LABELS),
    (error: Error) =>
      error instanceof CheckpointError &&
      /22 tensors differ \(blocks\.3\.[a-z0-9_.]+: missing/.test(error.message),
  );
  // Nothing was changed by the failed transfer.
  for (const [name, stored] of stateOf(wider)) assertSame(stored, before.get(name)!, name);
  for (const model of [source, wider, deeper]) model.module.dispose();
});

test('fusion from a plain checkpoint: the backbone gets the weights, the fusion part stays fresh', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  const fusion = tiny(12, 5, 2, {}, true);
  const fresh = stateOf(fusion);
  const summary = transferWeights(fusion, checkpoint, ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  const after = stateOf(fusion);
  assert.deepEqual(summary.dropped, ['classifier.weight', 'classifier.bias']);
  assert.deepEqual(summary.adapted, ['backbone.stem.0.weight (1 -> 12 leads)']);
  for (const name of summary.copied) {
    assert.ok(name.startsWith('backbone.'), name);
    assertSame(after.get(name)!, checkpoint.state.get(name.slice('backbone.'.length))!, name);
  }
  assert.equal(
    summary.copied.length + 1,
    checkpoint.state.size - 2,
    'every backbone tensor but the stem copied',
  );
  assert.ok(summary.reinitialised.length > 0);
  for (const name of summary.reinitialised) {
    assert.ok(!name.startsWith('backbone.'), name);
    assertSame(after.get(name)!, fresh.get(name)!, name);
  }
  assert.match(describeSummary(summary), /re-initialised \(fusion\.\* \d+\)/);
  source.module.dispose();
  fusion.module.dispose();
});

test('preprocessing differences are notices; --init names are resolved or refused with typed errors', () => {
  const checkpoint = {
    metadata: { model: { name: 'x', config: {} }, labels: [], preprocessing: { fs: 100, windowSeconds: 10 } },
  } as unknown as Checkpoint;
  const same = { labels: [], fs: 100, windowSeconds: 10, bandpass: null, standardize: true } as const;
  assert.deepEqual(preprocessingNotices(checkpoint, same), []);
  assert.deepEqual(preprocessingNotices(checkpoint, { ...same, fs: 500, windowSeconds: 2.5 }), [
    'checkpoint trained at 100 Hz, this run uses 500 Hz',
    'checkpoint trained on 10 s windows, this run uses 2.5 s',
  ]);
  assert.match(resolveInitCheckpoint('cinc2017-w0.25'), /models\/cinc2017-w0\.25\.safetensors$/);
  assert.throws(() => resolveInitCheckpoint('model.onnx'), ConfigError);
  assert.throws(() => resolveInitCheckpoint('/nowhere/model.safetensors'), MissingFileError);
  assert.throws(() => resolveInitCheckpoint('no-such-model'), ConfigError);
});

async function lastState(config: TrainConfig, stopAfter: number | null, notices: string[]) {
  const dataset = () => syntheticDataset({ leads: 2 });
  if (stopAfter !== null) {
    const controller = new AbortController();
    let seen = 0;
    await train(config, dataset(), {
      signal: controller.signal,
      onNotice: (message) => notices.push(message),
      onLog: (line) => {
        if (line.type === 'epoch' && ++seen === stopAfter) controller.abort();
      },
    });
  }
  const result = await train(config, dataset(), {
    resume: stopAfter !== null,
    onNotice: (message) => notices.push(message),
  });
  return readCheckpoint(result.lastPath);
}

test('train --init: the summary is reported once, and a resumed run continues identically', async () => {
  const { dir, dispose } = tempDir();
  try {
    const source = await train(tinyConfig(join(dir, 'source'), { epochs: 1 }), syntheticDataset());
    const init = source.lastPath;
    const straightNotices: string[] = [];
    const resumedNotices: string[] = [];
    const config = (out: string) => tinyConfig(join(dir, out), { epochs: 2, init, seed: 4 });
    const straight = await lastState(config('straight'), null, straightNotices);
    const resumed = await lastState(config('resumed'), 1, resumedNotices);
    assert.equal(straightNotices.length, 1);
    assert.match(
      straightNotices[0]!,
      /tensors copied, 1 adapted \(stem\.0\.weight \(1 -> 2 leads\)\), 0 re-initialised/,
    );
    assert.deepEqual(resumedNotices, straightNotices, 'the resumed half does not apply --init again');
    for (const [name, stored] of straight.state) {
      if (name.endsWith('num_batches_tracked')) continue;
      assert.deepEqual(resumed.state.get(name)!.data, stored.data, name);
    }
  } finally {
    dispose();
  }
});

test('fusion with the ECG shortcut from a plain checkpoint starts as that model; the way back takes the shortcut', () => {
  const source = tiny(1, 4, 1);
  const checkpoint = sourceCheckpoint(source, LABELS, 1);
  manualSeed(3);
  const fusion = newTrainableModel('efficientecg-w0.25', true, { leads: 1, classes: 4 }, ROWS, TINY_MODEL, {
    shortcut: true,
  });
  const summary = transferWeights(fusion, checkpoint, LABELS);
  assert.deepEqual(summary.dropped, []);
  assert.ok(
    summary.copied.includes('fusion.shortcut.weight') && summary.copied.includes('fusion.shortcut.bias'),
  );
  source.module.eval();
  fusion.module.eval();
  noGrad(() =>
    scope(() => {
      const x = F.randn([2, 1, 300]);
      const expected = toNumbers(source.logits(x, ROWS));
      const actual = toNumbers(fusion.logits(x, ROWS));
      actual.forEach((v, i) =>
        assert.ok(Math.abs(v - expected[i]!) < 1e-5, `logit ${i}: ${v} vs ${expected[i]}`),
      );
    }),
  );
  const back = tiny(1, 4, 4);
  const fusionCheckpoint: Checkpoint = {
    ...checkpoint,
    metadata: { ...checkpoint.metadata, model: fusion.spec },
    state: stateOf(fusion),
  };
  const backSummary = transferWeights(back, fusionCheckpoint, LABELS);
  assert.ok(backSummary.copied.includes('classifier.weight'));
  assertSame(
    stateOf(back).get('classifier.weight')!,
    fusionCheckpoint.state.get('fusion.shortcut.weight')!,
    'classifier',
  );
  for (const m of [source, fusion, back]) m.module.dispose();
});

test('cv --init on custom data: a start trained on the same folder is refused in a fold; another custom folder is not', async () => {
  const { dir, dispose } = tempDir();
  const custom = (records?: number) => ({ ...syntheticDataset(records ? { records } : {}), name: 'custom' });
  try {
    const source = await train(tinyConfig(join(dir, 'source'), { epochs: 1 }), custom());
    const fold = (out: string, dataset: ReturnType<typeof custom>) =>
      train(
        tinyConfig(join(dir, out), { epochs: 1, cvFold: { folds: 2, fold: 1 }, init: source.lastPath }),
        dataset,
        { onNotice: () => {} },
      );
    await assert.rejects(
      fold('same', custom()),
      (error: unknown) =>
        error instanceof ConfigError &&
        /--init .* was trained on this custom folder \(the same record list\), whose fold 1 of 2/.test(
          error.message,
        ),
    );
    // Another folder of one's own data (other records) is another dataset, though also named custom: trained, with a
    // notice (it may share records); so is a start saved before folder digests, which cannot be identified.
    const notices: string[] = [];
    const other = await train(
      tinyConfig(join(dir, 'other'), { epochs: 1, cvFold: { folds: 2, fold: 1 }, init: source.lastPath }),
      custom(40),
      { onNotice: (message) => notices.push(message) },
    );
    assert.equal(other.state.epoch, 1);
    assert.ok(
      notices.some((n) =>
        /--init .* was trained on another custom folder .*this fold's figure is optimistic/.test(n),
      ),
      notices.join('\n'),
    );
    const old = readCheckpoint(source.lastPath);
    const { folder: _, ...undated } = old.metadata.extra!.dataset as Record<string, unknown>;
    const oldPath = join(dir, 'old.safetensors');
    writeFileSync(
      oldPath,
      encodeStoredCheckpoint({
        ...old,
        metadata: { ...old.metadata, extra: { ...old.metadata.extra, dataset: undated } },
      }),
    );
    notices.length = 0;
    await train(
      tinyConfig(join(dir, 'old-start'), { epochs: 1, cvFold: { folds: 2, fold: 1 }, init: oldPath }),
      custom(),
      { onNotice: (message) => notices.push(message) },
    );
    assert.ok(
      notices.some((n) => /a custom folder it does not identify/.test(n)),
      notices.join('\n'),
    );
  } finally {
    dispose();
  }
});

test('cv --init: weights trained with labels of the same dataset are refused in a fold; another dataset is not', async () => {
  const { dir, dispose } = tempDir();
  try {
    const source = await train(tinyConfig(join(dir, 'source'), { epochs: 1 }), syntheticDataset());
    const cvFold = { folds: 2, fold: 1 };
    const fold = (out: string, dataset = syntheticDataset()) =>
      train(tinyConfig(join(dir, out), { epochs: 1, cvFold, init: source.lastPath }), dataset, {
        onNotice: () => {},
      });
    await assert.rejects(
      fold('same'),
      (error: unknown) =>
        error instanceof ConfigError &&
        /--init .* was trained on synthetic, whose fold 1 of 2 this run holds out and reports/.test(
          error.message,
        ),
    );
    const other = syntheticDataset();
    other.name = 'other-synthetic';
    const result = await fold('other', other);
    assert.equal(result.state.epoch, 1);
    // Outside a CV the same start is fine-tuning on one's own data (its validation figure is a log line).
    const plain = await train(
      tinyConfig(join(dir, 'plain'), { epochs: 1, init: source.lastPath }),
      syntheticDataset(),
      {
        onNotice: () => {},
      },
    );
    assert.equal(plain.state.epoch, 1);
  } finally {
    dispose();
  }
});
