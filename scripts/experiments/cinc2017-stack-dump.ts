/**
 * Does a late-fusion stacker gain on CinC 2017 from hand-made rhythm features on top of a trained model? Dumps, for
 * every validation record of the dataset's seeded split (fold 5), the model's probabilities (onnxruntime) and the
 * record's rhythm features: the fusion `rhythm` token's numbers (src/signal/rhythm-record.ts), the RR fibrillation
 * detector's mean probability, gated share and whole-record features (src/signal/fibrillation.ts), beats per second
 * and quality flags. scripts/experiments/cinc2017-stack-check.py then compares, in 5-fold CV inside those records,
 * a logistic regression on the model's log-probabilities alone with one that also reads the features.
 *
 *   npx tsx scripts/experiments/cinc2017-stack-dump.ts CINC2017_DIR models/cinc2017-w0.25-30s.onnx OUT.json
 *   python3 scripts/experiments/cinc2017-stack-check.py OUT.json
 */
import { writeFileSync } from 'node:fs';
import { openCinc2017 } from '../../src/datasets/index.js';
import { Predictor } from '../../src/infer/predictor.js';
import { recordRhythm } from '../../src/signal/rhythm-record.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { fibrillationProbability, fibrillationFeatures } from '../../src/signal/fibrillation.js';
import { assessQuality } from '../../src/signal/quality.js';
const [root, model, out] = process.argv.slice(2);
const dataset = await openCinc2017(root!);
const predictor = await Predictor.load(model!, { backend: 'node', threads: 2 });
const rows: unknown[] = [];
const safely = <T>(f: () => T, fallback: T): T => {
  try {
    return f();
  } catch {
    return fallback;
  }
};
const entries = dataset.entries.filter((e) => e.split === 'val');
let k = 0;
for (const entry of entries) {
  const { record } = await dataset.load(entry.id);
  const prediction = await predictor.predict(record);
  const rhythm = recordRhythm(record);
  const qrs = detectQrs(record.signals, record.fs);
  const times = Array.from(qrs.rPeaks, (s) => s / record.fs);
  const rr = times.slice(1).map((t, i) => t - times[i]!);
  const af = safely(() => Array.from(fibrillationProbability(times)), []);
  // Whole-record interval features (the detector's inputs over every interval rather than 24).
  const feats = rr.length >= 8 ? safely(() => fibrillationFeatures(rr), null) : null;
  const quality = assessQuality(record);
  rows.push({
    id: entry.id,
    label: entry.labels[0],
    labels: dataset.classes,
    probabilities: prediction.probabilities,
    rhythm,
    beats: times.length,
    seconds: record.signals[0]!.length / record.fs,
    afMean: af.length ? af.reduce((a, b) => a + b, 0) / af.length : null,
    afShare: af.length ? af.filter((p) => p > 0.5).length / af.length : null,
    feats,
    qualityFlags: quality.flags.length,
    noisy: qrs.flags.includes('noisy'),
  });
  if (++k % 200 === 0) console.error(k, '/', entries.length);
}
await predictor.release();
writeFileSync(out!, JSON.stringify(rows));
