/**
 * The RR fibrillation gate on 10 s records of other sources, record by record: the shipped model (fitted on 24-interval
 * windows, applied to all of a short record's intervals) against a short-record model (`fibrillation-fit.py --short
 * --write FILE.ts`), which scores the records with fewer than 24 intervals. Truth from the diagnoses: PTB-XL's AFIB
 * or AFLT statements, LUDB's atrial fibrillation or flutter rhythm. Prints the record-level AUROC of the mean
 * probability and Se / Sp of the gate's 0.5, then the shipped model's Se by the records' heart rate (fibrillation
 * below 80, 80-100, 100 or more beats/min; flutter apart: the RR-band figures of `fibrillation-fit.py --crops`).
 *
 *   npx tsx scripts/experiments/fibrillation-short-check.ts SHORT.ts ptbxl PTBXL_DIR
 *   npx tsx scripts/experiments/fibrillation-short-check.ts SHORT.ts ludb LUDB_DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCsvObjects } from '../../src/datasets/csv.js';
import { auroc } from '../../src/eval/binary.js';
import { readRecord } from '../../src/io/index.js';
import {
  FIBRILLATION_FEATURES,
  fibrillationScore,
  fibrillationWindows,
  type FibrillationModel,
} from '../../src/signal/fibrillation.js';
import { FIBRILLATION_MODEL } from '../../src/signal/fibrillation-model.js';
import { detectQrs } from '../../src/signal/qrs.js';

const [shortPath, source, dir] = process.argv.slice(2);
if (!shortPath || (source !== 'ptbxl' && source !== 'ludb') || !dir)
  throw new Error('usage: fibrillation-short-check.ts SHORT.ts ptbxl|ludb DIR');
const SHORT = ((await import(resolve(shortPath))) as { FIBRILLATION_MODEL_SHORT: FibrillationModel })
  .FIBRILLATION_MODEL_SHORT;

/** Header paths of the records and whether each is in fibrillation or flutter by its diagnoses. */
function records(): Array<{ header: string; fibrillation: boolean; flutter: boolean }> {
  if (source === 'ptbxl') {
    const rows = parseCsvObjects(
      readFileSync(join(dir!, 'ptbxl_database.csv'), 'utf8'),
      'ptbxl_database.csv',
    );
    return rows.map((row) => ({
      header: join(dir!, `${row.filename_lr!}.hea`),
      fibrillation: /'(AFIB|AFLT)'/.test(row.scp_codes!),
      flutter: /'AFLT'/.test(row.scp_codes!),
    }));
  }
  const rows = parseCsvObjects(readFileSync(join(dir!, 'ludb.csv'), 'utf8'), 'ludb.csv');
  const rhythm = new Map(rows.map((row) => [String(Number(row.ID)), row.Rhythms!]));
  return readdirSync(join(dir!, 'data'))
    .filter((f) => f.endsWith('.hea'))
    .map((f) => ({
      header: join(dir!, 'data', f),
      fibrillation: /fibrillation|flutter/.test(rhythm.get(f.replace('.hea', '')) ?? ''),
      flutter: /flutter/.test(rhythm.get(f.replace('.hea', '')) ?? ''),
    }));
}

const truth: boolean[] = [];
const scores = { shipped: [] as number[], short: [] as number[] };
const k = FIBRILLATION_FEATURES.length;
const bands = new Map<string, { records: number; gated: number }>();
for (const { header, fibrillation, flutter } of records()) {
  const record = await readRecord(header);
  const times = Array.from(detectQrs(record.signals, record.fs).rPeaks, (p) => p / record.fs);
  const windows = fibrillationWindows(times);
  const mean = (model: FibrillationModel) => {
    if (windows === null) return 0;
    let sum = 0;
    for (let i = 0; i < times.length; i++)
      sum += fibrillationScore(windows.subarray(i * k, (i + 1) * k), model);
    return sum / times.length;
  };
  const shipped = mean(FIBRILLATION_MODEL);
  truth.push(fibrillation);
  if (fibrillation && times.length > 1) {
    const rate = (60 * (times.length - 1)) / (times.at(-1)! - times[0]!);
    const band = flutter ? 'flutter' : rate < 80 ? 'under 80' : rate < 100 ? '80-100' : '100 or more';
    const entry = bands.get(band) ?? { records: 0, gated: 0 };
    entry.records += 1;
    entry.gated += shipped > 0.5 ? 1 : 0;
    bands.set(band, entry);
  }
  scores.shipped.push(shipped);
  scores.short.push(times.length - 1 < FIBRILLATION_MODEL.intervals ? mean(SHORT) : shipped);
}
const positives = truth.filter(Boolean).length;
console.log(`${source}: ${truth.length} records, ${positives} in fibrillation or flutter`);
for (const [name, score] of Object.entries(scores)) {
  const se = truth.filter((t, i) => t && score[i]! > 0.5).length / positives;
  const sp = truth.filter((t, i) => !t && score[i]! <= 0.5).length / (truth.length - positives);
  console.log(
    `  ${name}: AUROC ${auroc(truth.map(Number), score).toFixed(3)}, Se ${se.toFixed(3)}, Sp ${sp.toFixed(3)} at 0.5`,
  );
}
for (const [band, { records: count, gated }] of bands)
  console.log(
    `  shipped, ${band}${band === 'flutter' ? '' : ' beats/min'}: ${gated} of ${count} records above 0.5`,
  );
