/**
 * Data-parallel training through the one loop (src/train/loop.ts + src/train/distributed.ts), ranks as separate
 * processes on 127.0.0.1 (test/helpers/distributed-train-rank.ts): 2 ranks x batch 16 end 5 steps with the parameters
 * of 1 rank x batch 32 on the same examples, though each rank initialised differently; a rank killed mid-run makes
 * the other stop with a typed error instead of hanging.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buckets, contiguousPart } from '../../src/train/distributed.js';
import * as F from '../../src/engine/ops.js';
import { freePort } from '../helpers/ports.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { applyCvFold } from '../../src/train/cv-folds.js';
import { loadTrainingData, preprocessOf } from '../../src/train/data.js';
import { RUN_FILES } from '../../src/train/loop.js';
import { restoredModel } from '../../src/train/model.js';
import { predictRecords } from '../../src/train/validate.js';
import { tinyConfig } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

const rankScript = fileURLToPath(new URL('../helpers/distributed-train-rank.ts', import.meta.url));
const cvRankScript = fileURLToPath(new URL('../helpers/distributed-cv-rank.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eecg-ddp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface RankReport {
  done?: boolean;
  parameters?: number[][];
  stats?: { steps: number; bytesPerStep: number };
  error?: string;
  failure?: string;
  message?: string;
  signal?: string | null;
}

function runRank(args: (string | number)[], script = rankScript): Promise<RankReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      const line = out.trim().split('\n').pop();
      resolve(line ? (JSON.parse(line) as RankReport) : { signal, message: err.slice(-2000) });
    });
  });
}

const flat = (report: RankReport) => (report.parameters ?? []).flat();

test('2 ranks x batch 16 give the parameters of 1 rank x batch 32 after 5 steps (tolerance 1e-5)', async () => {
  const single = await runRank([join(dir, 'single'), 0, 0, 0, 32, 5]);
  const port = await freePort();
  const out = join(dir, 'two');
  const [rank0, rank1] = await Promise.all([0, 1].map((rank) => runRank([out, rank, 2, port, 32, 5])));
  for (const report of [single, rank0!, rank1!]) assert.ok(report.parameters, JSON.stringify(report));
  const reference = flat(single);
  assert.equal(flat(rank0!).length, reference.length);
  const diff = (a: number[]) => Math.max(...a.map((v, i) => Math.abs(v - reference[i]!)));
  assert.ok(diff(flat(rank0!)) <= 1e-5, `rank 0 differs by ${diff(flat(rank0!))}`);
  assert.ok(diff(flat(rank1!)) <= 1e-5, `rank 1 differs by ${diff(flat(rank1!))}`);
  // The ranks hold the same weights though they initialised differently (rank 0's were broadcast).
  assert.deepEqual(flat(rank0!), flat(rank1!));
  // Every step all-reduced every gradient (6x16 + 16 + 16x3 + 3 floats).
  assert.equal(rank0!.stats!.steps, 5);
  assert.equal(rank0!.stats!.bytesPerStep, (6 * 16 + 16 + 16 * 3 + 3) * 4);
  // Only rank 0 logged: one epoch line, as in the single run.
  const epochs = (path: string) =>
    readFileSync(join(path, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line.includes('"type":"epoch"')).length;
  assert.equal(epochs(out), epochs(join(dir, 'single')));
});

test('a data-parallel CV fold scores its held-out records with the saved model on every rank (its BatchNorm statistics)', async () => {
  const port = await freePort();
  const out = join(dir, 'cv-fold');
  const reports = await Promise.all([0, 1].map((rank) => runRank([out, rank, port], cvRankScript)));
  for (const report of reports) assert.ok(report.done, JSON.stringify(report));
  // Rescore the held-out records in one process with last.safetensors (rank 0's weights and statistics).
  const config = tinyConfig(out, { cvFold: { folds: 2, fold: 1 } });
  const data = await loadTrainingData(syntheticDataset({ records: 48 }), {
    preprocess: preprocessOf(config),
    cacheDir: null,
  });
  data.split = applyCvFold(data.name, data.entries, config.cvFold!);
  const held = data.entries.flatMap((entry, i) => (entry.split === 'val' ? [i] : []));
  const model = restoredModel(readCheckpoint(join(out, RUN_FILES.last)), 'last');
  const samples = Math.round(config.windowSeconds * data.fs);
  const window = { samples, shortRecords: config.shortRecords, fs: data.fs };
  const logits = await predictRecords(model, data, held, window, samples, 16);
  model.module.dispose();
  const file = JSON.parse(readFileSync(join(out, RUN_FILES.heldout), 'utf8')) as {
    outputs: { logits: number[][] };
  };
  assert.equal(file.outputs.logits.length, held.length);
  // Each rank scored one half; before, the second half carried rank 1's statistics (differences of 3e-3).
  let worst = 0;
  logits.forEach((row, r) =>
    row.forEach((x, c) => (worst = Math.max(worst, Math.abs(x - file.outputs.logits[r]![c]!)))),
  );
  assert.ok(worst < 1e-6, `held-out logits differ from the saved model's by ${worst}`);
});

test('a rank killed mid-run makes the other stop with PeerLostError, not hang', async () => {
  const port = await freePort();
  const out = join(dir, 'killed');
  const [survivor, killed] = await Promise.all([0, 1].map((rank) => runRank([out, rank, 2, port, 8, 20, 2])));
  assert.equal(killed!.signal, 'SIGKILL', JSON.stringify(killed));
  assert.equal(survivor!.error, 'PeerLostError', JSON.stringify(survivor));
  assert.match(survivor!.message!, /^rank 0: (allReduce|broadcast): /);
});

test('shards are contiguous, cover every item once, and differ in size by at most one', () => {
  const items = Array.from({ length: 11 }, (_, i) => i);
  const parts = [0, 1, 2].map((rank) => contiguousPart(items, rank, 3));
  assert.deepEqual(parts, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9, 10],
  ]);
});

test('buckets hold consecutive tensors up to the cap; a larger tensor is a bucket alone', () => {
  // float32: 40, 40, 120, 20, 20, 20 bytes; cap 80 bytes
  const tensors = [10, 10, 30, 5, 5, 5].map((n) => F.zeros([n]));
  const grouped = buckets(tensors, 80).map((bucket) => bucket.map((t) => t.size));
  assert.deepEqual(grouped, [[10, 10], [30], [5, 5, 5]]);
});
