/**
 * ONNX export parity: onnxruntime-node runs the exported file and must give the engine's own outputs (within 1e-4)
 * at batch sizes and lengths other than the traced example, for EfficientECG variants (BatchNorm folded, random
 * running statistics so that folding matters), an attention model (MultiheadAttention + LayerNorm + Embedding +
 * key padding mask: the pieces of the fusion model) and a 2-layer bidirectional LSTM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { ExportError } from '../../src/errors.js';
import { EfficientECG, efficientEcgConfig, type EfficientEcgVariant } from '../../src/models/efficientecg.js';
import { Embedding, LayerNorm, Linear, LSTM, Module, MultiheadAttention } from '../../src/nn/index.js';
import { exportOnnx, readOnnxSummary, type OnnxMetadata } from '../../src/export/onnx/index.js';
import { OnnxSession, type ArrayInput } from '../../src/infer/onnx-session.js';

const TOLERANCE = 1e-4;
// One libtorch thread: on a shared machine a second spinning thread costs more CPU than it saves.
setNumThreads(1);

function metadata(leads: number, classes: number): OnnxMetadata {
  return {
    labels: Array.from({ length: classes }, (_, i) => `class${i}`),
    samplingRate: 500,
    leads: Array.from({ length: leads }, (_, i) => `lead${i}`),
    window: { samples: 5000, seconds: 10 },
    preprocessing: { bandpass: [0.5, 40], normalise: 'zscore' },
  };
}

/** Random BatchNorm statistics and affine terms, so that a wrong fold shows; logits scaled up to about +-1. */
function randomiseBatchNorms(model: Module): void {
  const state = model.exportState();
  for (const [name, stored] of state) {
    const data = stored.data as Float32Array;
    const draw = (f: (u: number) => number): void => data.forEach((_, i) => (data[i] = f(Math.random())));
    if (name.endsWith('running_mean')) draw((u) => (u - 0.5) * 0.4);
    else if (name.endsWith('running_var')) draw((u) => 0.5 + u);
    else if (/\.1\.(weight|bias)$/.test(name) && stored.shape.length === 1) draw((u) => 0.8 + 0.4 * u - 0.2);
    else if (name === 'classifier.weight') data.forEach((v, i) => (data[i] = v * 30));
  }
  model.loadState(state);
}

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'element count');
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

function asArray(t: Tensor): ArrayInput {
  const data = t.dtype === 'bool' ? t.data<'bool'>() : t.dtype === 'int64' ? t.data<'int64'>() : t.data();
  return { data, dims: t.shape };
}

const ECG_CASES: Array<{ variant: EfficientEcgVariant; leads: number }> = [
  { variant: 'b0', leads: 12 },
  { variant: 'b0', leads: 1 },
  { variant: 'w0.5', leads: 12 },
  { variant: 'w0.5', leads: 1 },
  { variant: 'w0.25', leads: 12 },
  { variant: 'w0.25', leads: 1 },
];

for (const { variant, leads } of ECG_CASES) {
  test(`EfficientECG-${variant}, ${leads} lead(s): one exported file matches the engine at other batch sizes and lengths`, async () => {
    manualSeed(11);
    const model = new EfficientECG(efficientEcgConfig(variant, leads, 5));
    randomiseBatchNorms(model);
    const bytes = scope(() => exportOnnx(model, F.randn([2, leads, 320]), metadata(leads, 5)));
    assert.equal(model.training, true, 'export puts the training flag back');
    const session = await OnnxSession.create(bytes);
    // Batch 1 and 4, lengths 1000 and 3000, none of them the traced example's (2 x 320).
    const sizes: Array<[number, number]> =
      leads === 12
        ? [
            [1, 1000],
            [4, 1000],
            [1, 3000],
            [4, 3000],
          ]
        : [
            [4, 1000],
            [1, 3000],
          ];
    model.eval();
    for (const [batch, length] of sizes) {
      const { input, expected } = scope(() => {
        const x = F.randn([batch, leads, length]);
        return { input: asArray(x), expected: noGrad(() => model.forward(x).data()) };
      });
      const { logits } = await session.run({ ecg: input });
      assert.deepEqual(logits!.dims, [batch, 5]);
      const worst = maxDifference(logits!.data, expected);
      assert.ok(worst < TOLERANCE, `batch ${batch}, length ${length}: max |onnx - engine| = ${worst}`);
    }
    await session.release();
    model.dispose();
  });
}

