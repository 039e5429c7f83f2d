/**
 * PTB-XL benchmark baselines: parameter counts of the published configurations, and parity with the PyTorch twins
 * of bench/baselines_torch.py (fixture: test/fixtures/models/make_baselines_fixture.py): same weights and input ->
 * same features and logits, in eval mode (randomised running statistics) and in training mode (batch statistics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, ops as F, scope } from '../../src/engine/index.js';
import { ShapeError } from '../../src/errors.js';
import type { StoredTensor } from '../../src/nn/index.js';
import {
  Inception1d,
  ResNet1dWang,
  XResNet1d,
  branchKernels,
  inception1dConfig,
  resnet1dWangConfig,
  xresnet1d101Config,
} from '../../src/models/baselines/index.js';
import { buildModel, type ArchitectureName } from '../../src/models/registry.js';
import { assertClose, readJson, type EncodedTensor } from '../helpers/tensors.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface ParityCase {
  name: ArchitectureName;
  config: unknown;
  parameters: number;
  zero_init_batchnorm: string[];
  state: Record<string, Encoded>;
  x: Encoded;
  features: Encoded;
  eval_logits: Encoded;
  train_logits: Encoded;
}

const float32 = (e: Encoded): EncodedTensor => ({ ...e, dtype: 'float32' });

const fixture = readJson<{ cases: ParityCase[] }>('test/fixtures/models/baselines.json');

function stored(state: Record<string, Encoded>): Map<string, StoredTensor> {
  return new Map(
    Object.entries(state).map(([name, t]) => [
      name,
      {
        shape: t.shape,
        data: name.endsWith('num_batches_tracked')
          ? BigInt64Array.from(t.data.map(BigInt))
          : Float32Array.from(t.data),
      },
    ]),
  );
}

// Golden counts from the PyTorch twins (`/usr/bin/python3 bench/baselines_torch.py`), 12 leads. With 5 classes
// (PTB-XL superdiagnostic) they round to the 0.47M / 1.87M / 0.51M quoted for the benchmark's models.
const PUBLISHED_COUNTS = [
  { name: 'resnet1d_wang', build: resnet1dWangConfig, Model: ResNet1dWang, counts: { 5: 473_349, 71: 481_863 } },
  { name: 'xresnet1d101', build: xresnet1d101Config, Model: XResNet1d, counts: { 5: 1_872_261, 71: 1_880_775 } },
  { name: 'inception1d', build: inception1dConfig, Model: Inception1d, counts: { 5: 507_653, 71: 516_167 } },
] as const;

for (const { name, build, Model, counts } of PUBLISHED_COUNTS) {
  test(`${name}: parameter count of the benchmark configuration (12 leads, 5 and 71 classes)`, () => {
    for (const [classes, expected] of Object.entries(counts)) {
      const model = new Model(build(12, Number(classes)) as never);
      assert.equal(model.numParameters(), expected, `${name}, ${classes} classes`);
      model.dispose();
    }
  });
}

test("a fresh xresnet1d101 starts every block as its shortcut (the benchmark's zero_bn), the other layers as before", () => {
  const model = new XResNet1d(xresnet1d101Config(12, 5));
  const weights = new Map(model.namedParameters());
  let blocks = 0;
  for (const [name, p] of weights) {
    const last = /^blocks\.(\d+)\.convs\.2\.1\.weight$/.exec(name);
    if (last) blocks++;
    // Zero on each block's last BatchNorm; ones on the others (PyTorch's default).
    if (/\.1\.weight$/.test(name) && p.rank === 1)
      assert.ok(
        p.data<'float32'>().every((v) => v === (last ? 0 : 1)),
        `${name}: ${last ? 'zero' : 'one'} expected`,
      );
  }
  assert.equal(blocks, 3 + 4 + 23 + 3);
  model.eval();
  // Eval-mode logits of a fresh model stay on the scale of its inputs (they grew to ~5e6 without zero_bn).
  scope(() => {
    manualSeed(0);
    const logits = model.forward(F.randn([2, 12, 500])).data<'float32'>();
    assert.ok(
      logits.every((v) => Math.abs(v) < 100),
      `logits ${Array.from(logits).join(', ')}`,
    );
  });
  model.dispose();
});

fixture.cases.forEach((c, i) => {
  test(`parity with PyTorch: ${c.name} case ${i} (${JSON.stringify(c.config)})`, () => {
    const model = buildModel(c.name, c.config);
    assert.equal(model.numParameters(), c.parameters);
    model.loadState(stored(c.state), 'baselines fixture');
    scope(() => {
      const x = F.tensor(Float32Array.from(c.x.data), c.x.shape);
      model.eval();
      assertClose(model.features!(x), float32(c.features), 'eval features', 1e-4, 1e-4);
      assertClose(model.forward(x), float32(c.eval_logits), 'eval logits', 1e-4, 1e-4);
      model.train();
      assertClose(model.forward(x), float32(c.train_logits), 'training-mode logits', 1e-4, 1e-4);
    });
    model.dispose();
  });
});

fixture.cases.forEach((c, i) => {
  test(`initialisation like PyTorch's: ${c.name} case ${i} starts the same BatchNorm scales at 0`, () => {
    const model = buildModel(c.name, c.config);
    // Rank-1 weights are BatchNorm scales (convolution and linear weights have rank 3 and 2).
    const zero = model
      .namedParameters()
      .filter(([name, p]) => name.endsWith('.weight') && p.rank === 1 && p.data<'float32'>().every((v) => v === 0))
      .map(([name]) => name)
      .sort();
    assert.deepEqual(zero, c.zero_init_batchnorm);
    model.dispose();
  });
});

test('gradients reach every parameter of each baseline', () => {
  for (const c of fixture.cases.slice(0, 4)) {
    const model = buildModel(c.name, c.config);
    // The fixture's weights: a fresh xresnet's zero_bn blocks pass no gradient into their branch at the first step.
    model.loadState(stored(c.state), 'baselines fixture');
    scope(() => {
      const x = F.tensor(Float32Array.from(c.x.data), c.x.shape);
      // Not sum(logits²): with zero-initialised biases, a training-mode BatchNorm feeding the last Linear makes the
      // batch sum of the logits exactly zero, so that loss gives the last BatchNorm's shift a zero gradient in exact
      // arithmetic (rounding noise ~1e-6, sometimes exactly 0). Shifting the logits by 1 removes the cancellation.
      F.sum(F.pow(F.add(model.forward(x), 1), 2)).backward();
      for (const [name, p] of model.namedParameters()) {
        const g = p.grad;
        assert.ok(g, `${c.name}: ${name} has no gradient`);
        assert.ok(
          g.data<'float32'>().some((v) => v !== 0),
          `${c.name}: ${name} has an all-zero gradient`,
        );
      }
    });
    model.dispose();
  }
});

test('feature lengths: resnet1d_wang halves per later stage, xresnet1d101 divides by ~32, inception1d keeps L', () => {
  const cases: Array<[ArchitectureName, unknown, number[]]> = [
    ['resnet1d_wang', resnet1dWangConfig(12, 5), [1, 128, 25]],
    ['xresnet1d101', xresnet1d101Config(12, 5), [1, 256, 4]],
    ['inception1d', inception1dConfig(12, 5), [1, 128, 100]],
  ];
  for (const [name, config, expected] of cases) {
    const model = buildModel(name, config);
    model.eval();
    noGrad(() =>
      scope(() => {
        const x = F.randn([1, 12, 100]);
        assert.deepEqual([...model.features!(x).shape], expected, name);
        assert.deepEqual([...model.forward(x).shape], [1, 5], name);
      }),
    );
    model.dispose();
  }
});

test('inputs of the wrong rank or lead count are ShapeErrors naming the model', () => {
  const model = new ResNet1dWang(resnet1dWangConfig(12, 5));
  scope(() => {
    assert.throws(() => model.forward(F.randn([2, 8, 100])), (e: unknown) => {
      return e instanceof ShapeError && /resnet1d_wang: input must be \[batch, 12 leads/.test(e.message);
    });
    assert.throws(() => model.forward(F.randn([12, 100])), ShapeError);
  });
  model.dispose();
});

test('inception branch kernels: k, k/2, k/4 made odd (40 -> 39, 19, 9)', () => {
  assert.deepEqual(branchKernels(40), [39, 19, 9]);
  assert.deepEqual(branchKernels(12), [11, 5, 3]);
  assert.deepEqual(branchKernels(41), [41, 19, 9]);
});
