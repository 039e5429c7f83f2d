/**
 * HDF5 exams (CODE-15 layout) read by src/io/hdf5.ts, side by side with h5py on the same files:
 *   npm run build && node bench/hdf5-read.mjs [exams=2000] [reads=300]
 * Plain JavaScript on dist/, as the CLI runs: under tsx's on-the-fly transform h5wasm's 4 MB glue code runs ~3x slower.
 * Makes two files of `exams` exams in a temporary folder (contiguous, and chunked one exam a chunk with shuffle +
 * deflate), then per file: the time to list its exams, exams read per second (random order, each a separate
 * readRecord as `predict` does) against h5py opening the file once, the two readers' checksums, and how much our
 * resident memory grew while reading (after h5wasm's start-up; tsx's transform of h5wasm inflates the total).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listHdf5Exams } from '../dist/io/hdf5.js';
import { readRecord } from '../dist/io/read.js';
import { seededRandom } from '../dist/util/random.js';

const exams = Number(process.argv[2] ?? 2000);
const reads = Number(process.argv[3] ?? 300);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const python = (...args) => {
  const run = spawnSync('/usr/bin/python3', [here('hdf5/make_and_read.py'), ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`h5py side failed: ${run.stderr}`);
  return run.stdout;
};

const dir = mkdtempSync(join(tmpdir(), 'bench-hdf5-'));
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
try {
  await listHdf5Exams(here('../test/fixtures/datasets/code15/exams_part0.hdf5')); // h5wasm's start-up
  const rssBefore = rssMb();
  const random = seededRandom(5);
  const ids = Array.from({ length: reads }, () => String(1 + Math.floor(random() * exams)));
  console.log(
    `| layout | file MB | list ${exams} exams (ms) | ours: exams/s | h5py: exams/s | ours / h5py | checksums agree |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const layout of ['contiguous', 'gzip']) {
    const file = join(dir, `${layout}.hdf5`);
    python('make', file, String(exams), layout, here('../test/fixtures/datasets/code15/exams_part0.hdf5'));
    let start = performance.now();
    const names = await listHdf5Exams(file);
    const listMs = performance.now() - start;
    if (names.length !== exams) throw new Error(`listed ${names.length} exams, expected ${exams}`);
    start = performance.now();
    let ours = 0;
    for (const id of ids) {
      const record = await readRecord(`${file}#${id}`);
      // The same sum as h5py's over the stored row: the cut padding is zeros.
      for (const signal of record.signals) for (const value of signal) ours += Math.abs(value);
    }
    const oursSeconds = (performance.now() - start) / 1000;
    const theirs = JSON.parse(python('read', file, ...ids));
    const agree = Math.abs(ours - theirs.abs_sum) <= 1e-6 * theirs.abs_sum;
    const mb = statSync(file).size / 2 ** 20;
    const rate = (seconds) => (reads / seconds).toFixed(0);
    console.log(
      `| ${layout} | ${mb.toFixed(0)} | ${listMs.toFixed(0)} | ${rate(oursSeconds)} | ${rate(theirs.seconds)} | ` +
        `${(theirs.seconds / oursSeconds).toFixed(2)} | ${agree ? 'yes' : `NO (${ours} vs ${theirs.abs_sum})`} |`,
    );
  }
  console.log(`resident memory grew by ${(rssMb() - rssBefore).toFixed(0)} MB while listing and reading`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
