/**
 * Where a beat CV's ventricular beats go (issue 13 analysis; nothing of it ships): for each record, its annotated
 * AAMI V beats (V and E) grouped by the length of the run they belong to (1, 2, 3-9, 10+ consecutive ones), with the
 * classes the CV's out-of-fold argmax gave them (N S V F Q), and the beats of other classes the CV called V.
 *
 *   npx tsx scripts/experiments/beats-v-runs.ts MITDB_DIR CV_DIR [RECORD ...]   (default: every record of the CV)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnnotations } from '../../src/io/index.js';
import { AAMI_CLASSES } from '../../src/datasets/mitdb/index.js';
import type { HeldoutFile } from '../../src/train/loop.js';

const [root, cv, ...only] = process.argv.slice(2);
if (!root || !cv) throw new Error('usage: beats-v-runs.ts MITDB_DIR CV_DIR [RECORD ...]');
const BEAT_SYMBOLS = new Set('NLRejAaJSVEFfQ/'.split(''));
/** AAMI class V: premature ventricular contractions (V) and ventricular escape beats (E). */
const VENTRICULAR = new Set(['V', 'E']);

/** Out-of-fold argmax and reference class per beat id ("record:sample"). */
const beats = new Map<string, { predicted: number; reference: number }>();
for (const name of readdirSync(cv).filter((entry) => /^fold-\d+$/.test(entry))) {
  const { outputs } = JSON.parse(readFileSync(join(cv, name, 'heldout.json'), 'utf8')) as HeldoutFile;
  outputs.ids.forEach((id, i) => {
    const logits = outputs.logits[i]!;
    beats.set(id, { predicted: logits.indexOf(Math.max(...logits)), reference: outputs.labels[i]![0]! });
  });
}
const records =
  only.length > 0 ? only : [...new Set([...beats.keys()].map((id) => id.split(':')[0]!))].sort();
const runLength = (n: number) => (n === 1 ? '1' : n === 2 ? '2' : n < 10 ? '3-9' : '10+');
const V = AAMI_CLASSES.indexOf('V');

process.stdout.write(`V beats by run length -> predicted ${AAMI_CLASSES.join(' ')}; other beats called V\n`);
for (const record of records) {
  const annotations = (await readAnnotations(join(root, `${record}.atr`))).filter((a) =>
    BEAT_SYMBOLS.has(a.symbol),
  );
  const byRun: Record<string, number[]> = {};
  for (let i = 0; i < annotations.length;) {
    let j = i;
    while (j < annotations.length && VENTRICULAR.has(annotations[j]!.symbol)) j++;
    for (let k = i; k < j; k++) {
      const beat = beats.get(`${record}:${annotations[k]!.sample}`);
      if (beat) (byRun[runLength(j - i)] ??= AAMI_CLASSES.map(() => 0))[beat.predicted]!++;
    }
    i = Math.max(j, i + 1);
  }
  const calledV = AAMI_CLASSES.map(() => 0);
  for (const [id, beat] of beats)
    if (id.startsWith(`${record}:`) && beat.predicted === V && beat.reference !== V)
      calledV[beat.reference]!++;
  process.stdout.write(`${record}  ${JSON.stringify(byRun)}  called V from ${JSON.stringify(calledV)}\n`);
}
