/**
 * Self-supervised pre-training: NT-Xent and its gradient equal PyTorch's (test/fixtures/train/make_ntxent_golden.py),
 * batches never pair a record with itself, both views come from one stretch of one lead, a killed and resumed run
 * ends with the same weights as a straight one, and a supervised run on another lead count starts from the
 * pre-trained checkpoint (stem adapted, classifier fresh).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { pretrainConfigFromFlags } from '../../src/cli/pretrain.js';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { PRETRAIN_DEFAULTS } from '../../src/train/config.js';
import { train } from '../../src/train/index.js';
import {
  assembleViews,
  distinctBatches,
  epochExamples,
  ntXent,
  openSources,
  pretrain,
  PRETRAIN_METRIC,
  retrievalTop1,
  type PretrainRecord,
} from '../../src/train/pretrain.js';
import { seededRandom } from '../../src/train/random.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig } from './helpers.js';

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/train/ntxent-golden.json', import.meta.url), 'utf8'),
) as { z: number[][]; temperature: number; loss: number; grad: number[][] };

test("NT-Xent and its gradient equal PyTorch's", () => {
  const z = F.tensor(Float64Array.from(golden.z.flat()), [golden.z.length, golden.z[0]!.length]);
  z.requiresGrad = true;
  const loss = ntXent(z, golden.temperature);
  assert.ok(Math.abs(loss.item() - golden.loss) < 1e-9, `${loss.item()} vs ${golden.loss}`);
  loss.backward();
  const grad = z.grad!.data();
  golden.grad.flat().forEach((g, i) => assert.ok(Math.abs(grad[i]! - g) < 1e-9, `grad ${i}`));
  assert.throws(() => ntXent(F.zeros([3, 4]), 0.1), ConfigError);
});

test('retrieval top-1: partners found, shuffled partners not', () => {
  const a = Float32Array.from([1, 0, 0, 1, 1, 1]);
  assert.equal(retrievalTop1(a, Float32Array.from([2, 0, 0, 3, 1, 1.1]), 2), 1);
  assert.equal(retrievalTop1(a, Float32Array.from([0, 1, 1, 0, -1, -1]), 2), 0);
});

test('batches never hold one record twice; every example of an epoch is used or a dropped repeat', () => {
  const records = [0, 1, 2, 3, 4].map((r) => fakeRecord(r, 1000 * (r + 1)));
  const examples = epochExamples(records, 1000, 3, seededRandom(1));
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((r) => examples.filter((e) => e === r).length),
    [1, 2, 3, 3, 3],
  );
  const batches = distinctBatches(examples, 4);
  for (const batch of batches) assert.equal(new Set(batch).size, batch.length);
  assert.ok(batches.every((batch) => batch.length >= 2));
  const used = batches.flat().length;
  assert.ok(used >= examples.length - 4 && used <= examples.length, `${used} of ${examples.length}`);
});

test('fewer records than the batch size: repeats wait for the next batches instead of being dropped', () => {
  const batches = distinctBatches([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 8);
  assert.deepEqual(batches, [
    [0, 1, 2],
    [0, 1, 2],
    [0, 1, 2],
    [0, 1, 2],
  ]);
  // Only a last lone record is dropped (no negative for it).
  assert.deepEqual(distinctBatches([0, 0, 1], 4), [[0, 1]]);
});

test('both views of an example are crops of one stretch of one lead', () => {
  // Two leads whose samples encode (lead, position): each crop must read 40 consecutive positions of one lead, and
  // its partner the same lead within the same 100-sample stretch.
  const record = fakeRecord(0, 1000, 2);
  const spec = {
    segment: 100,
    window: { samples: 40, shortRecords: 'zero-pad' as const, fs: 100 },
    augment: {
      ...PRETRAIN_DEFAULTS.augment,
      scale: { p: 0, strength: 0 },
      noise: { p: 0, std: 0 },
      wander: { p: 0, amplitude: 0, maxHz: 0.5 },
    },
  };
  for (let trial = 0; trial < 20; trial++) {
    const views = assembleViews([record], [0], spec, seededRandom(trial));
    const first = views.subarray(0, 40);
    const second = views.subarray(40, 80);
    const lead = (v: Float32Array) => Math.floor(v[0]! / 10000);
    for (const view of [first, second])
      for (let i = 1; i < 40; i++)
        assert.equal(view[i]! - view[i - 1]!, 1, 'consecutive samples of one lead');
    assert.equal(lead(first), lead(second));
    const span = Math.max(first[39]!, second[39]!) - Math.min(first[0]!, second[0]!);
    assert.ok(span < 100, `views ${span + 1} samples apart: not one 100-sample stretch`);
  }
});

function pretrainConfig(out: string, overrides: Record<string, unknown> = {}) {
  return tinyConfig(out, {
    batchSize: 6,
    epochs: 2,
    windowSeconds: 1,
    pretrain: {
      ...PRETRAIN_DEFAULTS,
      sources: [{ dataset: 'custom', data: '<memory>' }],
      segmentSeconds: 2,
      projection: 8,
      validationFraction: 0.2,
    },
    ...overrides,
  });
}

test('pre-training resumes exactly, and its checkpoint starts a supervised run on 3 leads', async () => {
  const { dir, dispose } = tempDir();
  try {
    const data = () => [syntheticDataset({ records: 24, fs: 50 })];
    const straight = await pretrain(pretrainConfig(join(dir, 'straight')), {}, data());
    assert.equal(straight.validation?.metric, PRETRAIN_METRIC);
    const value = straight.validation?.value ?? -1;
    assert.ok(value >= 0 && value <= 1);
    const killed = join(dir, 'killed');
    const controller = new AbortController();
    const first = await pretrain(
      pretrainConfig(killed),
      { signal: controller.signal, onLog: (line) => line.type === 'epoch' && controller.abort() },
      data(),
    );
    assert.equal(first.aborted, true);
    assert.equal(first.state.epoch, 1);
    await pretrain(pretrainConfig(killed), { resume: true }, data());
    const a = readCheckpoint(straight.lastPath).state;
    const b = readCheckpoint(join(killed, 'last.safetensors')).state;
    for (const [name, tensor] of a) assert.deepEqual(b.get(name)!.data, tensor.data, name);

    const notices: string[] = [];
    await train(
      tinyConfig(join(dir, 'fine-tune'), { epochs: 1, init: straight.lastPath }),
      syntheticDataset({ records: 24, fs: 50, leads: 3 }),
      { onNotice: (message) => notices.push(message) },
    );
    const summary = notices.join('\n');
    assert.match(summary, /1 adapted \(stem\.0\.weight \(1 -> 3 leads\)\)/, summary);
    assert.match(summary, /2 re-initialised \(classifier\.weight, classifier\.bias\)/, summary);
    assert.doesNotMatch(summary, /unused/, summary);
  } finally {
    dispose();
  }
});

function fakeRecord(r: number, length: number, leads = 1): PretrainRecord {
  const samples = new Float32Array(leads * length);
  for (let l = 0; l < leads; l++) for (let i = 0; i < length; i++) samples[l * length + i] = l * 10000 + i;
  return { id: `x:${r}`, store: { samples, leads, slots: [{ offset: 0, length }] }, index: 0 };
}

test('pretrain flags: sources by name, a missing folder named, file < flags', () => {
  const { dir, dispose } = tempDir();
  try {
    const config = pretrainConfigFromFlags({
      source: [
        { dataset: 'cinc2017', data: dir },
        { dataset: 'ludb', data: dir },
      ],
      out: join(dir, 'out'),
      temperature: 0.2,
    });
    assert.equal(config.pretrain?.sources.length, 2);
    assert.equal(config.pretrain?.temperature, 0.2);
    assert.equal(config.pretrain?.segmentSeconds, PRETRAIN_DEFAULTS.segmentSeconds);
    assert.equal(config.windowSeconds, 2.5);
    assert.throws(
      () => pretrainConfigFromFlags({ source: [{ dataset: 'ludb', data: join(dir, 'nope') }], out: dir }),
      (error: Error) => error instanceof MissingFileError && error.message.includes('nope'),
    );
  } finally {
    dispose();
  }
});

/**
 * Real records of three lead counts (CinC 2017, PTB-XL, MIT-BIH fixtures) in sub-folders, an ECG table without
 * its sampling rate, and a note.
 */
