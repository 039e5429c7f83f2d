/** Model registry: the table, config validation, buildModel, and rebuilding models from checkpoints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, ops as F, scope } from '../../src/engine/index.js';
import { CheckpointError, ConfigError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMetadata } from '../../src/export/checkpoint.js';
import {
  EfficientECG,
  efficientEcgConfig,
  keepResolution,
  type EfficientEcgVariant,
} from '../../src/models/efficientecg.js';
import { Inception1d, ResNet1dWang, XResNet1d } from '../../src/models/baselines/index.js';
import {
  ARCHITECTURES,
  architectureNames,
  buildModel,
  defaultConfig,
  isArchitectureName,
  modelFromCheckpoint,
  parseConfig,
  type ArchitectureName,
  type EcgModel,
} from '../../src/models/registry.js';
import { toNumbers } from '../helpers/tensors.js';

const SMALL: Array<[ArchitectureName, Record<string, unknown>]> = [
  ['resnet1d_wang', { ...defaultConfig('resnet1d_wang', 2, 3), channels: 8 }],
  ['xresnet1d101', { ...defaultConfig('xresnet1d101', 2, 3), stemChannels: [4, 4, 8], layers: [1, 1], widths: [2, 3] }],
  ['inception1d', { ...defaultConfig('inception1d', 2, 3), kernel: 8, depth: 3, bottleneck: 2, filters: 2 }],
  ['efficientecg-w0.25', {
    ...defaultConfig('efficientecg-w0.25', 2, 3),
    headChannels: 16,
    stages: [
      { expand: 1, channels: 16, repeats: 1, stride: 1, kernel: 3 },
      { expand: 6, channels: 24, repeats: 2, stride: 2, kernel: 5 },
    ],
  }],
];

function checkpointOf(model: EcgModel, name: string, config: unknown, labels: string[]): Uint8Array {
  const metadata: CheckpointMetadata = { model: { name, config }, labels, preprocessing: { fs: 100 } };
  return encodeCheckpoint(model, metadata);
}

function expectError(fn: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('the table has the thirteen architectures; every default config passes its own schema', () => {
  assert.deepEqual(architectureNames().sort(), [
    'efficientecg-b0',
    'efficientecg-b1',
    'efficientecg-b2',
    'efficientecg-b3',
    'efficientecg-beat',
    'efficientecg-fusion',
    'efficientecg-w0.25',
    'efficientecg-w0.25-r2',
    'efficientecg-w0.25-r4',
    'efficientecg-w0.5',
    'inception1d',
    'resnet1d_wang',
    'xresnet1d101',
  ]);
  for (const name of architectureNames()) {
    assert.ok(ARCHITECTURES[name].summary.length > 0, name);
    const config = defaultConfig(name, 12, 5);
    assert.deepEqual(parseConfig(name, config), config, name);
  }
  assert.ok(isArchitectureName('inception1d'));
  assert.ok(!isArchitectureName('toString'));
  assert.ok(!isArchitectureName(42));
  // A beat config with a broken backbone is refused with the path of the problem.
  const beat = defaultConfig('efficientecg-beat', 1, 5) as { fusion: { backbone: { width: number } } };
  assert.throws(
    () => parseConfig('efficientecg-beat', { ...beat, fusion: { ...beat.fusion, backbone: { ...beat.fusion.backbone, width: -1 } } }),
    /backbone\.width/,
  );
  assert.throws(() => parseConfig('efficientecg-beat', { rrContext: 'sometimes' }), /invalid efficientecg-beat config/);
});

test('the EfficientECG entries give each variant config and build an EfficientECG', () => {
  for (const variant of ['b0', 'b1', 'b2', 'b3', 'w0.5', 'w0.25', 'w0.25-r2', 'w0.25-r4'] as EfficientEcgVariant[]) {
    const name = `efficientecg-${variant}` as ArchitectureName;
    assert.deepEqual(defaultConfig(name, 12, 5), efficientEcgConfig(variant, 12, 5), name);
  }
  const model = buildModel('efficientecg-w0.25', defaultConfig('efficientecg-w0.25', 12, 5));
  assert.ok(model instanceof EfficientECG);
  assert.deepEqual(model.config, efficientEcgConfig('w0.25', 12, 5));
  model.dispose();
});

test('temporal-resolution variants keep 2x / 4x more positions by dropping the first downsamplings', () => {
  assert.deepEqual(keepResolution(1), { stem: 2, stages: [1, 2, 2, 2, 1, 2, 1] });
  assert.deepEqual(keepResolution(2), { stem: 1, stages: [1, 2, 2, 2, 1, 2, 1] });
  assert.deepEqual(keepResolution(4), { stem: 1, stages: [1, 1, 2, 2, 1, 2, 1] });
  for (const [variant, positions] of [
    ['w0.25', 32],
    ['w0.25-r2', 63],
    ['w0.25-r4', 125],
  ] as const) {
    const model = buildModel(`efficientecg-${variant}`, defaultConfig(`efficientecg-${variant}`, 12, 5));
    model.eval();
    noGrad(() =>
      scope(() => assert.deepEqual([...model.features!(F.randn([1, 12, 1000])).shape].slice(2), [positions], variant)),
    );
    model.dispose();
  }
});

test('buildModel: the baselines build their classes and run on [N, leads, L]', () => {
  const expected = { resnet1d_wang: ResNet1dWang, xresnet1d101: XResNet1d, inception1d: Inception1d };
  for (const [name, config] of SMALL.slice(0, 3)) {
    const model = buildModel(name, config);
    assert.ok(model instanceof expected[name as keyof typeof expected], name);
    model.eval();
    noGrad(() => scope(() => assert.deepEqual([...model.forward(F.randn([2, 2, 64])).shape], [2, 3], name)));
    model.dispose();
  }
});

test('unknown architectures are ConfigErrors that list the known names', () => {
  expectError(() => buildModel('resnet50', {}), ConfigError, /unknown architecture "resnet50" \(known: .*inception1d/);
  expectError(() => defaultConfig('efficientecg', 12, 5), ConfigError, /unknown architecture "efficientecg"/);
});

test('invalid configs are ConfigErrors naming each bad field', () => {
  const wang = defaultConfig('resnet1d_wang', 12, 5);
  const b0 = defaultConfig('efficientecg-b0', 12, 5) as { stages: Array<{ kernel: number }>; stemKernel: number };
  const cases: Array<[string, unknown, RegExp]> = [
    ['resnet1d_wang', { ...wang, kernels: [4, 3] }, /invalid resnet1d_wang config: kernels\.0: kernel sizes must be odd/],
    ['resnet1d_wang', { ...wang, classes: 0, leads: 1.5 }, /leads: .*; classes: /],
    ['resnet1d_wang', { ...wang, chanels: 64 }, /chanels/],
    ['resnet1d_wang', { ...wang, dropout: 1 }, /dropout/],
    ['xresnet1d101', { ...defaultConfig('xresnet1d101', 12, 5), widths: [64, 64] }, /widths: layers and widths/],
    ['xresnet1d101', { ...defaultConfig('xresnet1d101', 12, 5), expansion: 2 }, /expansion/],
    ['inception1d', { ...defaultConfig('inception1d', 12, 5), depth: 4 }, /depth: depth must be a multiple of 3/],
    ['efficientecg-b0', { ...defaultConfig('efficientecg-b0', 12, 5), stages: [] }, /stages: /],
    // Even kernels built and then failed at the first forward (a residual add one sample off).
    ['efficientecg-b0', { ...b0, stages: b0.stages.map((s, i) => (i === 1 ? { ...s, kernel: 4 } : s)) }, /stages\.1\.kernel: kernel sizes must be odd/],
    ['efficientecg-b0', { ...b0, stemKernel: 6 }, /stemKernel: kernel sizes must be odd/],
    ['efficientecg-b0', 'b0', /\(config\): /],
    ['inception1d', null, /invalid inception1d config/],
  ];
  for (const [name, config, pattern] of cases) expectError(() => buildModel(name, config), ConfigError, pattern);
});

test('efficientecg-fusion builds from its config and validates backbone and head settings', () => {
  const config = defaultConfig('efficientecg-fusion', 1, 3);
  const small = { ...config, backbone: { ...defaultConfig('efficientecg-w0.25', 1, 3) }, dModel: 16, heads: 2 };
  const model = buildModel('efficientecg-fusion', small);
  model.eval();
  noGrad(() =>
    scope(() => {
      const patients = (model as unknown as { encodePatients(rows: object[]): unknown }).encodePatients([
        { age: 50, sex: 'female' },
        { age: null, sex: 'unknown' },
      ]);
      assert.deepEqual([...model.forward(F.randn([2, 1, 256]), patients).shape], [2, 3]);
    }),
  );
  model.dispose();
  expectError(() => buildModel('efficientecg-fusion', { ...small, heads: 3 }), ConfigError, /dModel 16 is not divisible by heads 3/);
  expectError(
    () => buildModel('efficientecg-fusion', { ...small, backbone: { ...small.backbone, leads: 0 } }),
    ConfigError,
    /backbone\.leads/,
  );
  expectError(() => buildModel('efficientecg-fusion', 'fusion'), ConfigError, /must be an object/);
});

for (const [name, config] of SMALL) {
  test(`modelFromCheckpoint rebuilds ${name} with identical outputs`, () => {
    const model = buildModel(name, config);
    const bytes = checkpointOf(model, name, config, ['a', 'b', 'c']);
    const rebuilt = modelFromCheckpoint(decodeCheckpoint(bytes, 'round-trip'), 'round-trip');
    assert.equal(rebuilt.constructor, model.constructor);
    model.eval();
    rebuilt.eval();
    noGrad(() =>
      scope(() => {
        const x = F.randn([2, 2, 64]);
        assert.deepEqual(toNumbers(rebuilt.forward(x)), toNumbers(model.forward(x)));
      }),
    );
    model.dispose();
    rebuilt.dispose();
  });
}

test('modelFromCheckpoint: CheckpointErrors for unknown names, bad configs, label counts and foreign weights', () => {
  const [name, config] = SMALL[0]!;
  const model = buildModel(name, config);
  const load = (n: string, c: unknown, labels = ['a', 'b', 'c']) =>
    modelFromCheckpoint(decodeCheckpoint(checkpointOf(model, n, c, labels)), 'model.safetensors');
  expectError(() => load('resnet1d', config), CheckpointError, /^model\.safetensors: unknown architecture "resnet1d"/);
  expectError(() => load(name, { ...config, blocks: [] }), CheckpointError, /model\.safetensors: invalid resnet1d_wang config: blocks/);
  expectError(() => load(name, config, ['a', 'b']), CheckpointError, /3 classes but the checkpoint lists 2 labels/);
  expectError(
    () => load(name, { ...config, channels: 16 }),
    CheckpointError,
    /model\.safetensors does not fit ResNet1dWang: shape mismatches: stem\.0\.weight: expected \[16, 2, 7\], got \[8, 2, 7\]/,
  );
  expectError(() => load(name, { ...config, blocks: [1, 1, 1, 1] }), CheckpointError, /missing keys: blocks\.3\./);
  expectError(() => load('efficientecg-fusion', {}), CheckpointError, /invalid efficientecg-fusion config/);
  model.dispose();
});
