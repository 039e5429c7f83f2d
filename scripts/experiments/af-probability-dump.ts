/**
 * Per DS1 beat, the probability of atrial fibrillation that a CinC 2017 model gives the 10 s window holding the
 * beat (MLII read as the single CinC lead): a candidate rhythm input for the beat model, for
 * beat-features-lr.py --af FILE. Beats are in the order of dump-beat-context.ts (records, then beats).
 *   npx tsx scripts/experiments/af-probability-dump.ts MITDB_DIR MODEL.onnx OUT.json
 */
import { writeFileSync } from 'node:fs';
import { openMitdb } from '../../src/datasets/mitdb/index.js';
import { Predictor } from '../../src/infer/predictor.js';

const [root, modelPath, out] = process.argv.slice(2);
const dataset = await openMitdb(root!);
const predictor = await Predictor.load(modelPath!, { backend: 'node', threads: 1 });
const af = predictor.info.labels.indexOf('A');
const values: number[] = [];
for (const entry of dataset.entries.filter((e) => e.split !== 'test')) {
  const { record } = await dataset.load(entry.id);
  const lead = record.leads.indexOf('MLII');
  const single = {
    ...record,
    leads: ['ECG'],
    units: [record.units[lead]!],
    signals: [record.signals[lead]!],
  };
  const prediction = await predictor.predict(single);
  if (prediction.task !== 'records') throw new Error('a record model is needed');
  const starts = prediction.windows.map((w) => w.start); // seconds
  for (const beat of dataset.beats.get(entry.id) ?? []) {
    const t = beat.sample / record.fs;
    let w = 0;
    while (w + 1 < starts.length && starts[w + 1]! <= t) w++;
    values.push(prediction.windows[w]!.probabilities[af]!);
  }
  console.log(entry.id, prediction.windows.length, 'windows');
}
await predictor.release();
writeFileSync(out!, JSON.stringify(values));