test('the EfficientECG file: opset 17, ecg -> logits, BatchNorm folded, global pooling as ReduceMean, metadata', () => {
  manualSeed(3);
  const model = new EfficientECG(efficientEcgConfig('w0.25', 12, 3));
  const meta = metadata(12, 3);
  const summary = readOnnxSummary(scope(() => exportOnnx(model, F.randn([1, 12, 500]), meta)));
  assert.equal(summary.opset, 17);
  assert.deepEqual(summary.inputs, ['ecg']);
  assert.deepEqual(summary.outputs, ['logits']);
  assert.equal(summary.ops.BatchNormalization, undefined, 'every BatchNorm follows a conv and is folded');
  assert.equal(summary.ops.Reshape, undefined, 'no shape baked into a Reshape');
  assert.ok((summary.ops.ReduceMean ?? 0) >= 1);
  assert.equal(summary.ops.Gemm, 1);
  assert.deepEqual(summary.metadata, {
    labels: meta.labels,
    sampling_rate: 500,
    leads: meta.leads,
    window: meta.window,
    preprocessing: meta.preprocessing,
  });
  assert.ok(summary.initializers.includes('stem.0.weight_bn_folded'));
  model.dispose();
});

test("activations stay 4-D between convolutions: one Unsqueeze, no Squeeze, the op-for-op graph's outputs", async () => {
  manualSeed(5);
  const model = new EfficientECG(efficientEcgConfig('w0.25', 12, 3));
  randomiseBatchNorms(model);
  const [lifted, plain] = scope(() => {
    const example = F.randn([1, 12, 500]);
    return [
      exportOnnx(model, example, metadata(12, 3)),
      exportOnnx(model, example, metadata(12, 3), { keepConvolutions4d: false }),
    ];
  });
  const [a, b] = [readOnnxSummary(lifted), readOnnxSummary(plain)];
  assert.equal(a.ops.Unsqueeze, 1, 'only the input is unsqueezed');
  assert.equal(a.ops.Squeeze, undefined);
  assert.equal(a.ops.Conv, b.ops.Conv);
  assert.equal(b.ops.Squeeze, b.ops.Conv, 'the op-for-op graph squeezes after every convolution');
  const x = scope(() => asArray(F.randn([3, 12, 1700])));
  const [sa, sb] = [await OnnxSession.create(lifted), await OnnxSession.create(plain)];
  const [ya, yb] = [(await sa.run({ ecg: x })).logits!, (await sb.run({ ecg: x })).logits!];
  assert.deepEqual(ya.dims, [3, 3]);
  assert.equal(maxDifference(ya.data, yb.data), 0, 'same arithmetic, op for op');
  await Promise.all([sa.release(), sb.release()]);
  model.dispose();
});

/** The fusion model's pieces: token embedding + LayerNorm queries attending over an ECG sequence with a mask. */
class AttentionNet extends Module {
  readonly embed = this.registerModule('embed', new Embedding(10, 16));
  readonly norm = this.registerModule('norm', new LayerNorm(16));
  readonly attention = this.registerModule('attention', new MultiheadAttention(16, 4, { kdim: 8, vdim: 8 }));
  readonly head = this.registerModule('head', new Linear(16, 3));

  forward(sequence: Tensor, tokens: Tensor, mask: Tensor): { logits: Tensor; attention: Tensor } {
    const query = this.norm.forward(this.embed.forward(tokens));
    const { output, weights } = this.attention.forward(query, sequence, sequence, mask);
    return { logits: this.head.forward(F.gelu(F.mean(output, 1))), attention: weights };
  }
}

function attentionInputs(
  batch: number,
  positions: number,
): { sequence: Tensor; tokens: Tensor; mask: Tensor } {
  const sequence = F.randn([batch, positions, 8]);
  const tokens = F.tensor(
    BigInt64Array.from({ length: batch * 3 }, (_, i) => BigInt((i * 7) % 10)),
    [batch, 3],
  );
  // Mask the last position of every row.
  const mask = F.ge(
    F.expand(F.reshape(F.arange(0, positions), [1, positions]), [batch, positions]),
    positions - 1,
  );
  return { sequence, tokens, mask };
}

