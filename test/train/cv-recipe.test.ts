/**
 * A CV summary is one recipe's: every finished fold (whichever process trained it) must have been trained with the
 * run's settings, and a fold whose model gave non-finite outputs is refused rather than read back as zero logits. A
 * mean ± sd that leaves out a fold without a figure says over how many folds it is.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatCvSummary } from '../../src/cli/cv.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import type { TrainConfig } from '../../src/train/config.js';
import { crossValidate, foldDir, readFoldHeldout, readHeldout, summarise } from '../../src/train/cv.js';
import { RUN_FILES, type HeldoutFile } from '../../src/train/loop.js';
import { writeCv } from './cv-fixture.js';
import { tempDir } from './helpers.js';

const noDataset = () => Promise.reject(new Error('a done fold opened the dataset'));
const refused = (text: RegExp) => (error: unknown) =>
  error instanceof ConfigError && text.test(error.message);

test('cv: a fold finished with other settings is refused before summarising, whichever folds this process ran', async () => {
  const { dir, dispose } = tempDir();
  try {
    // Fold 3 trained with another learning rate (`cv --only 3 --lr 0.01` on another machine).
    const run = writeCv(dir, { config: (fold) => (fold === 3 ? { lr: 0.01 } : {}) });
    const message = /fold 3: lr 0\.01 vs 0\.003 in this run/;
    await assert.rejects(crossValidate(run, noDataset, { folds: 3, only: [1] }), refused(message));
    // `cv --parallel`'s parent runs no fold itself.
    await assert.rejects(crossValidate(run, noDataset, { folds: 3, only: [] }), refused(message));
    assert.equal(existsSync(join(dir, 'cv.json')), false);
  } finally {
    dispose();
  }
});

test('cv: folds that differ only in threads, workers, paths, patience or logEvery, or have no config.json, are summarised', async () => {
  const { dir, dispose } = tempDir();
  try {
    const run = writeCv(dir, { config: (fold) => ({ threads: fold, workers: fold - 1, patience: fold }) });
    assert.equal((await crossValidate(run, noDataset, { folds: 3, only: [] }))!.folds, 3);
    const bundled = join(dir, 'bundled');
    writeCv(bundled, { config: null });
    const summary = await crossValidate({ ...run, out: bundled, lr: 0.05 }, noDataset, { folds: 3 });
    assert.equal(summary!.perFold.length, 3);
  } finally {
    dispose();
  }
});

test('reading a CV (bundling, scripts) refuses folds trained with different settings, naming the folds and settings', () => {
  const { dir, dispose } = tempDir();
  try {
    writeCv(dir, { config: (fold) => (fold === 2 ? { epochs: 5, seed: 3 } : {}) });
    assert.throws(
      () => readHeldout(dir, 3),
      refused(
        new RegExp(
          `^${dir}: its folds were trained with different settings \\(fold 2: epochs 5 vs 2, seed 3 vs 0 in fold 1\\)`,
        ),
      ),
    );
  } finally {
    dispose();
  }
});

test('a fold with non-finite logits (null in JSON) is a FormatError naming the file and fold, not logits of 0', async () => {
  const { dir, dispose } = tempDir();
  try {
    const run = writeCv(dir, {
      logits: (fold, item) => (fold === 2 && item === 4 ? [NaN, 0, 0] : undefined),
    });
    const path = join(foldDir(dir, 2), RUN_FILES.heldout);
    assert.match(readFileSync(path, 'utf8'), /\[null,0,0\]/);
    const named = (error: unknown) =>
      error instanceof FormatError &&
      error.source === path &&
      /fold 2: the logits of r2-4/.test(error.message);
    assert.throws(() => readFoldHeldout(dir, 2), named);
    await assert.rejects(crossValidate(run, noDataset, { folds: 3 }), named);
    // A logit that is not a number at all.
    const file = JSON.parse(readFileSync(path, 'utf8')) as HeldoutFile;
    file.outputs.logits[4] = ['1', 0, 0] as unknown as number[];
    writeFileSync(path, JSON.stringify(file));
    assert.throws(() => readFoldHeldout(dir, 2), named);
  } finally {
    dispose();
  }
});

test('a mean ± sd over fewer folds than the CV has says so', () => {
  const { dir, dispose } = tempDir();
  try {
    writeCv(dir, { folds: 5, config: null });
    const files = readHeldout(dir, 5)!;
    files[4]!.metrics = { ...files[4]!.metrics, value: null };
    const text = formatCvSummary(summarise(files, {} as TrainConfig));
    assert.match(text, /mean ± sd over 4 of 5 folds: /);
    assert.match(formatCvSummary(summarise(files.slice(0, 4), {} as TrainConfig)), /mean ± sd over folds: /);
  } finally {
    dispose();
  }
});
