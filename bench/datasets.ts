/**
 * Dataset reading throughput on CinC 2017: records/s reading + preprocessing from the files ("cold": every
 * record parsed from its .hea/.mat, OS page cache as it is), building the preprocessed cache, and an epoch read
 * from the cache; beside it, the same reading + preprocessing in Python (scipy loadmat + sosfiltfilt), same run.
 *
 *   npx tsx bench/datasets.ts /tmp/ecg-data/cinc2017 [--limit N] [--cache DIR]
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openCachedDataset,
  preprocessorFromConfig,
  type PreprocessConfig,
} from '../src/datasets/cache/index.js';
import { openCinc2017 } from '../src/datasets/cinc2017.js';
import type { Dataset } from '../src/datasets/types.js';

const PREPROCESS: PreprocessConfig = { resampleTo: null, bandpass: [0.5, 40], standardize: true };

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - start) / 1000 };
}

async function epoch(
  dataset: Dataset,
  ids: readonly string[],
  transform?: (signals: Float32Array[], fs: number) => unknown,
): Promise<number> {
  let samples = 0;
  for (const id of ids) {
    const { record } = await dataset.load(id);
    if (transform) transform(record.signals, record.fs);
    samples += record.signals[0]?.length ?? 0;
  }
  return samples;
}

function pythonBaseline(root: string, ids: readonly string[]): { seconds: number; samples: number } | string {
  const script = `
import sys, time, json
import numpy as np, scipy.io as sio
from scipy.signal import butter, sosfiltfilt
root, ids = sys.argv[1], sys.argv[2].split(',')
sos = butter(2, [0.5, 40], btype='bandpass', fs=300, output='sos')
t = time.perf_counter(); n = 0
for r in ids:
    x = sio.loadmat(f'{root}/{r}.mat')['val'][0] / 1000.0
    y = sosfiltfilt(sos, x)
    y = (y - y.mean()) / y.std()
    n += y.size
print(json.dumps({'seconds': time.perf_counter() - t, 'samples': n}))`;
  try {
    return JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, root, ids.join(',')], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    );
  } catch (error) {
    return `python baseline unavailable (${(error as Error).message.split('\n')[0]})`;
  }
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (root === undefined || root.startsWith('--'))
    throw new Error('usage: npx tsx bench/datasets.ts <cinc2017 dir> [--limit N] [--cache DIR]');
  const cacheDir = argument('--cache') ?? join(tmpdir(), 'efficientecg-bench-cache');
  const opened = await timed(() => openCinc2017(root));
  const dataset = opened.value;
  const limit = Number(argument('--limit') ?? dataset.entries.length);
  const ids = dataset.entries.slice(0, limit).map((entry) => entry.id);
  const preprocess = preprocessorFromConfig(PREPROCESS);
  const n = ids.length;
  const rate = (seconds: number) => `${(n / seconds).toFixed(0)} records/s`;
  console.log(
    `CinC 2017 at ${root}: ${dataset.entries.length} entries, index opened in ${(opened.seconds * 1000).toFixed(0)} ms; measuring ${n} records`,
  );
  console.log(`preprocessing: ${JSON.stringify(PREPROCESS)}`);

  const readOnly = await timed(() => epoch(dataset, ids));
  console.log(
    `files, read only:            ${readOnly.seconds.toFixed(2)} s  ${rate(readOnly.seconds)}  (${(readOnly.value / 1e6).toFixed(1)} M samples)`,
  );
  const cold = await timed(() =>
    epoch(dataset, ids, (signals, fs) =>
      preprocess.apply({
        name: '',
        fs,
        leads: ['ECG'],
        units: ['mV'],
        signals,
        age: null,
        sex: 'unknown',
        metadata: {},
      }),
    ),
  );
  console.log(`files, read + preprocess:    ${cold.seconds.toFixed(2)} s  ${rate(cold.seconds)}`);

  rmSync(cacheDir, { recursive: true, force: true });
  const subset: Dataset = { ...dataset, entries: dataset.entries.slice(0, limit) };
  const build = await timed(() => openCachedDataset(subset, { dir: cacheDir, preprocess }));
  console.log(
    `cache build (read + preprocess + write): ${build.seconds.toFixed(2)} s  ${rate(build.seconds)}  -> ${(build.value.cache.bytes / 1e6).toFixed(1)} MB`,
  );
  const reopen = await timed(() => openCachedDataset(subset, { dir: cacheDir, preprocess }));
  console.log(
    `cache open (fingerprint + read into memory): ${reopen.seconds.toFixed(2)} s  rebuilt=${reopen.value.cache.rebuilt}`,
  );
  const fromCache = await timed(() => epoch(reopen.value, ids));
  console.log(`cache epoch:                 ${fromCache.seconds.toFixed(3)} s  ${rate(fromCache.seconds)}`);
  console.log(
    `ratio cache epoch vs files read + preprocess: ${(cold.seconds / fromCache.seconds).toFixed(0)}x`,
  );

  const python = pythonBaseline(root, ids);
  if (typeof python === 'string') console.log(python);
  else {
    console.log(
      `python scipy loadmat + sosfiltfilt + z-score: ${python.seconds.toFixed(2)} s  ${rate(python.seconds)}`,
    );
    console.log(
      `ratio python time / ours (files, read + preprocess): ${(python.seconds / cold.seconds).toFixed(2)}`,
    );
  }
}

await main();
