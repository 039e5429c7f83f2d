/**
 * Crafted and corrupt ONNX models: Predictor.load answers every one with one of our typed errors naming the file
 * (never onnxruntime's plain Error), quickly, and a model asking for an absurd sampling rate is refused from its
 * metadata before anything is sized from it. A graph that loads but lacks the inputs or outputs the predictor needs
 * is refused after its session is released.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession } from 'onnxruntime-node';
import { ConfigError, EcgError } from '../../src/errors.js';
import { onnx } from '../../src/export/onnx/graph.js';
import { parseModelInfo } from '../../src/infer/metadata.js';
import { Predictor } from '../../src/infer/predictor.js';

const MODEL = new URL('../../models/cinc2017-w0.25.onnx', import.meta.url);
const original = new Uint8Array(readFileSync(MODEL));

function edited(edit: (model: import('onnx-proto').onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(original);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

function setMetadata(model: import('onnx-proto').onnx.ModelProto, key: string, value: unknown): void {
  const entry = model.metadataProps.find((p) => p.key === key);
  if (entry) entry.value = JSON.stringify(value);
  else model.metadataProps.push(onnx.StringStringEntryProto.create({ key, value: JSON.stringify(value) }));
}

const HOSTILE: Array<[string, () => Uint8Array]> = [
  ['an unknown op', () => edited((m) => void (m.graph!.node![0]!.opType = 'NoSuchOp'))],
  ['a node reading a missing tensor', () => edited((m) => void (m.graph!.node![0]!.input![0] = 'nowhere'))],
  [
    'an initializer with too few bytes',
    () =>
      edited((m) => {
        const t = m.graph!.initializer!.find((i) => (i.rawData?.length ?? 0) > 16)!;
        t.rawData = t.rawData!.subarray(0, 8);
      }),
  ],
  [
    'an initializer with absurd dims',
    () => edited((m) => void (m.graph!.initializer![0]!.dims = [2 ** 31, 2 ** 31])),
  ],
  ['no graph nodes', () => edited((m) => void (m.graph!.node = []))],
  ['opset 999', () => edited((m) => void (m.opsetImport[0]!.version = 999))],
  ['sampling_rate 3e7', () => edited((m) => setMetadata(m, 'sampling_rate', 3e7))],
  ['sampling_rate 0', () => edited((m) => setMetadata(m, 'sampling_rate', 0))],
  ['a window of 2^40 samples', () => edited((m) => setMetadata(m, 'window', { samples: 2 ** 40 }))],
  [
    'beat decision offsets that do not match its labels',
    () => edited((m) => setMetadata(m, 'beats', { before: 45, after: 81, classOffsets: [0, -1.6] })),
  ],
  [
    'a non-numeric beat decision offset',
    () => edited((m) => setMetadata(m, 'beats', { before: 45, after: 81, classOffsets: [0, 'x', 0, 0] })),
  ],
  [
    'attention outputs that are not graph outputs',
    () =>
      edited((m) =>
        setMetadata(m, 'attention_outputs', { tokens: ['age'], outputs: { ecgToPatient: 'constructor' } }),
      ),
  ],
  ['truncated bytes', () => original.subarray(0, original.length >> 1)],
  ['random bytes', () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)],
  ['no bytes', () => new Uint8Array(0)],
];

for (const [what, make] of HOSTILE) {
  test(`Predictor.load refuses a model with ${what} with a typed error`, async () => {
    const bytes = make();
    const dir = mkdtempSync(join(tmpdir(), 'ecg-model-'));
    const path = join(dir, 'crafted.onnx');
    writeFileSync(path, bytes);
    await assert.rejects(
      Predictor.load(path, { backend: 'node' }),
      (e: unknown) => e instanceof EcgError && e.message.includes(path),
    );
  });
}

test('Predictor.load: a missing file and a directory are typed errors naming the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-model-'));
  for (const path of [join(dir, 'absent.onnx'), dir])
    await assert.rejects(
      Predictor.load(path, { backend: 'node' }),
      (e: unknown) => e instanceof EcgError && e.message.includes(path),
    );
});

/** Renames a graph tensor everywhere it appears (graph inputs/outputs and node inputs/outputs). */
function renamed(from: string, to: string): Uint8Array {
  return edited((m) => {
    const g = m.graph!;
    for (const value of [...g.input!, ...g.output!]) if (value.name === from) value.name = to;
    for (const node of g.node!) {
      node.input = node.input!.map((name) => (name === from ? to : name));
      node.output = node.output!.map((name) => (name === from ? to : name));
    }
  });
}

/** onnxruntime's session class, typed as a factory interface: sessions are instances of it. */
const sessionClass = InferenceSession as unknown as { prototype: { release: () => Promise<void> } };

for (const [what, bytes, error] of [
  ["no 'logits' output", () => renamed('logits', 'scores'), /the graph has no 'logits' output/],
  ["no 'ecg' input", () => renamed('ecg', 'signal'), /the graph lacks input\(s\) ecg \(has signal\)/],
] as const) {
  test(`Predictor.load refuses a graph with ${what} and releases its onnxruntime session`, async (t) => {
    const release = t.mock.method(sessionClass.prototype, 'release');
    await assert.rejects(
      Predictor.load(bytes(), { backend: 'node' }),
      (e: unknown) => e instanceof ConfigError && error.test(e.message),
    );
    assert.equal(release.mock.callCount(), 1, 'the session onnxruntime created is released');
  });
}

test('patient groups that would feed NaN or index -1 are refused from the metadata', () => {
  const fusion = onnx.ModelProto.decode(
    new Uint8Array(readFileSync(new URL('../../models/ptbxl-fusion-w0.25.onnx', import.meta.url))),
  );
  const metadata = Object.fromEntries(
    fusion.metadataProps.map((p) => [p.key!, JSON.parse(p.value!) as unknown]),
  );
  const groups = metadata.patient_groups as Array<Record<string, unknown>>;
  assert.ok(parseModelInfo(metadata, 'fusion.onnx').patientGroups.length === groups.length);
  const refused = (
    edit: (group: Record<string, unknown>) => Record<string, unknown>,
    kind: string,
    text: RegExp,
  ) =>
    assert.throws(
      () =>
        parseModelInfo(
          { ...metadata, patient_groups: groups.map((g) => (g.kind === kind ? edit(g) : g)) },
          'fusion.onnx',
        ),
      (e: unknown) => e instanceof ConfigError && e.message.includes('fusion.onnx') && text.test(e.message),
    );
  refused((g) => ({ ...g, mean: [] }), 'numeric', /one value per feature/);
  refused(
    (g) => ({ ...g, unknown: 'not-a-category' }),
    'categorical',
    /unknown must be one of the categories/,
  );
});
