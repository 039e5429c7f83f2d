/**
 * Do CinC 2017 records held upside down (the AliveCor device can be held either way) score worse out of fold?
 * The R-peak detector's dominant QRS polarity splits the records into upright and inverted; each CV folder's pooled
 * out-of-fold predictions are scored on both halves. A large gap would argue for polarity augmentation or
 * correction; docs/results.md reports the figures.
 *
 *   npx tsx scripts/experiments/cinc2017-polarity-check.ts CINC2017_DIR CV_DIR [CV_DIR...]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord } from '../../src/io/index.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { outputsMetrics, poolOutputs, readHeldout, type CvSummary } from '../../src/train/cv.js';

const [dataDir, ...cvDirs] = process.argv.slice(2);
if (!dataDir || cvDirs.length === 0)
  throw new Error('usage: cinc2017-polarity-check.ts CINC2017_DIR CV_DIR [CV_DIR...]');

const inverted = new Set<string>();
const ids = readdirSync(dataDir)
  .filter((name) => name.endsWith('.hea'))
  .map((name) => name.slice(0, -'.hea'.length));
for (const id of ids) {
  const ecg = await readRecord(join(dataDir, `${id}.hea`));
  if (detectQrs(ecg.signals, ecg.fs).polarity < 0) inverted.add(id);
}
process.stdout.write(
  `${inverted.size} of ${ids.length} records inverted (dominant QRS deflection downward)\n`,
);

for (const dir of cvDirs) {
  const { folds } = JSON.parse(readFileSync(join(dir, 'cv.json'), 'utf8')) as CvSummary;
  const heldout = readHeldout(dir, folds);
  if (heldout === null) throw new Error(`${dir}: not every fold of ${folds} is finished`);
  const pooled = poolOutputs(heldout.map((file) => file.outputs));
  const half = (wanted: boolean) => pooled.ids.flatMap((id, i) => (inverted.has(id) === wanted ? [i] : []));
  for (const [name, indices] of [
    ['all', pooled.ids.map((_, i) => i)],
    ['upright', half(false)],
    ['inverted', half(true)],
  ] as const) {
    const metrics = outputsMetrics(pooled, indices);
    const perClass = metrics.details.f1_per_class as Record<string, number>;
    process.stdout.write(
      `${dir} ${name.padEnd(8)} ${String(indices.length).padStart(5)} records  ${metrics.metric} ` +
        `${metrics.value?.toFixed(3)}  F1 N ${perClass.N?.toFixed(3)} A ${perClass.A?.toFixed(3)} O ${perClass.O?.toFixed(3)}\n`,
    );
  }
}
