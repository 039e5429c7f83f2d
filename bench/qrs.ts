/**
 * R-peak detection speed on a 30-minute, 2-lead MIT-BIH record.
 *
 *   npx tsx bench/qrs.ts <mitdb dir> [record=208] [runs=10]
 *
 * Prints the time of detectQrs (both leads, full pipeline: filters, energy, thresholds, location) per run and
 * samples/s, and, side by side in the same run, the time scipy (via Debian's /usr/bin/python3) takes for the
 * detector's preprocessing alone (zero-phase 5-18 Hz Butterworth band-pass on both leads, slope, |slope|^1.5,
 * 150 ms moving average): a floor for any detector built on the same filtering.
 * It also looks for a packaged QRS detector in Debian (apt-cache search) to compare with.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecord } from '../src/io/index.js';
import { detectQrs } from '../src/signal/qrs.js';

const SCIPY_SCRIPT = `
import sys, time, numpy as np
from scipy import signal
raw = np.fromfile(sys.argv[1], dtype=np.float32)
fs, runs = float(sys.argv[2]), int(sys.argv[3])
leads = raw.reshape(2, -1).astype(np.float64)
b1, a1 = signal.butter(2, 5, 'highpass', fs=fs)
b2, a2 = signal.butter(2, 18, 'lowpass', fs=fs)
width = int(round(0.15 * fs)) | 1
times = []
for _ in range(runs):
    t = time.perf_counter()
    total = 0
    for x in leads:
        y = signal.filtfilt(b2, a2, signal.filtfilt(b1, a1, x))
        e = np.abs(np.gradient(y) * fs) ** 1.5
        total = total + np.convolve(e, np.ones(width) / width, mode='same')
    times.append((time.perf_counter() - t) * 1000)
print(' '.join('%.3f' % v for v in times))
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Times scipy on exactly the samples the detector saw (written to a temporary float32 file). */
function scipyTimes(signals: Float32Array[], fs: number, runs: number): number[] | string {
  const joined = new Float32Array(signals[0]!.length * 2);
  joined.set(signals[0]!, 0);
  joined.set(signals[1]!, signals[0]!.length);
  const path = join(tmpdir(), `bench-qrs-${process.pid}.f32`);
  writeFileSync(path, new Uint8Array(joined.buffer));
  try {
    const args = ['-c', SCIPY_SCRIPT, path, String(fs), String(runs)];
    const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
    if (result.status !== 0) return `scipy unavailable (${(result.stderr || String(result.error)).trim()})`;
    return result.stdout.trim().split(/\s+/).map(Number);
  } finally {
    rmSync(path, { force: true });
  }
}

function packagedDetectors(): string {
  const found: string[] = [];
  for (const term of ['wfdb', 'physionet', 'qrs', 'ecg']) {
    const result = spawnSync('apt-cache', ['search', term], { encoding: 'utf8' });
    if (result.status !== 0) return 'apt-cache not available: no packaged detector checked';
    // Package names only, whole words: "codecgraph" is not an ECG tool.
    const hits = result.stdout
      .split('\n')
      .map((line) => line.split(' - ')[0]!.trim())
      .filter((name) => /(^|[-_.])(ecg|qrs|wfdb|physionet)([-_.\d]|$)/i.test(name));
    found.push(`${term}: ${hits.length ? hits.join(', ') : 'none'}`);
  }
  const verdict = found.every((f) => f.endsWith(': none'))
    ? 'No Debian package ships a WFDB/ECG QRS detector (apt-cache search ecg lists only DICOM viewers such as pixelmed), so scipy preprocessing is the reference.'
    : 'Packaged candidates above were not benchmarked.';
  return `apt-cache search (package names) -> ${found.join('; ')}. ${verdict}`;
}

async function main(): Promise<void> {
  const [dir, record = '208', runsText = '10'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: npx tsx bench/qrs.ts <mitdb dir> [record] [runs]');
  const runs = Number(runsText);
  const ecg = await readRecord(join(dir, `${record}.hea`));
  const samples = ecg.signals[0]!.length;
  console.log(
    `record ${record}: ${ecg.signals.length} leads x ${samples} samples at ${ecg.fs} Hz (${(samples / ecg.fs / 60).toFixed(1)} min)`,
  );
  detectQrs(ecg.signals, ecg.fs); // warm-up (JIT)
  const times: number[] = [];
  let beats = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    beats = detectQrs(ecg.signals, ecg.fs).rPeaks.length;
    times.push(performance.now() - start);
  }
  const ours = median(times);
  const perSecond = (ms: number) => ((ecg.signals.length * samples) / (ms / 1000) / 1e6).toFixed(1);
  console.log(
    `detectQrs (2 leads, full detector): median ${ours.toFixed(1)} ms over ${runs} runs (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), ${perSecond(ours)} M samples/s, ${beats} beats`,
  );
  const scipy = scipyTimes(ecg.signals, ecg.fs, runs);
  if (typeof scipy === 'string') console.log(scipy);
  else {
    const theirs = median(scipy);
    console.log(
      `scipy preprocessing only (filtfilt 5-18 Hz x2 leads, slope, MWI): median ${theirs.toFixed(1)} ms, ${perSecond(theirs)} M samples/s`,
    );
    console.log(`ratio detectQrs / scipy preprocessing: ${(ours / theirs).toFixed(2)}`);
  }
  console.log(packagedDetectors());
}

await main();
