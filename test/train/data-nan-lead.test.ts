/**
 * A lead with no valid sample (absent in a multi-segment record, all invalid codes) has no gap to bridge: with
 * resampling or band-pass it aborted the whole dataset build ("signal has no finite sample") and made inference fail.
 * Training stores it as zeros and inference reads it as a zero lead; the other leads come out as they would alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { preprocessorFromConfig } from '../../src/datasets/cache/index.js';
import type { Dataset } from '../../src/datasets/types.js';
import { SignalError } from '../../src/errors.js';
import { prepareRecord } from '../../src/infer/prepare.js';
import { readRecord } from '../../src/io/index.js';
import type { EcgRecord } from '../../src/io/record.js';
import { loadTrainingData } from '../../src/train/data.js';

/** 12 leads, 3 s at 400 Hz (CODE-15% record 1000, test/fixtures/cinc2021/README.md). */
const recordPath = fileURLToPath(new URL('../fixtures/cinc2021/1000.hea', import.meta.url));
/** The training default: resampled and band-passed. */
const preprocess = { resampleTo: 100, bandpass: [0.5, 40] as [number, number], standardize: true };
const ABSENT = 1; // lead II

const withNanLeads = (record: EcgRecord, leads: number[]): EcgRecord => ({
  ...record,
  signals: record.signals.map((s, l) => (leads.includes(l) ? new Float32Array(s.length).fill(NaN) : s)),
});

/** Two entries: the record with lead II all NaN, and the record intact. */
function twoRecords(record: EcgRecord): Dataset {
  const records: Record<string, EcgRecord> = { absent: withNanLeads(record, [ABSENT]), intact: record };
  const entry = (id: string) => ({
    id,
    patientId: null,
    fold: null,
    split: 'train' as const,
    labels: [0],
    patient: { age: null, sex: 'unknown' as const, ageCapped: false },
  });
  return {
    name: 'nan-lead',
    root: recordPath,
    classes: ['x'],
    labelKind: 'multi-label',
    entries: [entry('absent'), entry('intact')],
    skipped: [],
    split: { method: 'test', parameters: {} },
    sourceFiles: () => [recordPath],
    load: async (id) => ({ entry: entry(id), record: records[id]! }),
  };
}

const leadsOf = (samples: Float32Array, length: number, offset: number, count: number) =>
  Array.from({ length: count }, (_, l) =>
    Array.from(samples.subarray(offset + l * length, offset + (l + 1) * length)),
  );

test('an all-NaN lead builds (cache and memory): zeros in the store, the other leads as the record alone', async () => {
  const record = await readRecord(recordPath);
  const alone = preprocessorFromConfig(preprocess).apply(withNanLeads(record, [])) as EcgRecord;
  const processed = preprocessorFromConfig(preprocess).apply(withNanLeads(record, [ABSENT])) as EcgRecord;
  assert.equal(processed.signals[ABSENT]!.length, alone.signals[0]!.length);
  assert.ok(processed.signals[ABSENT]!.every(Number.isNaN));
  const cacheDir = mkdtempSync(join(tmpdir(), 'eecg-nan-lead-'));
  try {
    for (const dir of [cacheDir, null]) {
      const data = await loadTrainingData(twoRecords(record), { preprocess, cacheDir: dir });
      const [absent, intact] = data.store.slots.map(({ offset, length }) =>
        leadsOf(data.store.samples, length, offset, data.store.leads),
      );
      assert.ok(
        absent![ABSENT]!.every((v) => v === 0),
        `lead II stored as zeros (cache ${dir})`,
      );
      absent!.forEach((lead, l) => {
        if (l !== ABSENT) assert.deepEqual(lead, intact![l], `lead ${l}`);
      });
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('inference reads an all-NaN lead as a zero lead with a notice; a record with no valid lead is refused', async () => {
  const record = await readRecord(recordPath);
  const info = { leads: record.leads, fs: 100, bandpass: [0.5, 40] as [number, number], standardize: true };
  const alone = prepareRecord(record, info);
  const prepared = prepareRecord(withNanLeads(record, [ABSENT]), info);
  assert.ok(prepared.signals[ABSENT]!.every((v) => v === 0));
  prepared.signals.forEach((lead, l) => {
    if (l !== ABSENT) assert.deepEqual(lead, alone.signals[l], `lead ${l}`);
  });
  assert.ok(
    prepared.notices.some((n) => /lead II has no valid sample \(all NaN\): read as a zero lead/.test(n)),
  );
  const one = {
    ...withNanLeads(record, [ABSENT]),
    leads: ['II'],
    signals: [withNanLeads(record, [ABSENT]).signals[ABSENT]!],
  };
  assert.throws(
    () => prepareRecord(one, { ...info, leads: ['II'] }),
    (error: unknown) => error instanceof SignalError && /lead II has no valid sample/.test(error.message),
  );
  const all = record.leads.map((_, l) => l);
  assert.throws(
    () => prepareRecord(withNanLeads(record, all), info),
    (error: unknown) =>
      error instanceof SignalError && /leads I, II, .* have no valid sample/.test(error.message),
  );
});
