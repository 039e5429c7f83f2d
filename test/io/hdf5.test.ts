import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFolder } from '../../src/cli/inspect.js';
import { EcgError, FormatError, MissingFileError, SignalError } from '../../src/errors.js';
import { CODE15_LEADS, describeHdf5, readHdf5Exam, withHdf5Exams } from '../../src/io/hdf5.js';
import { readRecord, readRecordFromFiles } from '../../src/io/read.js';
import { folderRecords } from '../../src/io/find-records.js';
import { seededRandom } from '../../src/util/random.js';
import { mutateBytes } from '../../bench/fuzz/mutate.js';

const fixture = fileURLToPath(new URL('../fixtures/datasets/code15/', import.meta.url));
const part = join(fixture, 'exams_part0.hdf5');
const twoLead = join(fixture, 'two-lead-500hz.h5');
/** h5py + numpy's view of the fixture (make_fixture.py). */
const golden = JSON.parse(readFileSync(join(fixture, 'golden.json'), 'utf8')) as {
  exams: Record<
    string,
    {
      samples: number;
      padding: { before: number; after: number };
      lead_abs_sums: number[];
      lead_II_first: number[];
      lead_V6_last: number;
    }
  >;
  two_lead: { samples: number; lead_abs_sums: number[] };
};

const absSum = (signal: Float32Array) => signal.reduce((sum, value) => sum + Math.abs(value), 0);

/** An HDF5 file written by h5wasm itself, for layouts the committed fixtures do not have. */
async function newHdf5File(path: string) {
  const h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  return new h5.File(path, 'w');
}

test('CODE-15 HDF5: each exam equals h5py, padding cut, 400 Hz, the 12 leads in order, zero row not listed', async () => {
  const { exams, leads, fs } = await describeHdf5(part);
  assert.deepEqual(exams, [`${part}#1000001`, `${part}#1000002`]);
  assert.deepEqual(leads, CODE15_LEADS);
  assert.equal(fs, 400);
  for (const [id, expected] of Object.entries(golden.exams)) {
    const record = await readRecord(`${part}#${id}`);
    assert.equal(record.name, `${part}#${id}`);
    assert.equal(record.fs, 400);
    assert.deepEqual(record.leads, CODE15_LEADS);
    assert.deepEqual(record.metadata['padding'], expected.padding);
    assert.equal(record.signals[0]!.length, expected.samples);
    record.signals.forEach((signal, lead) =>
      assert.ok(Math.abs(absSum(signal) - expected.lead_abs_sums[lead]!) < 1e-3, `${id} lead ${lead}`),
    );
    assert.deepEqual(Array.from(record.signals[1]!.subarray(0, 3)), expected.lead_II_first);
    assert.equal(record.signals[11]!.at(-1), expected.lead_V6_last);
  }
});