test('MultiheadAttention + LayerNorm + Embedding with a key padding mask: named inputs and outputs, dynamic batch and positions', async () => {
  manualSeed(5);
  const model = new AttentionNet();
  const bytes = scope(() => {
    const example = attentionInputs(2, 7);
    return exportOnnx(
      model,
      [
        { name: 'sequence', example: example.sequence, dynamicAxes: { 0: 'batch', 1: 'positions' } },
        { name: 'tokens', example: example.tokens, dynamicAxes: { 0: 'batch' } },
        { name: 'mask', example: example.mask, dynamicAxes: { 0: 'batch', 1: 'positions' } },
      ],
      metadata(1, 3),
      { forward: (x) => model.forward(x.sequence!, x.tokens!, x.mask!) },
    );
  });
  const session = await OnnxSession.create(bytes);
  assert.deepEqual([...session.inputNames], ['sequence', 'tokens', 'mask']);
  assert.deepEqual([...session.outputNames], ['logits', 'attention']);
  for (const [batch, positions] of [
    [1, 5],
    [4, 31],
  ] as const) {
    const { feeds, expected } = scope(() => {
      const x = attentionInputs(batch, positions);
      const out = noGrad(() => model.eval().forward(x.sequence, x.tokens, x.mask));
      return {
        feeds: { sequence: asArray(x.sequence), tokens: asArray(x.tokens), mask: asArray(x.mask) },
        expected: { logits: out.logits.data(), attention: out.attention.data() },
      };
    });
    const result = await session.run(feeds);
    assert.deepEqual(result.attention!.dims, [batch, 4, 3, positions]);
    for (const name of ['logits', 'attention'] as const) {
      const worst = maxDifference(result[name]!.data, expected[name]);
      assert.ok(worst < TOLERANCE, `${name} at batch ${batch}, ${positions} positions: ${worst}`);
    }
  }
  await session.release();
  model.dispose();
});

class RecurrentNet extends Module {
  readonly lstm = this.registerModule('lstm', new LSTM(8, 6, { numLayers: 2, bidirectional: true }));

  forward(x: Tensor): { output: Tensor; h: Tensor; c: Tensor } {
    return this.lstm.forward(x);
  }
}

test('a 2-layer bidirectional batch-first LSTM (PyTorch gate order ifgo -> ONNX iofc) matches', async () => {
  manualSeed(9);
  const model = new RecurrentNet();
  const bytes = scope(() =>
    exportOnnx(
      model,
      [{ name: 'x', example: F.randn([2, 9, 8]), dynamicAxes: { 0: 'batch', 1: 'steps' } }],
      metadata(1, 0),
    ),
  );
  const session = await OnnxSession.create(bytes);
  for (const [batch, steps] of [
    [1, 4],
    [3, 20],
  ] as const) {
    const { feeds, expected } = scope(() => {
      const x = F.randn([batch, steps, 8]);
      const out = noGrad(() => model.forward(x));
      return {
        feeds: { x: asArray(x) },
        expected: { output: out.output.data(), h: out.h.data(), c: out.c.data() },
      };
    });
    const result = await session.run(feeds);
    assert.deepEqual(result.output!.dims, [batch, steps, 12]);
    assert.deepEqual(result.h!.dims, [4, batch, 6]);
    for (const name of ['output', 'h', 'c'] as const) {
      const worst = maxDifference(result[name]!.data, expected[name]);
      assert.ok(worst < TOLERANCE, `${name} at batch ${batch}, ${steps} steps: ${worst}`);
    }
  }
  await session.release();
  model.dispose();
});

class SizeDependentPool extends Module {
  forward(x: Tensor): Tensor {
    // A kernel computed from the traced length would be baked into the file.
    return F.mean(F.avgPool1d(x, x.shape[2]!), 2);
  }
}

class IntegerDivision extends Module {
  forward(x: Tensor): Tensor {
    // The engine's int64 / 2 is exact (torch's true division); ONNX Div on int64 would truncate.
    return F.mean(F.toDtype(F.div(F.toDtype(F.mul(x, 10), 'int64'), 2), 'float32'), 2);
  }
}

class VarianceNet extends Module {
  forward(x: Tensor): Tensor {
    return F.variance(x, 2);
  }
}

test('exports that cannot be faithful fail with ExportError naming the op or the metadata field', () => {
  scope(() => {
    const x = F.randn([1, 2, 50]);
    const meta = metadata(2, 2);
    assert.throws(
      () => exportOnnx(new SizeDependentPool(), x, meta),
      (e: unknown) =>
        e instanceof ExportError && /avgPool1d.*'kernel' depends on the input size/.test(e.message),
    );
    assert.throws(
      () => exportOnnx(new IntegerDivision(), x, meta),
      (e: unknown) =>
        e instanceof ExportError && /int64 division: the engine divides exactly/.test(e.message),
    );
    assert.throws(
      () => exportOnnx(new VarianceNet(), x, meta),
      (e: unknown) => e instanceof ExportError && /op 'var'.*no ONNX export/.test(e.message),
    );
    const model = new EfficientECG(efficientEcgConfig('w0.25', 2, 3));
    assert.throws(
      () => exportOnnx(model, x, metadata(2, 4)),
      (e: unknown) =>
        e instanceof ExportError && /labels has 4 names but logits has 3 classes/.test(e.message),
    );
    assert.throws(
      () => exportOnnx(model, x, metadata(12, 3)),
      (e: unknown) =>
        e instanceof ExportError && /leads has 12 names but the ecg input has 2 leads/.test(e.message),
    );
    assert.throws(
      () => exportOnnx(model, [{ name: 'ecg', example: x, dynamicAxes: { 3: 'oops' } }], metadata(2, 3)),
      (e: unknown) => e instanceof ExportError && /input 'ecg' has no axis 3/.test(e.message),
    );
    model.dispose();
  });
});