function recordFolder(dir: string): string {
  const folder = join(dir, 'records');
  const wfdb = fileURLToPath(new URL('../fixtures/wfdb/', import.meta.url));
  const place = (sub: string, files: string[]) => {
    mkdirSync(join(folder, sub), { recursive: true });
    for (const file of files) cpSync(join(wfdb, file), join(folder, sub, file));
  };
  for (const sub of ['a', 'b', 'c', 'd']) place(sub, ['A00001.hea', 'A00001.mat']);
  for (const sub of ['e', 'f']) place(sub, ['00001_lr.hea', '00001_lr.dat']);
  place('g', ['208x.hea', '208x.dat', '208x.atr']);
  writeFileSync(join(folder, 'nofs.csv'), '0.1,0.2\n0.3,0.4\n');
  writeFileSync(join(folder, 'notes.txt'), 'recorded in 2026\n');
  return folder;
}

test('a folder source: its records by lead count, the unreadable named, and a pre-training run on them', async () => {
  const { dir, dispose } = tempDir();
  try {
    const folder = recordFolder(dir);
    const sources = [{ dataset: 'folder' as const, data: folder }];
    const notices: string[] = [];
    const opened = await openSources({ ...PRETRAIN_DEFAULTS, sources }, (message) => notices.push(message));
    assert.deepEqual(
      opened.map((dataset) => [dataset.name, dataset.entries.map((entry) => entry.id)]),
      [
        ['folder-1lead', ['a/A00001', 'b/A00001', 'c/A00001', 'd/A00001']],
        ['folder-12lead', ['e/00001_lr', 'f/00001_lr']],
        ['folder-2lead', ['g/208x']],
      ],
    );
    assert.equal(notices.length, 1);
    assert.match(
      notices[0]!,
      /7 records \(4 with 1 lead\(s\), 2 with 12 lead\(s\), 1 with 2 lead\(s\)\); 1 not read: nofs\.csv \(unreadable: .*no time column.*\); 1 other file\(s\) ignored$/,
    );
    const config = pretrainConfig(join(dir, 'run'), {
      epochs: 1,
      batchSize: 4,
      cacheDir: join(dir, 'cache'),
      preprocess: { fs: 50, bandpass: null, standardize: true },
      pretrain: { ...pretrainConfig(dir).pretrain, sources },
    });
    const result = await pretrain(config, { onNotice: () => undefined });
    assert.equal(result.state.epoch, 1);
    const metadata = readCheckpoint(result.lastPath).metadata.extra as {
      pretrain: { records: { train: number; validation: number } };
    };
    assert.deepEqual(metadata.pretrain.records, { train: 5, validation: 2 });
  } finally {
    dispose();
  }
});

