import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  aamiCounts,
  beatsFromAnnotations,
  beatWindows,
  mitdbPatient,
  openMitdb,
  type Beat,
} from '../../../src/datasets/mitdb/index.js';
import { MissingFileError } from '../../../src/errors.js';

const root = fileURLToPath(new URL('../../fixtures/datasets/mitdb/', import.meta.url));
/** golden.py: the .atr files decoded in Python, de Chazal's AAMI grouping, numpy RR features. */
const golden = JSON.parse(readFileSync(`${root}golden.json`, 'utf8')) as {
  counts: Record<string, Record<string, number>>;
  rr_101_first5: Array<[number, string, string, number, number, number, number]>;
  rr_101_last3: Array<[number, string, string, number, number, number, number]>;
  beats_101: number;
};

test('DS1 reproduces de Chazal 2004: N 45,866 S 944 V 3,788 F 415 Q 8 (51,021 beats)', async () => {
  const dataset = await openMitdb(root);
  const ds1 = dataset.entries.filter((e) => e.split !== 'test');
  assert.equal(ds1.length, 22);
  const all = ds1.flatMap((e) => dataset.beats.get(e.id) ?? []);
  assert.deepEqual(aamiCounts(all), { N: 45866, S: 944, V: 3788, F: 415, Q: 8 });
  assert.equal(all.length, 51021);
  for (const entry of ds1)
    assert.deepEqual(aamiCounts(dataset.beats.get(entry.id) ?? []), golden.counts[entry.id], entry.id);
  assert.deepEqual(
    dataset.skipped.filter((s) => s.reason.startsWith('paced')).map((s) => s.id),
    ['102', '104', '107', '217'],
  );
  assert.equal(dataset.skipped.filter((s) => s.reason.startsWith('record files missing')).length, 22);
});

test('patient-wise val split of DS1: whole records, every fold saved, deterministic', async () => {
  const a = await openMitdb(root);
  const b = await openMitdb(root);
  assert.deepEqual(
    a.entries.map((e) => [e.id, e.fold, e.split]),
    b.entries.map((e) => [e.id, e.fold, e.split]),
  );
  const val = a.entries.filter((e) => e.split === 'val');
  assert.ok(val.length >= 3 && val.length <= 6, `val records ${val.length}`);
  assert.ok(val.every((e) => e.fold === 5 && e.patientId === e.id));
  assert.deepEqual(a.split.parameters, {
    folds: 5,
    seed: 2004,
    valFold: 5,
    groupBy: 'patient',
    stratifiedOn: 'beats',
  });
  // Stratified on beats: the validation records hold some beats of each of N, S, V.
  const valCounts = aamiCounts(val.flatMap((e) => a.beats.get(e.id) ?? []));
  assert.ok(valCounts.N > 0 && valCounts.S > 0 && valCounts.V > 0, JSON.stringify(valCounts));
});

test('RR features of record 101 equal numpy', async () => {
  const dataset = await openMitdb(root);
  const beats = dataset.beats.get('101') as Beat[];
  assert.equal(beats.length, golden.beats_101);
  const check = (beat: Beat | undefined, row: (typeof golden.rr_101_first5)[number]) => {
    assert.ok(beat);
    assert.deepEqual([beat.sample, beat.symbol, beat.aami], row.slice(0, 3));
    [beat.rrPrevious, beat.rrNext, beat.rrLocal, beat.rrRecord].forEach((value, i) =>
      assert.ok(Math.abs(value - (row[i + 3] as number)) < 1e-9),
    );
  };
  golden.rr_101_first5.forEach((row, i) => check(beats[i], row));
  golden.rr_101_last3.forEach((row, i) => check(beats[beats.length - 3 + i], row));
});

test('patient features from the first header comment; load without the .dat is a MissingFileError', async () => {
  assert.deepEqual(mitdbPatient('75 F 1011 654 x1'), { age: 75, sex: 'female' });
  assert.deepEqual(mitdbPatient('-1 ? 1 1'), { age: null, sex: 'unknown' });
  const dataset = await openMitdb(root);
  assert.deepEqual(dataset.entries.find((e) => e.id === '124')?.patient, {
    age: 77,
    sex: 'male',
    ageCapped: false,
  });
  await assert.rejects(
    dataset.load('101'),
    (error: unknown) => error instanceof MissingFileError && /101\.dat/.test(error.message),
  );
});

test('beat windows: R peak at index `before`, edge beats padded and flagged, counts kept', () => {
  const signal = Float32Array.from({ length: 100 }, (_, i) => i);
  const beats = beatsFromAnnotations(
    [
      { sample: 2, symbol: 'N' },
      { sample: 50, symbol: 'V' },
      { sample: 60, symbol: '+' },
      { sample: 98, symbol: 'A' },
    ],
    10,
  );
  assert.deepEqual(
    beats.map((b) => [b.aami, b.rrPrevious, b.rrNext]),
    [
      ['N', 4.8, 4.8],
      ['V', 4.8, 4.8],
      ['S', 4.8, 4.8],
    ],
  );
  const windows = beatWindows([signal, signal.map((x) => -x)], beats, 4, 4);
  assert.equal(windows.length, 3);
  assert.deepEqual(
    Array.from(windows[1]?.window ?? []),
    [46, 47, 48, 49, 50, 51, 52, 53, -46, -47, -48, -49, -50, -51, -52, -53],
  );
  assert.equal(windows[1]?.padded, false);
  assert.deepEqual(Array.from(windows[0]?.window.subarray(0, 8) ?? []), [0, 0, 0, 1, 2, 3, 4, 5]);
  assert.equal(windows[0]?.padded, true);
  assert.deepEqual(Array.from(windows[2]?.window.subarray(0, 8) ?? []), [94, 95, 96, 97, 98, 99, 99, 99]);
});
