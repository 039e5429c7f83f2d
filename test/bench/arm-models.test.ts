/**
 * bench/arm-models.ts: the efficiency table's rows as a catalogue bench:infer can time. The files it writes load as
 * bundled models (the catalogue validates, the Predictor reads the metadata), with the published parameter counts
 * (372,111 and 473,349: test/models/baselines.test.ts's golden counts) and the windows of each row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxSession } from '../../src/infer/onnx-session.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readCatalog } from '../../src/models/bundled.js';
import { gaussians } from '../../bench/infer-inputs.js';

const SCRIPT = fileURLToPath(new URL('../../bench/arm-models.ts', import.meta.url));
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { encoding: 'utf8', timeout: 300_000 });

test('two rows written as a catalogue of untrained models with their windows and parameter counts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-arms-'));
  try {
    const made = run(dir, '--rows', 'w0.25-7x2.5s,resnet1d_wang-10s');
    assert.equal(made.status, 0, made.stderr);
    const { models } = readCatalog(dir);
    assert.deepEqual(
      models.map((m) => [m.name, m.architecture, m.parameters, m.windowSeconds]),
      [
        ['w0.25-7x2.5s', 'efficientecg-w0.25', 372_111, 2.5],
        ['resnet1d_wang-10s', 'resnet1d_wang', 473_349, 10],
      ],
    );
    const predictor = await Predictor.load(models[0]!.paths.onnx, { name: 'w0.25-7x2.5s' });
    try {
      assert.equal(predictor.info.untrained, true);
      assert.deepEqual([predictor.info.windowSamples, predictor.info.hopSamples], [250, 125]);
      assert.equal(predictor.info.leads.length, 12);
    } finally {
      await predictor.release();
    }
    // The graph computes on its input (a fresh EfficientECG's eval-mode activations vanish: its logits were the
    // same for every input until its BatchNorm statistics were settled on noise).
    const session = await OnnxSession.create(new Uint8Array(readFileSync(models[0]!.paths.onnx)), 1, 'node');
    const logits = (await session.run({ ecg: { data: gaussians(4 * 12 * 250, 5), dims: [4, 12, 250] } }))
      .logits!;
    const first = Array.from({ length: 4 }, (_, row) => logits.data[row * 5]!);
    assert.ok(new Set(first).size === 4, `class-0 logits of 4 inputs: ${first.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown row is refused with exit code 2, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-arms-'));
  try {
    const refused = run(dir, '--rows', 'w0.25-10s,nope');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--rows: unknown nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--trained adds a trained checkpoint beside the rows, exported with its own windows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-arms-'));
  const checkpoint = fileURLToPath(new URL('../../models/ptbxl-w0.25.safetensors', import.meta.url));
  try {
    const made = run(dir, '--rows', 'w0.25-10s', '--trained', `trained-w0.25=${checkpoint}`);
    assert.equal(made.status, 0, made.stderr);
    const { models } = readCatalog(dir);
    assert.deepEqual(
      models.map((m) => [m.name, m.parameters, m.windowSeconds]),
      [
        ['w0.25-10s', 372_111, 10],
        ['trained-w0.25', 372_111, 10],
      ],
    );
    const [untrained, trained] = await Promise.all(
      models.map((m) => Predictor.load(m.paths.onnx, { name: m.name })),
    );
    try {
      assert.equal(untrained!.info.untrained, true);
      assert.notEqual(trained!.info.untrained, true);
    } finally {
      await Promise.all([untrained!.release(), trained!.release()]);
    }
    // No NAME=, or a NAME the catalogue would refuse (upper case).
    for (const bad of ['no-equals-sign.safetensors', `Capital=${checkpoint}`]) {
      const refused = run(dir, '--rows', 'w0.25-10s', '--trained', bad);
      assert.equal(refused.status, 2);
      assert.match(
        refused.stderr,
        /--trained .*: expected NAME=CHECKPOINT\.safetensors \(NAME: a-z 0-9 \. _ -\)/,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
