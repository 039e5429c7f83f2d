/** Shared set-up of the trainer tests: a tiny EfficientECG, short windows, a temporary out dir. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../../src/engine/autograd.js';
import * as F from '../../src/engine/ops.js';
import { scope } from '../../src/engine/scope.js';
import { readCheckpoint, type Checkpoint } from '../../src/export/checkpoint.js';
import type { EcgRecord } from '../../src/io/record.js';
import type { PatientRow } from '../../src/models/fusion.js';
import { mergeConfig, parseTrainConfig, TRAIN_DEFAULTS, type TrainConfig } from '../../src/train/config.js';
import { trainableFromSpec } from '../../src/train/model.js';

/** Two small MBConv stages: a few thousand parameters, milliseconds per step. */
export const TINY_MODEL = {
  stemChannels: 8,
  headChannels: 32,
  dropout: 0.1,
  stochasticDepth: 0.1,
  stages: [
    { expand: 1, channels: 8, repeats: 1, stride: 2, kernel: 5 },
    { expand: 2, channels: 16, repeats: 2, stride: 2, kernel: 5 },
  ],
};

export function tinyConfig(out: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return parseTrainConfig(
    mergeConfig(
      mergeConfig(TRAIN_DEFAULTS, {
        dataset: 'cinc2017',
        data: '<memory>',
        model: 'efficientecg-w0.25',
        modelOverrides: TINY_MODEL,
        out,
        preprocess: { fs: null, bandpass: null, standardize: false },
        windowSeconds: 2,
        batchSize: 8,
        epochs: 2,
        lr: 3e-3,
        threads: 1,
        workers: 0,
        logEvery: 2,
        patience: null,
      }),
      overrides,
    ),
  );
}

export function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-train-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The engine's class probabilities for the first window of a 1-lead record, with the given patient row: what a
 * Predictor on the exported checkpoint must give for that record's first window.
 */
export function engineFirstWindow(checkpoint: Checkpoint, record: EcgRecord, row: PatientRow): Float32Array {
  const { metadata } = checkpoint;
  const model = trainableFromSpec(metadata.model);
  model.module.loadState(checkpoint.state, 'checkpoint');
  model.module.eval();
  const samples = (metadata.preprocessing as { windowSamples: number }).windowSamples;
  const window = new Float32Array(samples);
  window.set(record.signals[0]!.subarray(0, samples));
  try {
    return noGrad(() =>
      scope(
        () => F.softmax(model.logits(F.tensor(window, [1, 1, samples]), [row]), 1).data() as Float32Array,
      ),
    );
  } finally {
    model.module.dispose();
  }
}

/** Largest absolute difference between two name -> values maps with the same names (checkpoint states). */
export function maxDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let worst = 0;
  for (const [name, values] of a) {
    // BatchNorm1d counts batches in a private field that loadState does not restore: the counter is not compared.
    if (name.endsWith('num_batches_tracked')) continue;
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}

/** Every weight and optimiser tensor of a checkpoint file, by name (optimiser tensors as `optimizer/<name>`). */
export function checkpointTensors(path: string): Map<string, Float32Array> {
  const checkpoint = readCheckpoint(path);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of checkpoint.state) out.set(name, t.data as Float32Array);
  for (const [name, t] of checkpoint.optimizerState) out.set(`optimizer/${name}`, t.data as Float32Array);
  return out;
}

/** CLI flags of a tiny training run: 1 epoch, 5 s windows, batch 2, one libtorch thread. */
export const TINY_RUN_FLAGS = ['--epochs', '1', '--window', '5', '--batch-size', '2', '--threads', '1'];

/** The CinC 2017 fixture folder (3 records) that CLI training tests read. */
export const CINC2017_FIXTURE = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

/** `efficientecg train ARGS` in a child process: its exit status and output, whether it succeeded or not. */
export function trainCli(args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', CLI, 'train', ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { status: failed.status, stdout: failed.stdout, stderr: failed.stderr };
  }
}
