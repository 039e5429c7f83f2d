/**
 * Nested cross-validation of per-class logit offsets (src/train/cv-offsets.ts) on a finished single-label CV, without
 * training: fold k is decided with offsets fitted on the other folds' out-of-fold logits, and compared with plain
 * argmax on the same fold models (paired per fold). Also prints the offsets fitted on all folds, which is what
 * `bundle-model --cv DIR --class-offsets` ships.
 *
 *   npx tsx scripts/experiments/cv-offsets.ts --cv runs/cv/cinc-D [--classes S] [--json out.json]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { readHeldout, type CvSummary } from '../../src/train/cv.js';
import { foldValues, pairedDifference } from '../../src/train/cv-compare.js';
import { offsetsCv } from '../../src/train/cv-offsets.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

const options = new Command()
  .requiredOption('--cv <dir>', 'finished `efficientecg cv` folder (single-label record task)')
  .option('--json <file>', 'write both summaries and the offsets here')
  .option(
    '--classes <names>',
    'fit only these classes’ offsets, comma-separated (e.g. S); the others stay 0',
    (v: string) => v.split(',').filter((name) => name !== ''),
  )
  .parse()
  .opts<{ cv: string; json?: string; classes?: string[] }>();

const written = JSON.parse(readFileSync(join(options.cv, 'cv.json'), 'utf8')) as CvSummary;
const heldout = readHeldout(options.cv, written.folds);
if (heldout === null) throw new Error(`${options.cv}: not every fold has finished`);
const result = offsetsCv(heldout, written.config, options.classes);
const classes = heldout[0]!.outputs.classes;

const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
const row = (label: string, s: CvSummary, paired: string) => {
  const interval = s.intervals[s.metric];
  return `| ${label} | ${s.perFold.map((p) => f(p.value)).join(' / ')} | ${f(s.mean)} ± ${f(s.sd)} | ${f(s.pooled.value)} ${interval ? `[${f(interval[0])}, ${f(interval[1])}]` : ''} | ${paired} |`;
};
const d = pairedDifference(foldValues(result.plain), foldValues(result.nested));
const vector = (o: number[]) => `[${o.map((x) => x.toFixed(2)).join(', ')}]`;
process.stdout.write(
  [
    `| decision | ${result.plain.metric} per fold | mean ± sd | pooled [95 % CI] | paired vs argmax |`,
    '|---|---|---|---|---|',
    row('argmax', result.plain, '—'),
    row(
      'argmax + offsets fitted on the other folds',
      result.nested,
      `${d.mean !== null && d.mean >= 0 ? '+' : ''}${f(d.mean)} ± ${f(d.sd)} (${d.up}/${d.folds} folds up)`,
    ),
    '',
    `nested offsets per fold (${classes.join(', ')}): ${result.nestedOffsets.map(vector).join(' ')}`,
    `offsets fitted on all ${result.plain.folds} folds (shipped): ${vector(result.offsets)}`,
    '',
  ].join('\n'),
);
if (options.json) writeFileAtomic(options.json, `${JSON.stringify(result, null, 1)}\n`);
