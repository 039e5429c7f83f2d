/**
 * Throughput of the signal module against scipy.signal, same data, same run:
 *   npx tsx bench/signal.ts <mitdb dir> [record=101] [repeats=5]
 * Reads the record's first lead (30 min at 360 Hz) through readRecord, times band-pass filtfilt, notch and
 * resampling in Node, then spawns Debian's python (/usr/bin/python3, numpy + scipy) on the same samples.
 * Prints samples/s (median of the repeats) and the Node/scipy ratio, plus the largest output difference.
 * Times are process CPU time (user + system), not wall time, so that other load on the machine skews the
 * ratio less; both sides are single-threaded here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecord } from '../src/io/index.js';
import { bandpass, notch, resample } from '../src/signal/index.js';

interface Operation {
  name: string;
  run(x: Float64Array): Float32Array;
  /** The same operation in Python (x is a float64 numpy array, fs = 360). */
  python: string;
}

const OPERATIONS: Operation[] = [
  {
    name: 'bandpass 0.5-40 Hz order 2, filtfilt',
    run: (x) => bandpass(x, 360, 0.5, 40, 2),
    python: "signal.sosfiltfilt(signal.butter(2, [0.5, 40], btype='bandpass', fs=360, output='sos'), x)",
  },
  {
    name: 'notch 60 Hz Q 30, filtfilt',
    run: (x) => notch(x, 360, 60, 30),
    python: 'signal.filtfilt(*signal.iirnotch(60, 30, fs=360), x)',
  },
  {
    name: 'resample 360 -> 250 Hz',
    run: (x) => resample(x, 360, 250),
    python: 'signal.resample_poly(x, 25, 36)',
  },
  {
    name: 'resample 360 -> 100 Hz',
    run: (x) => resample(x, 360, 100),
    python: 'signal.resample_poly(x, 5, 18)',
  },
];

const PYTHON = `
import json, sys, time
import numpy as np
from scipy import signal
x = np.fromfile(sys.argv[1], dtype='<f8')
repeats = int(sys.argv[2])
out = []
for i, expr in enumerate(json.loads(sys.argv[3])):
    times = []
    for _ in range(repeats):
        t = time.process_time(); y = eval(expr); times.append(time.process_time() - t)
    np.asarray(y, dtype='<f8').tofile(sys.argv[1] + '.%d' % i)
    out.append(float(np.median(times)))
print(json.dumps(out))
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

async function main() {
  const [dir, recordName = '101', repeatArg = '5'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: npx tsx bench/signal.ts <mitdb dir> [record] [repeats]');
  const repeats = Number(repeatArg);
  const record = await readRecord(join(dir, `${recordName}.hea`));
  const x = Float64Array.from(record.signals[0]!);
  console.log(`record ${record.name} lead ${record.leads[0]}: ${x.length} samples at ${record.fs} Hz`);

  const work = mkdtempSync(join(tmpdir(), 'bench-signal-'));
  try {
    const input = join(work, 'x.f64');
    writeFileSync(input, new Uint8Array(x.buffer));
    const python = spawnSync(
      '/usr/bin/python3',
      ['-c', PYTHON, input, String(repeats), JSON.stringify(OPERATIONS.map((o) => o.python))],
      { encoding: 'utf8' },
    );
    if (python.status !== 0) throw new Error(`python failed: ${python.stderr}`);
    const scipySeconds: number[] = JSON.parse(python.stdout);

    console.log(
      'operation                              node Msamples/s  scipy Msamples/s  node/scipy  max |diff|',
    );
    OPERATIONS.forEach((operation, i) => {
      operation.run(x); // warm-up (JIT)
      const times: number[] = [];
      let output: Float32Array = new Float32Array(0);
      for (let r = 0; r < repeats; r++) {
        const start = process.cpuUsage();
        output = operation.run(x);
        const used = process.cpuUsage(start);
        times.push((used.user + used.system) / 1e6);
      }
      const reference = new Float64Array(new Uint8Array(readFileSync(`${input}.${i}`)).buffer);
      let diff = 0;
      for (let k = 0; k < reference.length; k++) diff = Math.max(diff, Math.abs(output[k]! - reference[k]!));
      const nodeRate = x.length / median(times) / 1e6;
      const scipyRate = x.length / scipySeconds[i]! / 1e6;
      console.log(
        `${operation.name.padEnd(38)} ${nodeRate.toFixed(2).padStart(16)} ${scipyRate.toFixed(2).padStart(17)}` +
          ` ${(nodeRate / scipyRate).toFixed(2).padStart(11)} ${diff.toExponential(1).padStart(11)}`,
      );
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
