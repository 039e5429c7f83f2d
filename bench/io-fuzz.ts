/**
 * Mutation fuzzing of the WFDB readers: `npx tsx bench/io-fuzz.ts [cases=20000] [seed=1]`.
 * Seeds are the committed fixtures (test/fixtures/wfdb); prints counts by outcome, crashes and the slowest case.
 */
import { readFileSync } from 'node:fs';
import { fuzz, headerOf, type RecordCase } from '../test/io/wfdb/fuzzer.js';

const FIXTURES = new URL('../test/fixtures/wfdb/', import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

function recordCase(name: string, dataFiles: string[]): RecordCase {
  return { header: headerOf(bytes(`${name}.hea`)), files: new Map(dataFiles.map((f) => [f, bytes(f)])) };
}

const cases = Number(process.argv[2] ?? 20000);
const seed = Number(process.argv[3] ?? 1);
const records = [
  recordCase('208x', ['208x.dat']),
  recordCase('00001_lr', ['00001_lr.dat']),
  recordCase('A00001', ['A00001.mat']),
  recordCase('1', ['1.dat']),
];
const annotations = ['208x.atr', '1.i', '1.v6'].map(bytes);

const start = performance.now();
const { counts, crashes, slowestMs } = fuzz(seed, cases, records, annotations);
const seconds = (performance.now() - start) / 1000;

console.log(
  `io-fuzz: ${cases} cases, seed ${seed}, ${seconds.toFixed(1)} s (${(cases / seconds).toFixed(0)} cases/s)`,
);
for (const [outcome, n] of Object.entries(counts).sort((a, b) => b[1] - a[1]))
  console.log(`  ${outcome.padEnd(18)} ${String(n).padStart(7)}  ${((100 * n) / cases).toFixed(1)} %`);
console.log(`  slowest case: ${slowestMs.toFixed(1)} ms`);
if (crashes.length > 0) {
  console.log('crashes (first 5):');
  for (const crash of crashes) console.log(crash);
  process.exitCode = 1;
}
