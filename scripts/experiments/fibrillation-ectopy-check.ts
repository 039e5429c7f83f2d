/**
 * The fibrillation gate with ventricular ectopy taken out of the intervals, on DS1's reference annotations: per
 * record, how many beats the gate flags inside and outside the annotated AFIB/AFL episodes, and how many non-AF S
 * beats, (a) as shipped (all intervals) and (b) with every interval that starts or ends at a V, F or E beat removed
 * before the 24-interval windows are cut (the reference labels stand in for the model's V calls: an upper bound).
 *
 *   npx tsx scripts/experiments/fibrillation-ectopy-check.ts MITDB_DIR
 */

import { readAnnotations } from '../../src/io/index.js';
import { fibrillationProbability } from '../../src/signal/fibrillation.js';

const dir = process.argv[2] ?? 'data/mitdb';
const BEAT = new Set('NLRBAaJSVrFejnE/fQ?');
const ids = '101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230'.split(
  ' ',
);
const tot = { afIn: 0, af: 0, otherIn: 0, other: 0, sIn: 0, s: 0 };
const tot0 = { afIn: 0, otherIn: 0, sIn: 0 };
for (const id of ids) {
  const ann = await readAnnotations(`${dir}/${id}.atr`);
  let rhythm = '';
  const beats: { t: number; sym: string; af: boolean }[] = [];
  for (const a of ann) {
    if (a.symbol === '+' && a.aux) rhythm = a.aux.replace(/\0/g, '').trim();
    if (BEAT.has(a.symbol))
      beats.push({ t: a.sample / 360, sym: a.symbol, af: rhythm === '(AFIB' || rhythm === '(AFL' });
  }
  const times = beats.map((b) => b.t);
  const p0 = fibrillationProbability(times);
  // The detector's own exclusion: intervals touching a V, F or E beat are left out.
  const ectopic = beats.map((b) => b.sym === 'V' || b.sym === 'F' || b.sym === 'E');
  const p = fibrillationProbability(times, undefined, ectopic);
  const g = (arr: Float32Array, f: (i: number) => boolean) => {
    let n = 0,
      k = 0;
    for (let i = 0; i < arr.length; i++)
      if (f(i)) {
        n++;
        if (arr[i]! > 0.5) k++;
      }
    return [k, n] as const;
  };
  const [afIn, af] = g(p, (i) => beats[i]!.af);
  const [otIn, ot] = g(p, (i) => !beats[i]!.af);
  const [sIn, s] = g(p, (i) => 'AaJSj'.includes(beats[i]!.sym) && !beats[i]!.af);
  const [afIn0] = g(p0, (i) => beats[i]!.af);
  const [otIn0] = g(p0, (i) => !beats[i]!.af);
  const [sIn0] = g(p0, (i) => 'AaJSj'.includes(beats[i]!.sym) && !beats[i]!.af);
  tot.afIn += afIn;
  tot.af += af;
  tot.otherIn += otIn;
  tot.other += ot;
  tot.sIn += sIn;
  tot.s += s;
  tot0.afIn += afIn0;
  tot0.otherIn += otIn0;
  tot0.sIn += sIn0;
  if (af > 0 || otIn0 > 20 || otIn > 20)
    console.log(
      id,
      `AF beats gated ${afIn0}->${afIn}/${af}`,
      `non-AF gated ${otIn0}->${otIn}/${ot}`,
      `S gated ${sIn0}->${sIn}/${s}`,
    );
}
console.log('total', JSON.stringify(tot0), JSON.stringify(tot));
