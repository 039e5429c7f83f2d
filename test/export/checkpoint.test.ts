/** safetensors codec and checkpoints: reference file, round trips, atomic writes, and every kind of bad file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, MissingFileError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors.js';
import {
  decodeCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  encodeCheckpoint,
} from '../../src/export/checkpoint.js';
import { manualSeed, ops as F, scope } from '../../src/engine/index.js';
import { BatchNorm1d, Linear, Sequential } from '../../src/nn/index.js';

const reference = new Uint8Array(
  readFileSync(new URL('../fixtures/export/reference.safetensors', import.meta.url)),
);

test('decodes a safetensors file written by an independent numpy writer', () => {
  const { tensors, metadata } = decodeSafetensors(reference, 'reference.safetensors');
  assert.deepEqual(metadata, { format: 'test', note: 'written by numpy' });
  const conv = tensors.get('conv.weight')!;
  assert.equal(conv.dtype, 'float32');
  assert.deepEqual(conv.shape, [2, 3, 4]);
  assert.ok(Math.abs((conv.data[23] as number) - 23 / 7) < 1e-6);
  assert.deepEqual([...(tensors.get('bn.num_batches_tracked')!.data as BigInt64Array)], [5n]);
  assert.deepEqual(tensors.get('bn.num_batches_tracked')!.shape, []);
  assert.deepEqual([...(tensors.get('head.bias')!.data as Float64Array)], [1.5, -2.25]);
  assert.deepEqual([...(tensors.get('ids')!.data as Int32Array)], [1, -2, 3, 4]);
});

test('encode then decode is the identity, and the data section is 8-byte aligned', () => {
  const { tensors, metadata } = decodeSafetensors(reference);
  const bytes = encodeSafetensors(tensors, metadata);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0);
  const again = decodeSafetensors(bytes);
  assert.deepEqual(again.metadata, metadata);
  for (const [name, t] of tensors) assert.deepEqual(again.tensors.get(name), t);
  // Alignment counts UTF-8 bytes: labels of a user's dataset may hold "é" (2 bytes) or "–" (3).
  for (const label of ['é', 'Vorhofflattern – atypisch', 'ab']) {
    const encoded = encodeSafetensors(tensors, { ...metadata, label });
    assert.equal((8 + Number(new DataView(encoded.buffer).getBigUint64(0, true))) % 8, 0, label);
    assert.equal(decodeSafetensors(encoded).metadata.label, label);
  }
});

const corruptions: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
  ['empty file', () => new Uint8Array(0), /truncated/],
  ['truncated data', (b) => b.slice(0, b.length - 10), /outside|truncated/],
  ['truncated header', (b) => b.slice(0, 40), /truncated/],
  [
    'absurd header length',
    (b) => {
      const c = b.slice();
      new DataView(c.buffer).setBigUint64(0, 1n << 40n, true);
      return c;
    },
    /not a safetensors/,
  ],
  [
    'header not JSON',
    (b) => {
      const c = b.slice();
      c[9] = 0x7b;
      c[10] = 0x7b;
      return c;
    },
    /not JSON|not a safetensors/,
  ],
  [
    'a foreign file',
    () => new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not a checkpoint at all'),
    /not a safetensors|truncated/,
  ],
];

for (const [name, corrupt, message] of corruptions) {
  test(`a ${name} is a CheckpointError naming the file`, () => {
    assert.throws(
      () => decodeSafetensors(corrupt(reference), 'model.safetensors'),
      (error: unknown) => {
        assert.ok(error instanceof CheckpointError, `got ${String(error)}`);
        assert.match(error.message, /^model\.safetensors: /);
        assert.match(error.message, message);
        return true;
      },
    );
  });
}

test('every random single-byte corruption of the header is either decoded or a CheckpointError', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const headerEnd = 8 + Number(new DataView(reference.buffer, reference.byteOffset).getBigUint64(0, true));
  for (let i = 0; i < 300; i++) {
    const bytes = reference.slice();
    bytes[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
    try {
      decodeSafetensors(bytes);
    } catch (error) {
      assert.ok(error instanceof CheckpointError, `case ${i}: ${String(error)}`);
    }
  }
});

function makeModel() {
  return new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 2));
}

test('a checkpoint round-trips weights, buffers and metadata exactly, and is written atomically', () => {
  manualSeed(11);
  const dir = mkdtempSync(join(tmpdir(), 'eecg-ckpt-'));
  const path = join(dir, 'model.safetensors');
  const model = makeModel();
  scope(() => model.forward(F.randn([5, 3]))); // moves BatchNorm's running statistics
  const metadata = {
    model: { name: 'mlp', config: { hidden: 4 } },
    labels: ['NORM', 'MI'],
    preprocessing: { fs: 100 },
  };
  saveCheckpoint(path, model, metadata);
  saveCheckpoint(path, model, metadata); // overwriting leaves no temporary files behind
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  const checkpoint = readCheckpoint(path);
  assert.deepEqual(checkpoint.metadata.labels, ['NORM', 'MI']);
  assert.deepEqual(checkpoint.metadata.model, metadata.model);
  const copy = makeModel();
  copy.loadState(checkpoint.state, path);
  for (const [name, t] of model.stateDict()) {
    assert.deepEqual(copy.stateDict().get(name)!.data(), t.data(), name);
  }
  model.dispose();
  copy.dispose();
});

test('loading a checkpoint into the wrong architecture lists every missing, unexpected and mis-shaped key at once', () => {
  const model = makeModel();
  const checkpoint = decodeCheckpoint(
    encodeCheckpoint(model, { model: { name: 'mlp', config: {} }, labels: ['a', 'b'], preprocessing: {} }),
  );
  const other = new Sequential(new Linear(3, 5), new BatchNorm1d(5));
  assert.throws(
    () => other.loadState(checkpoint.state, 'ckpt.safetensors'),
    (error: unknown) => {
      assert.ok(error instanceof CheckpointError);
      assert.match(error.message, /ckpt\.safetensors does not fit Sequential/);
      assert.match(error.message, /unexpected keys: 2\.bias, 2\.weight/);
      assert.match(error.message, /0\.weight: expected \[5, 3\], got \[4, 3\]/);
      assert.match(error.message, /1\.running_mean: expected \[5\], got \[4\]/);
      return true;
    },
  );
  model.dispose();
  other.dispose();
});

test('a safetensors file that is not an EfficientECG checkpoint, or of a newer format, is refused clearly', () => {
  assert.throws(
    () => decodeCheckpoint(reference, 'x.safetensors'),
    /x\.safetensors: not an EfficientECG checkpoint/,
  );
  const future = encodeSafetensors(new Map(), { format: 'efficientecg-checkpoint', format_version: '99' });
  assert.throws(() => decodeCheckpoint(future, 'y.safetensors'), /format version 99 is not supported/);
  assert.throws(() => readCheckpoint('/nonexistent/model.safetensors'), MissingFileError);
});

test('readCheckpoint refuses a directory with a CheckpointError naming it (fuzz checkpoint-dir)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-ckpt-'));
  const folder = join(dir, 'model.safetensors');
  mkdirSync(folder);
  try {
    assert.throws(
      () => readCheckpoint(folder),
      (error: unknown) =>
        error instanceof CheckpointError &&
        error.message === `${folder}: a directory, not a checkpoint file (a .safetensors file): refused`,
    );
    // A path through a file (ENOTDIR) is missing, as a path that does not exist.
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(() => readCheckpoint(join(dir, 'file', 'm.safetensors')), MissingFileError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readCheckpoint refuses a FIFO at once instead of waiting for a writer (fuzz checkpoint-fifo)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-ckpt-'));
  const fifo = join(dir, 'model.safetensors');
  try {
    try {
      execFileSync('mkfifo', [fifo], { stdio: 'ignore' });
    } catch {
      t.skip('mkfifo is not available');
      return;
    }
    // In a child process with a deadline: the old read blocked the whole thread forever, which no in-process
    // timeout can interrupt.
    const module = fileURLToPath(new URL('../../src/export/checkpoint.ts', import.meta.url));
    const script = `import { readCheckpoint } from ${JSON.stringify(module)};
      try { readCheckpoint(${JSON.stringify(fifo)}); console.log('returned'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.signal, null, `readCheckpoint on a FIFO still running after 20 s: ${child.stderr}`);
    assert.equal(
      child.stdout.trim(),
      `CheckpointError: ${fifo}: a FIFO, not a checkpoint file (a .safetensors file): refused`,
      child.stderr,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing into a missing folder fails without leaving anything behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eecg-ckpt-'));
  const model = makeModel();
  assert.throws(() =>
    saveCheckpoint(join(dir, 'missing', 'm.safetensors'), model, {
      model: { name: 'm', config: {} },
      labels: [],
      preprocessing: {},
    }),
  );
  assert.deepEqual(readdirSync(dir), []);
  writeFileSync(join(dir, 'keep.txt'), 'x');
  model.dispose();
});

test("loading a state dict restores BatchNorm's batch counter, which then keeps counting", () => {
  const model = makeModel();
  scope(() => {
    model.forward(F.randn([5, 3]));
    model.forward(F.randn([5, 3]));
  });
  const copy = makeModel();
  copy.loadState(model.exportState());
  scope(() => copy.forward(F.randn([5, 3])));
  const counter = copy.stateDict().get('1.num_batches_tracked')!;
  assert.deepEqual([...counter.data<'int64'>()], [3n]);
  model.dispose();
  copy.dispose();
});
