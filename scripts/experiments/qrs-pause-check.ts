/**
 * The R-peak detector around long pauses (issue 13: DS2 holds record 232, whose pauses last up to 6 s; DS1 has none
 * that long). Into each MIT-BIH record given, a pause of 3-6 s (the baseline held, +-5 uV of noise) is spliced in
 * the middle of every 40th RR interval, the reference beats are shifted with it, and the detector's beats are matched
 * to them (150 ms, one to one). VF episodes are not excluded (record 207's extra beats are mostly there, with or
 * without pauses): compare runs of this script, not its figures with validate-qrs.ts.
 *
 *   npx tsx scripts/experiments/qrs-pause-check.ts /tmp/ecg-data/mitdb 101 106 ...
 */
import { join } from 'node:path';
import { readAnnotations, readRecord } from '../../src/io/index.js';
import { matchEvents } from '../../src/signal/detect/match.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { seededRandom } from '../../src/train/random.js';

const BEAT_SYMBOLS = new Set('NLRBAaJSVrFejnE/fQ?');
const EVERY = 40;

interface Pause {
  at: number;
  length: number;
}

/** The leads with `pauses` spliced in (each holds the sample before it, plus small uniform noise). */
function withPauses(
  signals: readonly Float32Array[],
  pauses: readonly Pause[],
  seed: number,
): Float32Array[] {
  const random = seededRandom(seed);
  const extra = pauses.reduce((sum, p) => sum + p.length, 0);
  return signals.map((lead) => {
    const out = new Float32Array(lead.length + extra);
    let from = 0;
    let to = 0;
    for (const pause of [...pauses, { at: lead.length, length: 0 }]) {
      out.set(lead.subarray(from, pause.at), to);
      to += pause.at - from;
      const base = lead[pause.at - 1] ?? 0;
      for (let k = 0; k < pause.length; k++) out[to + k] = base + 0.01 * (random.next() - 0.5);
      to += pause.length;
      from = pause.at;
    }
    return out;
  });
}

const [dir, ...records] = process.argv.slice(2);
if (!dir || records.length === 0) throw new Error('usage: qrs-pause-check.ts MITDB_DIR RECORD...');
const total = { beats: 0, tp: 0, fn: 0, fp: 0 };
for (const id of records) {
  const ecg = await readRecord(join(dir, `${id}.hea`));
  const beats = (await readAnnotations(join(dir, `${id}.atr`)))
    .filter((a) => BEAT_SYMBOLS.has(a.symbol))
    .map((a) => a.sample);
  const random = seededRandom(Number(id));
  const pauses: Pause[] = [];
  for (let k = EVERY; k + 1 < beats.length; k += EVERY)
    pauses.push({
      at: Math.round((beats[k]! + beats[k + 1]!) / 2),
      length: Math.round((3 + 3 * random.next()) * ecg.fs),
    });
  const shift = (sample: number) => pauses.reduce((sum, p) => sum + (p.at <= sample ? p.length : 0), 0);
  const reference = beats.map((sample) => sample + shift(sample));
  const detected = detectQrs(withPauses(ecg.signals, pauses, Number(id) + 1), ecg.fs).rPeaks;
  const m = matchEvents(reference, detected, Math.round(0.15 * ecg.fs));
  const row = { beats: reference.length, tp: m.truePositives, fn: m.missed.length, fp: m.falsePositives };
  process.stdout.write(`${id}: ${pauses.length} pauses, ${row.beats} beats, FN ${row.fn}, FP ${row.fp}\n`);
  for (const key of ['beats', 'tp', 'fn', 'fp'] as const) total[key] += row[key];
}
const pct = (a: number, b: number) => ((100 * a) / b).toFixed(2);
process.stdout.write(
  `gross: ${total.beats} beats, FN ${total.fn}, FP ${total.fp}, Se ${pct(total.tp, total.tp + total.fn)} %, +P ${pct(total.tp, total.tp + total.fp)} %\n`,
);
