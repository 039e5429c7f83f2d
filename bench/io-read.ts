/**
 * Reads every WFDB record of the development data and checks every checksum:
 *   npx tsx bench/io-read.ts [/tmp/ecg-data]
 * Prints per dataset: records, read errors, checksum agreement (and why any disagree), records/s for CinC 2017 and
 * MIT-BIH side by side with the independent numpy reader (test/fixtures/wfdb/wfdb_reference.py, run by
 * /usr/bin/python3 on the same files), and the MIT-BIH beat counts from the .atr files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAnnotations, readWfdb } from '../src/io/read.js';
import { isBeatCode } from '../src/io/wfdb/annotations.js';
import type { ChecksumReport } from '../src/io/wfdb/signals.js';

const root = process.argv[2] ?? '/tmp/ecg-data';
const REFERENCE = fileURLToPath(new URL('../test/fixtures/wfdb/wfdb_reference.py', import.meta.url));

const listed = (dir: string) =>
  readFileSync(join(root, dir, 'RECORDS'), 'utf8')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((name) => join(root, dir, `${name}.hea`));

const ptbDir = join(root, 'ptbxl/records100/00000');
const DATASETS: Array<{ name: string; headers: string[]; timed: boolean }> = [
  { name: 'cinc2017', headers: listed('cinc2017'), timed: true },
  { name: 'mitdb', headers: listed('mitdb'), timed: true },
  {
    name: 'ptbxl',
    headers: existsSync(ptbDir)
      ? readdirSync(ptbDir)
          .filter((f) => f.endsWith('.hea'))
          .sort()
          .map((f) => join(ptbDir, f))
      : [],
    timed: false,
  },
  { name: 'ludb', headers: listed('ludb'), timed: false },
];

interface Tally {
  records: number;
  errors: string[];
  leadsOk: number;
  leadsBad: ChecksumReport[];
  badRecords: number;
  seconds: number;
}

async function readAll(headers: string[]): Promise<Tally> {
  const tally: Tally = { records: 0, errors: [], leadsOk: 0, leadsBad: [], badRecords: 0, seconds: 0 };
  const start = performance.now();
  for (const header of headers) {
    try {
      const { checksums } = await readWfdb(header);
      tally.records++;
      const bad = checksums.filter((c) => c.ok === false);
      tally.leadsOk += checksums.length - bad.length;
      tally.leadsBad.push(...bad);
      if (bad.length > 0) tally.badRecords++;
    } catch (error) {
      tally.errors.push(`${header}: ${(error as Error).message}`);
    }
  }
  tally.seconds = (performance.now() - start) / 1000;
  return tally;
}

function numpyReference(headers: string[]): { seconds: number; checksums_ok: number } | null {
  const run = spawnSync('/usr/bin/python3', [REFERENCE, 'read', ...headers], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.log(`  numpy reference failed: ${run.stderr.trim().split('\n').at(-1)}`);
    return null;
  }
  return JSON.parse(run.stdout) as { seconds: number; checksums_ok: number };
}

/** Rounds of TypeScript vs numpy passes, alternated so that load on a shared machine hits both alike. */
const ROUNDS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function compareSpeed(headers: string[]): Promise<void> {
  const ours: number[] = [];
  const numpy: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const tally = await readAll(headers);
    ours.push(tally.records / tally.seconds);
    const reference = numpyReference(headers);
    if (!reference) return;
    numpy.push(headers.length / reference.seconds);
  }
  const list = (rates: number[]) => rates.map((r) => r.toFixed(0)).join(', ');
  console.log(
    `  records/s over ${ROUNDS} alternated rounds: TypeScript ${list(ours)} | numpy reference ${list(numpy)}; ` +
      `median ratio TypeScript/numpy ${(median(ours) / median(numpy)).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  console.log(`io-read: WFDB records under ${root}`);
  for (const { name, headers, timed } of DATASETS) {
    await readAll(headers.slice(0, 50)); // warm-up: JIT and page cache, not timed
    const tally = await readAll(headers);
    console.log(
      `${name}: ${tally.records}/${headers.length} read, ${tally.errors.length} errors, ` +
        `checksums agree for ${tally.leadsOk} leads, disagree for ${tally.leadsBad.length} leads ` +
        `(${tally.badRecords} records); ${(tally.records / tally.seconds).toFixed(0)} records/s`,
    );
    for (const error of tally.errors.slice(0, 5)) console.log(`  error: ${error}`);
    if (tally.leadsBad.length > 0) {
      const zero = tally.leadsBad.filter((c) => c.expected === 0).length;
      console.log(
        `  mismatching leads whose header checksum is 0 (placeholder): ${zero}/${tally.leadsBad.length}`,
      );
    }
    if (timed) await compareSpeed(headers);
  }
  await mitBeatCounts();
}

async function mitBeatCounts(): Promise<void> {
  const headers = listed('mitdb');
  console.log('MIT-BIH beat annotations per record (WFDB beat codes; symbol counts):');
  let total = 0;
  for (const header of headers) {
    const record = header.replace(/\.hea$/, '');
    const annotations = await readAnnotations(`${record}.atr`);
    const beats = annotations.filter((a) => isBeatCode(a.code));
    const bySymbol: Record<string, number> = {};
    for (const beat of beats) bySymbol[beat.symbol] = (bySymbol[beat.symbol] ?? 0) + 1;
    total += beats.length;
    const detail = Object.entries(bySymbol)
      .sort((a, b) => b[1] - a[1])
      .map(([symbol, n]) => `${symbol}:${n}`)
      .join(' ');
    console.log(
      `  ${record.split('/').at(-1)}: ${beats.length} beats (${annotations.length} annotations)  ${detail}`,
    );
  }
  console.log(`  total: ${total} beats in ${headers.length} records`);
}

await main();