test('HDF5 without CODE-15 shape: [exams, leads, samples] float64 read with the rate given, refused without', async () => {
  await assert.rejects(readRecord(twoLead), (error: unknown) => {
    assert.ok(error instanceof FormatError);
    assert.match(error.message, /two-lead-500hz\.h5: .*not CODE-15's.*states no rate/);
    return true;
  });
  const record = await readRecord(twoLead, { fs: 500 });
  assert.equal(record.fs, 500);
  assert.deepEqual(record.leads, ['lead1', 'lead2']);
  assert.equal(record.signals[0]!.length, golden.two_lead.samples);
  record.signals.forEach((signal, lead) =>
    assert.ok(Math.abs(absSum(signal) - golden.two_lead.lead_abs_sums[lead]!) < 1e-3),
  );
  // No exam_id dataset: the exam is named by its row.
  assert.deepEqual((await describeHdf5(twoLead, { fs: 500 })).exams, [`${twoLead}#0`]);
});

test("the rate: the file's attribute first, CODE-15's 400 Hz for its shape, the caller's fs last", async () => {
  // A batch's --fs (meant for its CSV files) does not re-time CODE-15 exams.
  assert.equal((await readRecord(`${part}#1000001`, { fs: 500 })).fs, 400);
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-'));
  try {
    const stated = join(dir, 'stated.h5');
    const file = await newHdf5File(stated);
    file
      .create_dataset({
        name: 'tracings',
        data: new Float32Array(600).fill(1),
        shape: [1, 300, 2],
        dtype: '<f4',
      })
      .create_attribute('sampling_rate', 250);
    file.close();
    assert.equal((await readRecord(stated)).fs, 250);
    assert.equal((await readRecord(stated, { fs: 500 })).fs, 250);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HDF5 errors name the file and the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-'));
  try {
    const notHdf5 = join(dir, 'text.hdf5');
    writeFileSync(notHdf5, 'exam_id,age\n1,2\n');
    const cases: [() => Promise<unknown>, new (...args: never[]) => Error, RegExp][] = [
      [() => readRecord(part), FormatError, /holds 2 exams: name one as FILE#ID/],
      [() => readRecord(`${part}#42`), FormatError, /#42: no exam "42"/],
      [() => readRecord(notHdf5), FormatError, /text\.hdf5: cannot open as HDF5: Not an HDF5 file/],
      [() => readRecord(join(dir, 'absent.hdf5#1')), MissingFileError, /absent\.hdf5/],
      [
        () => readRecord(new Uint8Array(readFileSync(part))),
        FormatError,
        /<bytes>: an HDF5 file: .*file path/,
      ],
      [
        () => readRecordFromFiles(new Map([['exams_part0.hdf5', new Uint8Array(readFileSync(part))]])),
        FormatError,
        /exams_part0\.hdf5: an HDF5 file/,
      ],
      [() => readRecord('https://example.org/exams_part0.hdf5'), FormatError, /from a file path/],
      [() => readHdf5Exam(twoLead, '0', { fs: 0.01 }), FormatError, /invalid sampling frequency/],
      [
        () => readHdf5Exam(part, '1000001', { limits: { maxSamples: 1000 } }),
        FormatError,
        /exceeds the limit/,
      ],
    ];
    for (const [read, type, message] of cases)
      await assert.rejects(read(), (error: unknown) => {
        assert.ok(error instanceof type, `${String(error)} is not a ${type.name}`);
        assert.match((error as Error).message, message);
        return true;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a declared shape of 2^32 exams in a few kB is refused before anything is allocated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-'));
  try {
    const huge = join(dir, 'huge.hdf5');
    const file = await newHdf5File(huge);
    // Chunked and never written: HDF5 stores nothing for it, whatever the shape says.
    file.create_dataset({
      name: 'tracings',
      data: new Float32Array(4096 * 12),
      shape: [1, 4096, 12],
      maxshape: [null, 4096, 12],
      chunks: [1, 4096, 12],
      dtype: '<f4',
    });
    (file.get('tracings') as unknown as { resize(shape: number[]): void }).resize([2 ** 32, 4096, 12]);
    file.close();
    await assert.rejects(
      readRecord(huge),
      /huge\.hdf5: "tracings" declares 4294967296 exams, more than the 4194304/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a row of zeros is a SignalError, not an empty record (written by h5wasm: CODE-15 shape, no exam_id)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-'));
  try {
    const zeros = join(dir, 'zeros.hdf5');
    const file = await newHdf5File(zeros);
    file.create_dataset({
      name: 'tracings',
      data: new Float32Array(4096 * 12),
      shape: [1, 4096, 12],
      dtype: '<f4',
    });
    file.close();
    await assert.rejects(readRecord(zeros), (error: unknown) => {
      assert.ok(error instanceof SignalError);
      assert.match((error as Error).message, /zeros\.hdf5#0: every sample of every lead is 0/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('predict and the folder source see every exam of an HDF5 file; unlistable files pass through', async () => {
  assert.deepEqual(folderRecords([part, twoLead, join(fixture, 'exams.csv')]).files, [part, twoLead]);
  const names: string[] = [];
  for await (const name of withHdf5Exams([join(fixture, 'golden.json'), part, twoLead])) names.push(name);
  assert.deepEqual(names, [join(fixture, 'golden.json'), `${part}#1000001`, `${part}#1000002`, twoLead]);
});

test('fuzz: 150 mutated HDF5 files give a record or a typed error, each in bounded time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-fuzz-'));
  const bases = [readFileSync(part), readFileSync(twoLead)];
  const rng = seededRandom(15);
  const outcomes = new Map<string, number>();
  try {
    for (let i = 0; i < 150; i++) {
      const path = join(dir, `case-${i}.hdf5`);
      writeFileSync(path, mutateBytes(rng, new Uint8Array(bases[i % 2]!)));
      const start = performance.now();
      let outcome = 'read';
      try {
        for await (const name of withHdf5Exams([path], { fs: 500 })) await readRecord(name, { fs: 500 });
      } catch (error) {
        if (!(error instanceof EcgError)) throw new Error(`case ${i}: ${String(error)}`, { cause: error });
        outcome = error.name;
      }
      assert.ok(performance.now() - start < 5000, `case ${i} took ${performance.now() - start} ms`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok((outcomes.get('FormatError') ?? 0) > 0, JSON.stringify([...outcomes]));
});

test('inspect: an HDF5 file is described exam by exam, as a folder record by record', async () => {
  const described = await describeFolder(part);
  assert.deepEqual(
    described.map((d) => ('error' in d ? d.error : [d.record, d.format, d.n_samples])),
    [
      [`${part}#1000001`, 'hdf5', golden.exams['1000001']!.samples],
      [`${part}#1000002`, 'hdf5', golden.exams['1000002']!.samples],
    ],
  );
});

test('infinite tracings, or float64 ones beyond float32, are refused naming the exam, lead and sample', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdf5-'));
  try {
    for (const [dtype, value, shown] of [
      ['<d', 1e300, '1e\\+300'],
      ['<f', Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      const big = join(dir, `big${dtype.slice(1)}.hdf5`);
      const file = await newHdf5File(big);
      const data = new Float64Array(4096 * 12).fill(0.5);
      data[100 * 12 + 3] = value; // sample 101 of lead 4 (samples first: [exam, sample, lead])
      file.create_dataset({ name: 'tracings', data, shape: [1, 4096, 12], dtype });
      file.close();
      await assert.rejects(
        readRecord(big),
        (error: unknown) =>
          error instanceof FormatError &&
          new RegExp(`#0: lead 4, sample 101: ${shown} is beyond float32`).test((error as Error).message),
        dtype,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
