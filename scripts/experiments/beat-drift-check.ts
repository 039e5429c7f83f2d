/**
 * Where a record's false V calls sit in time, and whether its normal beats drift away from the record template
 * (issue 13: MIT-BIH 108). Per block of minutes: the N beats, the share of them a beat CV called V (its held-out
 * logits, argmax), and the median correlation of their MLII QRS with the record template and with the local one
 * (src/signal/beat-context.ts), as the context features measure them.
 *
 *   npx tsx scripts/experiments/beat-drift-check.ts MITDB_DIR RECORD CV_DIR [--minutes 2]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { openMitdb } from '../../src/datasets/mitdb/index.js';
import { beatGeometry, loadBeatSet } from '../../src/train/beats.js';
import { mergeConfig, parseTrainConfig, TRAIN_DEFAULTS } from '../../src/train/config.js';

const program = new Command()
  .argument('<mitdb>')
  .argument('<record>')
  .argument('<cv>', 'a beat CV folder (scripts/experiments/mitdb-beats-cv.sh)')
  .option('--minutes <m>', 'block length in minutes', '2')
  .parse();
const [dir, record, cv] = program.args as [string, string, string];
const minutes = Number(program.opts().minutes);

interface Heldout {
  outputs: { ids: string[]; logits: number[][] };
}
const called = new Map<number, number>(); // annotated sample -> argmax class
for (const fold of readdirSync(cv).filter((name) => name.startsWith('fold-'))) {
  const { outputs } = JSON.parse(readFileSync(join(cv, fold, 'heldout.json'), 'utf8')) as Heldout;
  outputs.ids.forEach((id, i) => {
    const [name, sample] = id.split(':');
    const row = outputs.logits[i]!;
    if (name === record) called.set(Number(sample), row.indexOf(Math.max(...row)));
  });
}
if (called.size === 0) throw new Error(`${cv}: no held-out beats of record ${record}`);

const fold1 = JSON.parse(readFileSync(join(cv, 'fold-1', 'config.json'), 'utf8')) as Record<string, unknown>;
const dataset = await openMitdb(dir);
const correlations = async (template: 'record' | 'local') => {
  const base = fold1 as { beats: Record<string, unknown> };
  // Merged over the defaults: runs saved before a config field existed still parse.
  const config = parseTrainConfig(
    mergeConfig(TRAIN_DEFAULTS, { ...base, beats: { ...base.beats, template } }),
  );
  const set = await loadBeatSet(dataset, [record], config, beatGeometry(config, 360));
  const column = set.contextFeatures.indexOf('templateCorrelation0');
  const k = set.contextFeatures.length;
  return { set, values: Array.from({ length: set.count }, (_, i) => set.context[i * k + column]!) };
};
const record_ = await correlations('record');
const local = await correlations('local');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

console.log(`| minutes | N beats | N called V | N corr. record template | N corr. local template |`);
console.log(`|---|---|---|---|---|`);
const { set } = record_;
const fs = 360;
const blocks = Math.ceil((set.samples[set.count - 1]! / fs / 60 + 1e-9) / minutes);
for (let block = 0; block < blocks; block++) {
  const rows: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const minute = set.samples[i]! / fs / 60;
    if (set.labels[i] === 0 && minute >= block * minutes && minute < (block + 1) * minutes) rows.push(i);
  }
  if (rows.length === 0) continue;
  const asV = rows.filter((i) => called.get(set.samples[i]!) === 2).length;
  const from = block * minutes;
  console.log(
    `| ${from}-${from + minutes} | ${rows.length} | ${(asV / rows.length).toFixed(2)} | ` +
      `${median(rows.map((i) => record_.values[i]!)).toFixed(2)} | ${median(rows.map((i) => local.values[i]!)).toFixed(2)} |`,
  );
}
