/**
 * How the R-peak detector's `pacing_spikes` flag agrees with LUDB's headers: a record is paced when a header
 * comment names atrial, ventricular or biventricular pacing (a "wandering atrial pacemaker" is a rhythm, not a
 * device). Prints the paced records flagged and missed, and the other records flagged.
 *
 *   npx tsx scripts/experiments/pacing-flag-check.ts DIR/ludb
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord } from '../../src/io/index.js';
import { detectQrs } from '../../src/signal/qrs.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pacing-flag-check.ts LUDB_DIR');
const paced: number[] = [];
const flagged: number[] = [];
for (let id = 1; id <= 200; id++) {
  const header = join(dir, 'data', `${id}.hea`);
  if (/^#.*\bpacing\b/im.test(readFileSync(header, 'utf8'))) paced.push(id);
  const record = await readRecord(header);
  if (detectQrs(record.signals, record.fs).flags.includes('pacing_spikes')) flagged.push(id);
}
const isPaced = new Set(paced);
const found = flagged.filter((id) => isPaced.has(id));
const missed = paced.filter((id) => !flagged.includes(id));
const others = flagged.filter((id) => !isPaced.has(id));
console.log(`paced (header): ${paced.length} [${paced.join(', ')}]`);
console.log(
  `flagged among them: ${found.length} [${found.join(', ')}]; missed: ${missed.length} [${missed.join(', ')}]`,
);
console.log(`flagged among the other ${200 - paced.length}: ${others.length} [${others.join(', ')}]`);
