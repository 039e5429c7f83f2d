/**
 * How a record shorter than the model's window should fill it: real 10 s records (LUDB, PTB-XL) cut to shorter
 * lengths and predicted with each short-record strategy (src/infer/prepare.ts SHORT_RECORD_STRATEGIES), compared
 * with the prediction on the whole record: how many label sets change and how far the probabilities move.
 *
 *   npx tsx scripts/short-records.ts --data /tmp/ecg-data --model ptbxl-w0.25 --seconds 5,7.3 [--limit N] [--json out.json]
 *
 * LUDB: data/*.hea (500 Hz, 10 s); PTB-XL: records100/ ** /*.hea (100 Hz, 10 s); CinC 2017 (--datasets cinc2017):
 * the records of at least 30 s, their first 30 s as the whole record. Leads are named as the model
 * expects them (LUDB writes i, ii, avr ...; the Predictor matches names case-insensitively).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Predictor } from '../src/infer/predictor.js';
import { SHORT_RECORD_STRATEGIES, type ShortRecordStrategy } from '../src/infer/prepare.js';
import { readRecord } from '../src/io/read.js';
import type { EcgRecord } from '../src/io/record.js';
import { resolveModel } from '../src/models/bundled.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/tmp/ecg-data' },
    model: { type: 'string', default: 'ptbxl-w0.25' },
    seconds: { type: 'string', default: '5,7.3' },
    limit: { type: 'string', default: '0' },
    json: { type: 'string' },
    datasets: { type: 'string', default: 'ludb,ptbxl' },
  },
});

function headers(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return headers(path);
      return name.endsWith('.hea') ? [path] : [];
    });
}

interface Arm {
  records: number;
  labelChanges: number;
  /** Sum over records of the mean |delta p| over classes, and per class. */
  meanShift: number;
  classShift: Record<string, number>;
  maxShift: number;
}

const cut = (record: EcgRecord, seconds: number): EcgRecord => ({
  ...record,
  signals: record.signals.map((s) => s.slice(0, Math.round(seconds * record.fs))),
});

async function study(name: string, files: string[], predictor: Predictor, lengths: number[], whole: number) {
  const arms = new Map<string, Arm>();
  const labels = predictor.info.labels;
  for (const file of files) {
    const record = cut(await readRecord(file), whole);
    const full = await predictor.predict(record);
    for (const seconds of lengths) {
      for (const strategy of SHORT_RECORD_STRATEGIES) {
        const short = await predictor.predict(cut(record, seconds), { shortRecords: strategy });
        const key = `${seconds}|${strategy}`;
        const arm = arms.get(key) ?? {
          records: 0,
          labelChanges: 0,
          meanShift: 0,
          classShift: {},
          maxShift: 0,
        };
        const shifts = labels.map((l) => Math.abs(short.probabilities[l]! - full.probabilities[l]!));
        arm.records++;
        if (short.labels.join(' ') !== full.labels.join(' ')) arm.labelChanges++;
        arm.meanShift += shifts.reduce((a, b) => a + b, 0) / shifts.length;
        labels.forEach(
          (l) =>
            (arm.classShift[l] =
              (arm.classShift[l] ?? 0) + (short.probabilities[l]! - full.probabilities[l]!)),
        );
        arm.maxShift = Math.max(arm.maxShift, ...shifts);
        arms.set(key, arm);
      }
    }
  }
  const rows = [...arms].map(([key, arm]) => {
    const [seconds, strategy] = key.split('|') as [string, ShortRecordStrategy];
    return {
      dataset: name,
      seconds: Number(seconds),
      strategy,
      records: arm.records,
      labelChanges: arm.labelChanges,
      meanAbsShift: arm.meanShift / arm.records,
      maxAbsShift: arm.maxShift,
      meanSignedShift: Object.fromEntries(labels.map((l) => [l, arm.classShift[l]! / arm.records])),
    };
  });
  return rows;
}

const lengths = values.seconds!.split(',').map(Number);
const limit = Number(values.limit);
const take = (files: string[]) => (limit > 0 ? files.slice(0, limit) : files);
/** CinC 2017 records of at least `seconds` (most are 30 s), cut to that length: the 'whole' record of the study. */
async function cincRecords(dir: string, seconds: number): Promise<string[]> {
  const out: string[] = [];
  for (const file of headers(dir)) {
    const header = await readRecord(file);
    if (header.signals[0]!.length >= seconds * header.fs) out.push(file);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

const DATASETS: Record<string, () => Promise<[string, string[], number]>> = {
  ludb: async () => ['LUDB', take(headers(join(values.data!, 'ludb', 'data'))), 10],
  ptbxl: async () => ['PTB-XL', take(headers(join(values.data!, 'ptbxl', 'records100'))), 10],
  cinc2017: async () => ['CinC 2017', await cincRecords(join(values.data!, 'cinc2017'), 30), 30],
};
const names = values.datasets!.split(',');
const unknown = names.filter((name) => !Object.hasOwn(DATASETS, name));
// Checked before the model loads: a typo should not cost a run, nor read as a TypeError.
if (unknown.length > 0)
  throw new Error(
    `--datasets: unknown ${unknown.map((name) => `"${name}"`).join(', ')} (known: ${Object.keys(DATASETS).join(', ')})`,
  );
const model = resolveModel(values.model!, 'onnx');
const predictor = await Predictor.load(model.path, { name: model.name, threads: 1 });
const rows = [];
for (const name of names) {
  const [title, files, whole] = await DATASETS[name]!();
  rows.push(...(await study(title, files, predictor, lengths, whole)));
}
console.log(
  `model ${model.name}; label sets compared with the whole record's (first 10 s; CinC 2017: first 30 s)`,
);
console.log(
  '| data | cut to | strategy | records | label sets changed | mean abs. shift | max abs. shift | mean signed shift per class |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const signed = Object.entries(r.meanSignedShift)
    .map(([l, v]) => `${l} ${v >= 0 ? '+' : ''}${v.toFixed(3)}`)
    .join(', ');
  console.log(
    `| ${r.dataset} | ${r.seconds} s | ${r.strategy} | ${r.records} | ${r.labelChanges} (${((100 * r.labelChanges) / r.records).toFixed(1)} %) | ${r.meanAbsShift.toFixed(4)} | ${r.maxAbsShift.toFixed(3)} | ${signed} |`,
  );
}
if (values.json) writeFileAtomic(values.json, `${JSON.stringify(rows, null, 2)}\n`);
await predictor.release();
