// Windowed reads: bytes read for the last 10 s of a long WFDB record against the record's size, and the time
// against a whole read cut afterwards. Usage: npx tsx bench/io-window.ts /tmp/ecg-data/mitdb/101.hea [seconds]
import { statSync } from 'node:fs';
import { readRecord, readWfdbHeader } from '../src/io/read.js';
import { pathSource, type ByteSource } from '../src/io/source.js';

/** pathSource that tallies the bytes each read hands out. */
function counted(path: string, tally: { bytes: number }): ByteSource {
  const wrap = (inner: ByteSource): ByteSource => ({
    name: inner.name,
    read: async () => {
      const out = await inner.read();
      tally.bytes += out.length;
      return out;
    },
    readRange: async (start, end) => {
      const out = await inner.readRange!(start, end);
      tally.bytes += out.length;
      return out;
    },
    sibling: (file) => wrap(inner.sibling(file)),
  });
  return wrap(pathSource(path));
}

const path = process.argv[2] ?? '/tmp/ecg-data/mitdb/101.hea';
const seconds = Number(process.argv[3] ?? 10);
const header = await readWfdbHeader(path);
const n = header.nSamples!;
const from = n - Math.round(seconds * header.fs);
const files = [path, ...new Set(header.signals.map((s) => path.replace(/[^/]*$/, s.fileName)))];
const recordBytes = files.reduce((sum, file) => sum + statSync(file).size, 0);

const tally = { bytes: 0 };
let start = performance.now();
const window = await readRecord(counted(path, tally), { from, to: n });
const windowMs = performance.now() - start;
start = performance.now();
const whole = await readRecord(path);
const wholeMs = performance.now() - start;
const same = whole.signals.every((s, i) =>
  s.slice(from).every((v, k) => Object.is(v, window.signals[i]![k])),
);

console.log(
  `${path}: ${n} samples (${(n / header.fs / 60).toFixed(1)} min), ${recordBytes} bytes (header + data)`,
);
console.log(
  `last ${seconds} s: read ${tally.bytes} bytes in ${windowMs.toFixed(2)} ms; whole read ${wholeMs.toFixed(1)} ms`,
);
console.log(`same samples as the whole read cut: ${same}`);
console.log(
  `ratio: ${(tally.bytes / recordBytes).toFixed(5)} of the record's bytes read (${((100 * tally.bytes) / recordBytes).toFixed(3)} %)`,
);