class LengthConstant extends Module {
  forward(x: Tensor): Tensor {
    // 1 / length as a made constant: the traced length would be baked in.
    return F.mul(F.sum(x, 2), F.tensor(Float32Array.of(1 / x.shape[2]!), [1]));
  }
}

class LengthTable extends Module {
  constructor(readonly scales: Map<number, Tensor>) {
    super();
  }

  forward(x: Tensor): Tensor {
    // A tensor made outside the forward (captured), picked by the length.
    return F.mul(F.sum(x, 2), this.scales.get(x.shape[2]!)!);
  }
}

test('a baked constant whose values depend on the input size fails with ExportError naming the op', () => {
  scope(() => {
    const x = F.randn([1, 2, 50]);
    const meta = metadata(2, 2);
    assert.throws(
      () => exportOnnx(new LengthConstant(), x, meta),
      (e: unknown) =>
        e instanceof ExportError && /op #\d+ \(tensor\) makes a constant whose values depend/.test(e.message),
    );
    // The probe grows the length by 192.
    const scales = new Map([50, 242].map((n) => [n, F.tensor(Float32Array.of(1 / n), [1])]));
    assert.throws(
      () => exportOnnx(new LengthTable(scales), x, meta),
      (e: unknown) =>
        e instanceof ExportError && /op #\d+ \(mul\) reads a captured tensor whose values/.test(e.message),
    );
    const fixed = new Map([50, 242].map((n) => [n, F.tensor(Float32Array.of(0.5), [1])]));
    assert.ok(exportOnnx(new LengthTable(fixed), x, meta).length > 0, 'same values at both sizes export');
  });
});

class SqueezeThenMean extends Module {
  forward(x: Tensor): { logits: Tensor; pooled: Tensor } {
    // [N, C, T] -> [N, C, 1] -> squeeze axis 2 of a rank-3 value -> [N, C] -> two means over C.
    const squeezed = F.squeeze(F.mean(x, 2, true), 2);
    return { logits: F.mean(squeezed, -1, true), pooled: F.adaptiveAvgPool1d(squeezed, 1) };
  }
}

test('a squeeze of a rank-3 value on axis 2 stays a squeeze: the means after it match the engine', async () => {
  const model = new SqueezeThenMean();
  const bytes = scope(() => exportOnnx(model, F.randn([2, 3, 50]), metadata(3, 1)));
  const session = await OnnxSession.create(bytes);
  const { input, expected } = scope(() => {
    const x = F.randn([4, 3, 80]);
    const out = noGrad(() => model.forward(x));
    return { input: asArray(x), expected: { logits: out.logits.data(), pooled: out.pooled.data() } };
  });
  const result = await session.run({ ecg: input });
  for (const name of ['logits', 'pooled'] as const) {
    assert.deepEqual(result[name]!.dims, [4, 1], name);
    assert.ok(maxDifference(result[name]!.data, expected[name]) < TOLERANCE, name);
  }
  await session.release();
});

test('readOnnxSummary: keys and op types from the file stay ordinary entries; a non-JSON metadata value is an ExportError', async () => {
  const { onnx } = await import('../../src/export/onnx/graph.js');
  const bytes = (metadata: Array<{ key: string; value: string }>) =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        metadataProps: metadata,
        graph: onnx.GraphProto.create({
          name: 'g',
          node: [onnx.NodeProto.create({ opType: 'constructor' })],
        }),
      }),
    ).finish();
  const summary = readOnnxSummary(bytes([{ key: '__proto__', value: '{"labels":["x"]}' }]));
  assert.deepEqual(Object.keys(summary.metadata), ['__proto__']);
  assert.equal((summary.metadata as { labels?: unknown }).labels, undefined, 'no inherited "labels"');
  assert.equal(summary.ops.constructor, 1);
  assert.throws(
    () => readOnnxSummary(bytes([{ key: 'labels', value: 'not json' }])),
    (error: unknown) => error instanceof ExportError && /metadata "labels" is not JSON/.test(error.message),
  );
});