test("--records-fs gives a folder's rate-less tables their rate; other records keep theirs", async () => {
  const { dir, dispose } = tempDir();
  try {
    const folder = recordFolder(dir);
    const config = pretrainConfigFromFlags({
      source: [{ dataset: 'folder', data: folder }],
      recordsFs: 250,
      out: join(dir, 'out'),
    });
    assert.deepEqual(config.pretrain?.sources, [{ dataset: 'folder', data: folder, fs: 250 }]);
    const opened = await openSources(config.pretrain!, () => undefined);
    const twoLeads = opened.find((dataset) => dataset.name === 'folder-2lead')!;
    assert.deepEqual(
      twoLeads.entries.map((entry) => entry.id),
      ['nofs.csv', 'g/208x'], // a folder's own files before its sub-folders'
    );
    assert.equal((await twoLeads.load('nofs.csv')).record.fs, 250);
    assert.equal((await twoLeads.load('g/208x')).record.fs, 360);
    assert.throws(
      () => pretrainConfigFromFlags({ source: [{ dataset: 'ludb', data: dir }], recordsFs: 250, out: dir }),
      (error: Error) => error instanceof ConfigError && /--records-fs/.test(error.message),
    );
  } finally {
    dispose();
  }
});

test('a folder with no readable record is an error naming the folder', async () => {
  const { dir, dispose } = tempDir();
  try {
    writeFileSync(join(dir, 'nofs.csv'), '0.1,0.2\n0.3,0.4\n');
    await assert.rejects(
      openSources({ ...PRETRAIN_DEFAULTS, sources: [{ dataset: 'folder', data: dir }] }, () => undefined),
      (error: Error) =>
        error instanceof ConfigError && error.message.includes(dir) && /nofs/.test(error.message),
    );
  } finally {
    dispose();
  }
});
