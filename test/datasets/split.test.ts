import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySeededSplit, seededRandom, stratifiedGroupFolds } from '../../src/datasets/split.js';
import type { DatasetEntry } from '../../src/datasets/types.js';

const items = (counts: number[]) =>
  counts.flatMap((count, label) =>
    Array.from({ length: count }, (_, i) => ({ group: `${label}-${i}`, labels: [label] })),
  );

test('seededRandom: same seed same sequence, values in [0, 1)', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  const seqA = Array.from({ length: 1000 }, a);
  assert.deepEqual(seqA, Array.from({ length: 1000 }, b));
  assert.notDeepEqual(seqA.slice(0, 10), Array.from({ length: 10 }, c));
  assert.ok(seqA.every((x) => x >= 0 && x < 1));
  const mean = seqA.reduce((s, x) => s + x, 0) / seqA.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('single-label folds are stratified to within one item per class and fold', () => {
  const counts = [4040, 590, 1965, 227]; // CinC 2017 N, A, O, ~ of our copy
  const data = items(counts);
  const folds = stratifiedGroupFolds(data, { folds: 5, seed: 1 });
  counts.forEach((count, label) => {
    const perFold = [0, 0, 0, 0, 0];
    for (const item of data)
      if (item.labels[0] === label) {
        const fold = (folds.get(item.group) as number) - 1;
        perFold[fold] = (perFold[fold] as number) + 1;
      }
    assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `class ${label}: ${perFold.join(' ')}`);
    assert.equal(
      perFold.reduce((s, x) => s + x, 0),
      count,
    );
  });
});

test('folds are deterministic for a seed and independent of input order; another seed differs', () => {
  const data = items([50, 20, 7]);
  const a = stratifiedGroupFolds(data, { folds: 4, seed: 3 });
  const b = stratifiedGroupFolds([...data].reverse(), { folds: 4, seed: 3 });
  const c = stratifiedGroupFolds(data, { folds: 4, seed: 4 });
  assert.deepEqual([...a].sort(), [...b].sort());
  assert.notDeepEqual([...a].sort(), [...c].sort());
});

test('groups (patients) are never split across folds, and multi-label counts stay balanced', () => {
  // 40 patients, each with 1-3 records, labels 0 and 1 (some records carry both).
  const random = seededRandom(11);
  const data: { group: string; labels: number[] }[] = [];
  for (let p = 0; p < 40; p++) {
    const records = 1 + Math.floor(random() * 3);
    for (let r = 0; r < records; r++)
      data.push({ group: `p${p}`, labels: random() < 0.3 ? [0, 1] : [random() < 0.5 ? 0 : 1] });
  }
  const folds = stratifiedGroupFolds(data, { folds: 2, seed: 5 });
  assert.equal(folds.size, 40);
  const perFold = [
    [0, 0],
    [0, 0],
  ];
  for (const item of data) {
    const counts = perFold[(folds.get(item.group) as number) - 1] as number[];
    for (const label of item.labels) counts[label] = (counts[label] as number) + 1;
  }
  for (const label of [0, 1]) {
    const a = (perFold[0] as number[])[label] as number;
    const b = (perFold[1] as number[])[label] as number;
    assert.ok(Math.abs(a - b) <= 4, `label ${label}: ${a} vs ${b}`);
  }
});

test('applySeededSplit marks the validation fold, keeps test entries, and returns its parameters', () => {
  const entries: DatasetEntry[] = Array.from({ length: 100 }, (_, i) => ({
    id: `r${i}`,
    patientId: null,
    fold: null,
    split: i < 10 ? 'test' : 'train',
    labels: [i % 2],
    patient: { age: null, sex: 'unknown', ageCapped: false },
  }));
  const info = applySeededSplit(entries, { folds: 5, seed: 9, valFold: 2, groupBy: 'record' });
  assert.deepEqual(info.parameters, { folds: 5, seed: 9, valFold: 2, groupBy: 'record' });
  assert.equal(entries.filter((e) => e.split === 'test').length, 10);
  assert.ok(entries.slice(0, 10).every((e) => e.fold === null));
  assert.equal(entries.filter((e) => e.split === 'val').length, 18);
  assert.ok(entries.filter((e) => e.split === 'val').every((e) => e.fold === 2));
  assert.throws(
    () => applySeededSplit(entries, { folds: 5, seed: 9, valFold: 6, groupBy: 'record' }),
    RangeError,
  );
});
