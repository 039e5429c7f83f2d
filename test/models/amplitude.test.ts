/**
 * EfficientECG's amplitude side-channel (config `amplitude`): the morphology path sees each window z-scored, exactly
 * as a z-scored model would; the log lead amplitudes reach the logits through a linear head that starts at zero;
 * the exported ONNX graph computes the same; and on a task only voltages decide, it learns where a z-scored model
 * cannot. Configs that would feed it z-scores, or build it into fusion or beat models, are refused.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { manualSeed, noGrad, ops as F, scope, setNumThreads } from '../../src/engine/index.js';
import { ConfigError } from '../../src/errors.js';
import { exportOnnx } from '../../src/export/onnx/index.js';
import { OnnxSession } from '../../src/infer/onnx-session.js';
import { AMPLITUDE_FLOOR_MV, EfficientECG, efficientEcgConfig } from '../../src/models/efficientecg.js';
import { EfficientEcgFusion, fusionConfig } from '../../src/models/fusion.js';
import { train } from '../../src/train/index.js';
import { syntheticDataset } from '../train/synthetic.js';
import { tempDir, tinyConfig, TINY_MODEL } from '../train/helpers.js';

setNumThreads(1);
const LEADS = 3;
const CLASSES = 4;

function models(): { amplitude: EfficientECG; plain: EfficientECG } {
  manualSeed(5);
  const amplitude = new EfficientECG({ ...efficientEcgConfig('w0.25', LEADS, CLASSES, TINY_MODEL), amplitude: true });
  const plain = new EfficientECG(efficientEcgConfig('w0.25', LEADS, CLASSES, TINY_MODEL));
  const state = amplitude.exportState();
  plain.loadState(new Map([...state].filter(([name]) => !name.startsWith('amplitude_head.'))));
  amplitude.eval();
  plain.eval();
  return { amplitude, plain };
}

/** Each lead of each window z-scored here, in plain arithmetic, with the side-channel's floor. */
function zScored(data: Float32Array, batch: number, length: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let row = 0; row < batch * LEADS; row++) {
    const lead = data.subarray(row * length, (row + 1) * length);
    const mean = lead.reduce((s, v) => s + v, 0) / length;
    const variance = lead.reduce((s, v) => s + (v - mean) ** 2, 0) / length;
    const sd = Math.sqrt(variance + AMPLITUDE_FLOOR_MV ** 2);
    lead.forEach((v, i) => (out[row * length + i] = (v - mean) / sd));
  }
  return out;
}

test('amplitude side-channel: at the start it is the z-scored model; then logits move by W log(scale)', () => {
  const { amplitude, plain } = models();
  const [batch, length] = [2, 400];
  scope(() => {
    const x = F.mul(F.randn([batch, LEADS, length]), 1.7);
    const z = F.tensor(zScored(x.data(), batch, length), [batch, LEADS, length]);
    const [withSide, zModel] = noGrad(() => [amplitude.forward(x).data(), plain.forward(z).data()]);
    withSide.forEach((v, i) => assert.ok(Math.abs(v - zModel[i]!) < 1e-4, `logit ${i}: ${v} vs ${zModel[i]}`));
    // A head that reads the amplitudes: scaling every lead by c adds W (log c, ..., log c) to every row's logits.
    const head = new Float32Array(CLASSES * LEADS).map((_, i) => ((i % 5) - 2) * 0.3);
    const state = amplitude.exportState();
    (state.get('amplitude_head.weight')!.data as Float32Array).set(head);
    amplitude.loadState(state);
    const c = 4;
    const [base, scaled] = noGrad(() => [amplitude.forward(x).data(), amplitude.forward(F.mul(x, c)).data()]);
    for (let n = 0; n < batch; n++)
      for (let k = 0; k < CLASSES; k++) {
        let expected = 0;
        for (let l = 0; l < LEADS; l++) expected += head[k * LEADS + l]! * Math.log(c);
        const moved = scaled[n * CLASSES + k]! - base[n * CLASSES + k]!;
        assert.ok(Math.abs(moved - expected) < 1e-3, `row ${n} class ${k}: moved ${moved}, expected ${expected}`);
      }
  });
});

test('amplitude side-channel: the exported ONNX graph gives the engine’s logits', async () => {
  const { amplitude } = models();
  const state = amplitude.exportState();
  (state.get('amplitude_head.weight')!.data as Float32Array).forEach((_, i, a) => (a[i] = Math.sin(i) * 0.5));
  amplitude.loadState(state);
  const metadata = {
    labels: Array.from({ length: CLASSES }, (_, i) => `c${i}`),
    samplingRate: 100,
    leads: Array.from({ length: LEADS }, (_, i) => `L${i}`),
    window: { samples: 250, seconds: 2.5 },
    preprocessing: { bandpass: [0.5, 40] },
  };
  const bytes = scope(() => exportOnnx(amplitude, F.randn([2, LEADS, 250]), metadata));
  const session = await OnnxSession.create(bytes);
  amplitude.eval();
  for (const [batch, length] of [
    [1, 250],
    [3, 600],
  ] as const) {
    const { input, expected } = scope(() => {
      const x = F.mul(F.randn([batch, LEADS, length]), 0.8);
      return { input: { data: x.data(), dims: x.shape }, expected: noGrad(() => amplitude.forward(x).data()) };
    });
    const { logits } = await session.run({ ecg: input });
    logits!.data.forEach((v, i) => assert.ok(Math.abs(Number(v) - expected[i]!) < 1e-4, `${batch}x${length} #${i}`));
  }
  await session.release();
});

test('amplitude side-channel: a class only voltages decide is learnt through it, not by a z-scored model', async () => {
  const { dir, dispose } = tempDir();
  try {
    const data = () => syntheticDataset({ records: 120, classBy: 'amplitude' });
    const run = (name: string, overrides: Record<string, unknown>) =>
      train(tinyConfig(join(dir, name), { epochs: 20, lr: 1e-2, ...overrides }), data());
    const side = await run('side', { modelOverrides: { ...TINY_MODEL, amplitude: true } });
    const zscored = await run('z', { preprocess: { fs: null, bandpass: null, standardize: true } });
    const auroc = (r: Awaited<ReturnType<typeof run>>) => r.validation!.details.macro_auroc as number;
    assert.ok(auroc(side) > 0.9, `side-channel macro AUROC ${auroc(side)}`);
    assert.ok(auroc(zscored) < 0.75, `z-scored macro AUROC ${auroc(zscored)}`);
  } finally {
    dispose();
  }
});

test('amplitude side-channel: refused with z-scored input, in fusion and in beat models', () => {
  assert.throws(
    () =>
      tinyConfig('/tmp/unused', {
        modelOverrides: { ...TINY_MODEL, amplitude: true },
        preprocess: { fs: null, bandpass: null, standardize: true },
      }),
    (e: unknown) => e instanceof ConfigError && /amplitude side-channel reads leads in mV/.test(e.message),
  );
  const config = fusionConfig({ leads: 1, classes: 3 });
  assert.throws(
    () => new EfficientEcgFusion({ ...config, backbone: { ...config.backbone, amplitude: true } }),
    (e: unknown) => e instanceof ConfigError && /not the fusion backbone/.test(e.message),
  );
});
