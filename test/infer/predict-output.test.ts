/** `predict`'s table line: each class's probability beside its threshold, both to the same precision. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classText, tableLine } from '../../src/infer/predict-output.js';
import type { ClassScore, EcgResult } from '../../src/infer/result.js';
import { recordResult } from '../helpers/results.js';

const mi: ClassScore = {
  label: 'MI',
  name: 'myocardial infarction',
  probability: 0.6757,
  threshold: 0.675,
  passed: true,
};

const resultOf = (classes: ClassScore[]): EcgResult =>
  recordResult(classes, {
    file: '00296_lr.hea',
    name: '00296_lr',
    fs: 100,
    leads: ['I'],
    seconds: 10,
    model: 'ptbxl-w0.25',
  });

test('a threshold is shown to the probability’s precision: a pass never reads as below it', () => {
  assert.equal(classText(mi), 'MI 0.676 >= 0.675 *');
  assert.match(tableLine(resultOf([mi])), /^ {2}MI 0\.676 >= 0\.675 \*$/m);
  const below = { ...mi, probability: 0.6744, passed: false };
  assert.equal(classText(below), 'MI 0.674 < 0.675');
});

test('a single-label class has no threshold to show', () => {
  assert.equal(classText({ ...mi, label: 'A', threshold: null }), 'A 0.676 *');
});

test('the sign is the pass mark: a probability just below its threshold never reads as at or above it', () => {
  // 0.48461 < 0.4846382 fails; rounded to 4 decimals (as diagnose rounds) both read 0.4846.
  const norm: ClassScore = {
    label: 'NORM',
    name: 'normal ECG',
    probability: 0.4846,
    threshold: 0.4846,
    passed: false,
  };
  assert.equal(classText(norm), 'NORM 0.485 < 0.485');
  assert.equal(classText({ ...norm, passed: true }), 'NORM 0.485 >= 0.485 *');
});
