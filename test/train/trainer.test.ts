import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { modelFromCheckpoint } from '../../src/models/registry.js';
import { train, type LogLine, type TrainConfig } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { checkpointTensors, maxDifference, tempDir, tinyConfig } from './helpers.js';

function epochLines(lines: LogLine[]): LogLine[] {
  return lines.filter((line) => line.type === 'epoch');
}

test('the loss falls on a learnable task and the checkpoints carry what evaluation needs', async () => {
  const { dir, dispose } = tempDir();
  try {
    const lines: LogLine[] = [];
    const config = tinyConfig(join(dir, 'run'), { epochs: 10, lr: 1e-2 });
    const result = await train(config, syntheticDataset(), { onLog: (line) => lines.push(line) });
    const epochs = epochLines(lines);
    assert.equal(epochs.length, 10);
    const first = epochs[0]!.loss as number;
    const last = epochs[9]!.loss as number;
    assert.ok(last < 0.6 * first, `training loss ${first} -> ${last}`);
    // Eval-mode outputs rank the classes well even this early (BatchNorm's running statistics move at 0.01/step).
    assert.ok((result.validation!.details.macro_auroc as number) > 0.75, JSON.stringify(result.validation));
    assert.equal(result.validation!.metric, 'macro_f1');
    assert.ok(lines.some((line) => line.type === 'steps' && typeof line.samplesPerSecond === 'number'));

    const checkpoint = readCheckpoint(result.lastPath);
    const { metadata } = checkpoint;
    assert.deepEqual(metadata.labels, ['slow', 'mid', 'fast']);
    assert.equal(metadata.model.name, 'efficientecg-w0.25');
    assert.deepEqual(metadata.preprocessing, {
      resampleTo: null,
      bandpass: null,
      standardize: false,
      fs: 50,
      leads: ['L1'],
      windowSeconds: 2,
      windowSamples: 100,
      shortRecords: 'zero-pad',
      windows: { hopSamples: 100, lastAlignedToEnd: true, aggregate: 'mean-logits' },
    });
    const extra = metadata.extra!;
    assert.equal(extra.labelKind, 'single-label');
    assert.equal(extra.outputActivation, 'softmax');
    assert.deepEqual(Object.keys(extra.thresholds as object), ['slow', 'mid', 'fast']);
    assert.equal((extra.validation as { records: number }).records, 12);
    assert.deepEqual((extra.dataset as { entries: unknown }).entries, { train: 36, val: 12 });
    // The record ids themselves, so that evaluate can name training records among those it scores.
    const { records } = extra.dataset as { records: { train: string[]; val: string[] } };
    const ids = syntheticDataset().entries;
    const idsOf = (split: string) => ids.filter((entry) => entry.split === split).map((entry) => entry.id);
    assert.deepEqual([...records.train].sort(), idsOf('train').sort());
    assert.deepEqual([...records.val].sort(), idsOf('val').sort());
    // 36 training records, 12 per class: balanced weights are all 1.
    assert.deepEqual(extra.classWeights, { kind: 'class_weight', values: [1, 1, 1] });
    const state = (extra.training as { state: { epoch: number; step: number } }).state;
    assert.deepEqual([state.epoch, state.step], [10, 50]);
    assert.ok(checkpoint.optimizerState.size > 0, 'last.safetensors holds the AdamW moments');
    // The registry rebuilds the trained model from best.safetensors alone.
    assert.ok(result.bestPath !== null && existsSync(result.bestPath));
    const best = readCheckpoint(result.bestPath);
    assert.equal(best.optimizerState.size, 0);
    modelFromCheckpoint(best, result.bestPath).dispose();
  } finally {
    dispose();
  }
});

/** Trains `config` for its epochs, or stops after `stopAfter` epochs and resumes for the rest. */
async function finalState(config: TrainConfig, stopAfter: number | null): Promise<Map<string, Float32Array>> {
  if (stopAfter !== null) {
    const controller = new AbortController();
    let seen = 0;
    const first = await train(config, syntheticDataset({ leads: 2 }), {
      signal: controller.signal,
      onLog: (line) => {
        if (line.type === 'epoch' && ++seen === stopAfter) controller.abort();
      },
    });
    assert.equal(first.aborted, true);
    assert.equal(first.state.epoch, stopAfter);
  }
  const result = await train(config, syntheticDataset({ leads: 2 }), { resume: stopAfter !== null });
  assert.equal(result.state.epoch, config.epochs);
  return checkpointTensors(result.lastPath);
}

test('2 epochs straight = 1 epoch, interrupt, resume, 1 epoch; with 0 and 2 loader workers', async () => {
  const { dir, dispose } = tempDir();
  try {
    const base = { epochs: 2, augment: { leadDropout: { p: 0.3 } } };
    const straight = await finalState(tinyConfig(join(dir, 'straight'), base), null);
    const resumed = await finalState(tinyConfig(join(dir, 'resumed'), base), 1);
    const workers = await finalState(tinyConfig(join(dir, 'workers'), { ...base, workers: 2 }), 1);
    assert.equal(maxDifference(straight, resumed), 0);
    assert.equal(maxDifference(straight, workers), 0);
  } finally {
    dispose();
  }
});

