/**
 * Constants and dtypes in exported files: a slice "to the end" keeps int64's largest value (a double cannot hold
 * it), mixed-dtype arithmetic computes in the engine's result dtype, and a float64 LSTM without biases gets float64
 * zero biases: each file loads in onnxruntime, and the float32 ones match the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { manualSeed, noGrad, ops as F, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { Conv1d, LSTM, Module } from '../../src/nn/index.js';
import { exportOnnx, type OnnxMetadata } from '../../src/export/onnx/index.js';
import { onnx } from '../../src/export/onnx/graph.js';
import { OnnxSession, type ArrayInput } from '../../src/infer/onnx-session.js';

setNumThreads(1);

const metadata = (leads: number, classes: number): OnnxMetadata => ({
  labels: Array.from({ length: classes }, (_, i) => `c${i}`),
  samplingRate: 100,
  leads: Array.from({ length: leads }, (_, i) => `l${i}`),
  window: { samples: 50 },
  preprocessing: null,
});

const asArray = (t: Tensor): ArrayInput => ({ data: t.data(), dims: t.shape });

/** Runs the exported `bytes` in onnxruntime and checks them against the engine's forward at `shapes`. */
async function checkParity(
  bytes: Uint8Array,
  model: Module & { forward(x: Tensor): Tensor },
  shapes: number[][],
): Promise<void> {
  const session = await OnnxSession.create(bytes);
  model.eval();
  for (const shape of shapes) {
    const { feeds, expected } = scope(() => {
      const x = F.randn(shape);
      return { feeds: { ecg: asArray(x) }, expected: noGrad(() => model.forward(x)).data() };
    });
    const actual = (await session.run(feeds)).logits!.data;
    assert.equal(actual.length, expected.length, `size at [${shape.join(', ')}]`);
    const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i]!)), 0);
    assert.ok(worst < 1e-5, `[${shape.join(', ')}]: max difference ${worst}`);
  }
  await session.release();
}

class EverySecondSample extends Module {
  forward(x: Tensor): Tensor {
    return F.mean(F.slice(x, 2, 0, x.shape[2]!, 2), 2);
  }
}

test('a slice to the (dynamic) end exports int64 max as its end, not an empty slice', async () => {
  manualSeed(1);
  const model = new EverySecondSample();
  const bytes = scope(() => exportOnnx(model, F.randn([2, 2, 50]), metadata(2, 2)));
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const slice = graph.node!.find((n) => n.opType === 'Slice')!;
  const end = graph.initializer!.find((t) => t.name === slice.input![2])!;
  const raw = new Uint8Array(end.rawData!);
  assert.equal(new BigInt64Array(raw.slice().buffer)[0], 9223372036854775807n);
  await checkParity(bytes, model, [
    [1, 2, 50],
    [1, 2, 51],
    [3, 2, 7],
  ]);
});

class PlusDoubleScalar extends Module {
  readonly conv = this.registerModule('conv', new Conv1d(2, 3, 3, { padding: 1 }));

  forward(x: Tensor): Tensor {
    // float32 + a 0-d float64 tensor: the engine's result (torch's promotion) is float32.
    return F.mean(F.add(this.conv.forward(x), F.tensor(Float64Array.of(0.5), [])), 2);
  }
}

test('float32 + a 0-d float64 tensor exports as float32 arithmetic, as the engine computes it', async () => {
  manualSeed(2);
  const model = new PlusDoubleScalar();
  const bytes = scope(() => exportOnnx(model, F.randn([2, 2, 50]), metadata(2, 3)));
  await checkParity(bytes, model, [
    [1, 2, 50],
    [2, 2, 61],
  ]);
});

class DoubleLstm extends Module {
  readonly lstm = this.registerModule('lstm', new LSTM(3, 4, { bias: false }));

  forward(x: Tensor): Tensor {
    return this.lstm.forward(x).output;
  }
}

test('a float64 LSTM without biases exports float64 zero biases', async () => {
  manualSeed(3);
  const model = new DoubleLstm().to('float64');
  const bytes = scope(() =>
    exportOnnx(
      model,
      [{ name: 'x', example: F.randn([2, 5, 3], 'float64'), dynamicAxes: { 0: 'batch', 1: 'steps' } }],
      metadata(1, 0),
      { outputName: 'output' },
    ),
  );
  const bias = onnx.ModelProto.decode(bytes).graph!.initializer!.find((t) => t.name!.startsWith('/lstm.B'))!;
  assert.equal(bias.dataType, onnx.TensorProto.DataType.DOUBLE);
  assert.equal(bias.rawData!.length, 8 * 8 * 4, 'float64 bytes for [1, 8 * hidden]');
  // onnxruntime's CPU LSTM does not run float64, but it loads the file (its initializers' sizes checked).
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['x']);
  await session.release();
});