test('fusion and multi-label runs: model spec, patient inputs, BCE pos_weight, macro AUROC', async () => {
  const { dir, dispose } = tempDir();
  try {
    const fusion = await train(
      tinyConfig(join(dir, 'fusion'), { epochs: 1, fusion: true }),
      syntheticDataset(),
    );
    const fused = readCheckpoint(fusion.lastPath).metadata;
    assert.equal(fused.model.name, 'efficientecg-fusion');
    assert.deepEqual(fused.extra!.patientInputs, ['age', 'sex']);
    const groups = (fused.model.config as { groups: Array<{ name: string; mean?: number[] }> }).groups;
    assert.deepEqual(
      groups.map((g) => g.name),
      ['age', 'sex'],
    );
    assert.ok(Math.abs(groups[0]!.mean![0]! - 55) < 10, 'age standardised with the training rows');
    const resumed = await train(
      tinyConfig(join(dir, 'fusion'), { epochs: 2, fusion: true }),
      syntheticDataset(),
      {
        force: true,
      },
    );
    assert.equal(resumed.state.epoch, 2);

    const multi = await train(
      tinyConfig(join(dir, 'multi'), { epochs: 1 }),
      syntheticDataset({ labelKind: 'multi-label' }),
    );
    assert.equal(multi.validation!.metric, 'macro_auroc');
    const extra = readCheckpoint(multi.lastPath).metadata.extra!;
    assert.equal(extra.outputActivation, 'sigmoid');
    const weights = extra.classWeights as { kind: string; values: number[] };
    assert.equal(weights.kind, 'pos_weight');
    // 36 training records: 12 of each class plus the extra label of every fourth record (r % 4 == 0, r >= 12).
    assert.equal(weights.values.length, 3);
    assert.ok(weights.values.every((w) => w > 1 && w < 3));
  } finally {
    dispose();
  }
});

test("a run that stopped before its first epoch (config.json only) starts again; another run's config is named", async () => {
  const { dir, dispose } = tempDir();
  try {
    const out = join(dir, 'run');
    mkdirSync(out);
    writeFileSync(join(out, 'config.json'), `${JSON.stringify(tinyConfig(out, { epochs: 1 }))}\n`);
    const again = await train(tinyConfig(out, { epochs: 1 }), syntheticDataset());
    assert.equal(again.state.epoch, 1);
    rmSync(join(out, 'log.jsonl'));
    rmSync(join(out, 'last.safetensors'));
    rmSync(join(out, 'best.safetensors'), { force: true });
    await assert.rejects(
      train(tinyConfig(out, { epochs: 1, lr: 1e-2 }), syntheticDataset()),
      (error: Error) =>
        error instanceof ConfigError && /holds another run \(config\.json\).*--force/.test(error.message),
    );
  } finally {
    dispose();
  }
});

test('bad inputs: no validation split, an out dir holding a run, nothing to resume, a changed run', async () => {
  const { dir, dispose } = tempDir();
  try {
    await assert.rejects(
      train(tinyConfig(join(dir, 'noval')), syntheticDataset({ validation: 0 })),
      (error: Error) => error instanceof ConfigError && /no validation entries/.test(error.message),
    );
    await assert.rejects(
      train(tinyConfig(join(dir, 'none')), syntheticDataset(), { resume: true }),
      (error: Error) => error instanceof MissingFileError && /nothing to resume/.test(error.message),
    );
    const out = join(dir, 'run');
    await train(tinyConfig(out, { epochs: 1 }), syntheticDataset());
    await assert.rejects(
      train(tinyConfig(out, { epochs: 1 }), syntheticDataset()),
      (error: Error) =>
        error instanceof ConfigError && /holds another run.*--resume.*--force/.test(error.message),
    );
    await assert.rejects(
      train(tinyConfig(out, { epochs: 1, lr: 1e-2 }), syntheticDataset(), { resume: true }),
      (error: Error) =>
        error instanceof ConfigError &&
        /this command differs from the run in .*: lr: \S+ in the run, 0\.01 in this command/.test(
          error.message,
        ),
    );
    await assert.rejects(
      train(
        {
          ...tinyConfig(join(dir, 'fusion-resnet')),
          model: 'resnet1d_wang',
          modelOverrides: {},
          fusion: true,
        },
        syntheticDataset(),
      ),
      (error: Error) =>
        error instanceof ConfigError && /--fusion needs an EfficientECG backbone/.test(error.message),
    );
  } finally {
    dispose();
  }
});

test('--eval-window: short training crops, longer validation and inference windows in the metadata', async () => {
  const { dir, dispose } = tempDir();
  try {
    const seen: number[] = [];
    const config = tinyConfig(dir, { windowSeconds: 1, evalWindowSeconds: 3, epochs: 1 });
    const result = await train(config, syntheticDataset({ records: 16 }), {
      onLog: (line) => line.type === 'steps' && seen.push(1),
    });
    const { preprocessing } = readCheckpoint(result.lastPath).metadata as {
      preprocessing: { windowSamples: number; windowSeconds: number; windows: { hopSamples: number } };
    };
    assert.equal(preprocessing.windowSeconds, 3);
    assert.equal(preprocessing.windowSamples, 150);
    assert.equal(preprocessing.windows.hopSamples, 150);
    assert.ok(seen.length > 0);
  } finally {
    dispose();
  }
});

test('a validation hop under half a sample is saved as the 1-sample hop validation used (0 failed to load)', async () => {
  const { dir, dispose } = tempDir();
  try {
    const dataset = syntheticDataset({ records: 16 });
    const result = await train(tinyConfig(dir, { epochs: 1, validationHopSeconds: 0.009 }), dataset, {
      progressBar: false,
    });
    const { preprocessing } = readCheckpoint(result.lastPath).metadata as {
      preprocessing: { fs: number; windows: { hopSamples: number } };
    };
    assert.equal(0.009 * preprocessing.fs < 0.5, true);
    assert.equal(preprocessing.windows.hopSamples, 1);
  } finally {
    dispose();
  }
});
