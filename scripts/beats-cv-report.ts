/**
 * Report of a beat-model cross-validation (`efficientecg cv --dataset mitdb`, scripts/experiments/mitdb-beats-cv.sh):
 * pooled gross AAMI figures (EC57 convention: Se, +P, F1 of N, S, V, F and accuracy) over the held-out beats of the
 * folds that are done, and the per-record table. With --detected, also the end-to-end path a user runs: each fold's
 * last model exported to ONNX, run by the Predictor on the R peaks the QRS detector finds in its held-out records,
 * detections matched to the annotated beats within 150 ms; an annotated beat with no detection counts as a miss of
 * its class, a detection with no annotated beat as a false positive of the class it was given; detections inside
 * ventricular flutter episodes (record 207) are left out, as EC57 and scripts/validate-qrs.ts do.
 *
 *   npx tsx scripts/beats-cv-report.ts CV_DIR [--folds 1,2,...] [--detected MITDB_DIR] [--one-lead MITDB_DIR] [--ensemble DIR2,...] [--offsets FILE] [--markdown]
 *
 * --folds reports only those folds (to compare arms on the same held-out records while not all folds are run).
 * --one-lead MITDB_DIR also scores each fold's model on its records cut to their first lead (a two-lead model on
 * one-lead recordings).
 * --ensemble averages each beat's logits with the same fold's in other CV folders (seeds or arms on the same folds).
 * --offsets FILE (`scripts/experiments/cv-offsets.ts --json FILE`) decides fold k with its nested class offsets
 * (fitted on the other folds), on annotated and detected peaks alike (there through the predictor, after the gate).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AAMI_CLASSES, openMitdb } from '../src/datasets/mitdb/index.js';
import { aamiBeatMetrics, aamiConfusion, SCORED_AAMI_CLASSES, type BeatMetrics } from '../src/eval/beats.js';
import { readCheckpoint, type Checkpoint } from '../src/export/checkpoint.js';
import { classifiableBeats } from '../src/infer/detected-beats.js';
import { exportCheckpoint } from '../src/infer/export-model.js';
import { ensembleCheckpoint } from '../src/models/ensemble.js';
import { Predictor } from '../src/infer/predictor.js';
import { selectLeads } from '../src/infer/prepare.js';
import { readAnnotations } from '../src/io/index.js';
import { flutterEpisodes, matchEvents } from '../src/signal/detect/match.js';
import { detectQrs } from '../src/signal/qrs.js';
import { beatDecisionRules } from '../src/train/beats.js';
import { readFoldHeldout } from '../src/train/heldout.js';
import { RUN_FILES, type HeldoutFile } from '../src/train/loop.js';
import type { TrainConfig } from '../src/train/config.js';

const TOLERANCE_S = 0.15;
const Q = AAMI_CLASSES.indexOf('Q');

interface Scores {
  reference: number[];
  predicted: number[];
  record: string[];
  /** Detections without an annotated beat, by predicted class index (end-to-end path only). */
  extra: number[];
}

const argmax = (row: readonly number[]) => row.reduce((b, v, i) => (v > row[b]! ? i : b), 0);

/**
 * Every finished fold (as src/train/cv-compare.ts lists them: folds run apart, e.g. `cv --only 3` elsewhere, leave
 * gaps), each file checked to be its folder's fold of the same fold count.
 */
function doneFolds(dir: string): HeldoutFile[] {
  if (!existsSync(dir)) throw new Error(`${dir}: cross-validation folder not found`);
  const folds = readdirSync(dir)
    .map((name) => /^fold-(\d+)$/.exec(name)?.[1])
    .filter((k): k is string => k !== undefined && existsSync(join(dir, `fold-${k}`, RUN_FILES.heldout)))
    .map(Number)
    .sort((a, b) => a - b);
  if (folds.length === 0) throw new Error(`${dir}: no finished fold (no fold-k/${RUN_FILES.heldout})`);
  const first = readFoldHeldout(dir, folds[0]!);
  const files = folds.map((k) => (k === first.fold ? first : readFoldHeldout(dir, k, first.folds)));
  const beyond = folds.filter((k) => k > first.folds);
  if (beyond.length > 0) throw new Error(`${dir}: fold(s) ${beyond.join(', ')} of a ${first.folds}-fold CV`);
  return files;
}

/** The requested folds (--folds), each of which must be done: a silently dropped fold changes what is compared. */
function requestedFolds(dir: string, done: readonly HeldoutFile[], list: string): HeldoutFile[] {
  const entries = list.split(',');
  const wanted = entries.map(Number);
  const bad = entries.filter((_, i) => !Number.isInteger(wanted[i]) || wanted[i]! < 1);
  if (bad.length > 0) throw new Error(`--folds ${list}: not fold numbers (${bad.join(', ')})`);
  const missing = wanted.filter((k) => !done.some((fold) => fold.fold === k));
  if (missing.length > 0)
    throw new Error(
      `--folds: fold(s) ${missing.join(', ')} not done in ${dir} (done: ${done.map((f) => f.fold).join(', ')})`,
    );
  return done.filter((fold) => wanted.includes(fold.fold));
}

/**
 * The folds with each beat's logits averaged with the same fold's logits in the other CV folders (--ensemble: the
 * per-fold ensemble of arms or seeds trained on the same folds). The beats must be the same, in the same order.
 */
function averagedFolds(folds: readonly HeldoutFile[], others: readonly string[]): HeldoutFile[] {
  return folds.map((fold) => {
    const members = others.map((dir) => {
      const path = join(dir, `fold-${fold.fold}`, RUN_FILES.heldout);
      if (!existsSync(path)) throw new Error(`${path}: fold ${fold.fold} is not done in ${dir}`);
      const other = readFoldHeldout(dir, fold.fold, fold.folds);
      if (JSON.stringify(other.outputs.ids) !== JSON.stringify(fold.outputs.ids))
        throw new Error(`${path}: not the same beats as fold ${fold.fold} of the first folder`);
      return other.outputs.logits;
    });
    const logits = fold.outputs.logits.map((row, i) =>
      row.map((v, c) => (v + members.reduce((sum, m) => sum + m[i]![c]!, 0)) / (members.length + 1)),
    );
    return { ...fold, outputs: { ...fold.outputs, logits } };
  });
}

function annotatedScores(folds: readonly HeldoutFile[]): Scores {
  const scores = emptyScores();
  for (const fold of folds) {
    const out = fold.outputs;
    out.logits.forEach((row, i) => {
      scores.reference.push(out.labels[i]![0]!);
      scores.predicted.push(argmax(row));
      scores.record.push(out.groups[i]!);
    });
  }
  return scores;
}

const emptyScores = (): Scores => ({
  reference: [],
  predicted: [],
  record: [],
  extra: new Array(AAMI_CLASSES.length).fill(0),
});

/** Fold k's last model, exported to ONNX and loaded as the Predictor a user runs. */
/** Nested offsets of fold k (1-based) from a cv-offsets.ts --json file; null without --offsets. */
let nestedOffsets: number[][] | null = null;
const offsetsOf = (fold: HeldoutFile) => nestedOffsets?.[fold.fold - 1] ?? null;

async function foldPredictor(cvDir: string, fold: HeldoutFile): Promise<Predictor> {
  const path = join(cvDir, `fold-${fold.fold}`, 'last.safetensors');
  const offsets = offsetsOf(fold);
  // A one-member ensemble carries the offsets in its beat metadata, as a bundled model does.
  const checkpoint = withFoldVote(
    cvDir,
    fold,
    offsets ? ensembleCheckpoint([readCheckpoint(path)], [path], offsets) : readCheckpoint(path),
  );
  return Predictor.load(exportCheckpoint(checkpoint, `fold ${fold.fold}`, 'beats'));
}

/**
 * A fold re-decided with the cluster vote or the fusion rule (beats-cv-rescore.ts) says so in its config, not its
 * weights.
 */
function withFoldVote(cvDir: string, fold: HeldoutFile, checkpoint: Checkpoint): Checkpoint {
  const configPath = join(cvDir, `fold-${fold.fold}`, 'config.json');
  if (!existsSync(configPath)) return checkpoint;
  const rules = beatDecisionRules((JSON.parse(readFileSync(configPath, 'utf8')) as TrainConfig).beats);
  if (Object.keys(rules).length === 0) return checkpoint;
  const extra = checkpoint.metadata.extra ?? {};
  const beats = { ...(extra.beats as Record<string, unknown>), ...rules };
  return { ...checkpoint, metadata: { ...checkpoint.metadata, extra: { ...extra, beats } } };
}

function shiftedFolds(folds: readonly HeldoutFile[]): HeldoutFile[] {
  return folds.map((fold) => {
    const offsets = offsetsOf(fold);
    if (offsets === null) throw new Error(`--offsets: no offsets for fold ${fold.fold}`);
    const logits = fold.outputs.logits.map((row) => row.map((v, c) => v + offsets[c]!));
    return { ...fold, outputs: { ...fold.outputs, logits } };
  });
}

async function detectedScores(cvDir: string, folds: readonly HeldoutFile[], data: string): Promise<Scores> {
  const dataset = await openMitdb(data);
  const scores = emptyScores();
  for (const fold of folds) {
    const predictor = await foldPredictor(cvDir, fold);
    for (const id of [...new Set(fold.outputs.groups)]) {
      const { record } = await dataset.load(id);
      const annotated = dataset.beats.get(id) ?? [];
      // As EC57 (and scripts/validate-qrs.ts): detections inside ventricular flutter episodes are left out.
      const episodes = flutterEpisodes(
        await readAnnotations(join(data, `${id}.atr`)),
        record.signals[0]!.length,
      );
      const peaks = Array.from(detectQrs(record.signals, record.fs).rPeaks).filter((p) =>
        episodes.every(([a, b]) => p < a || p > b),
      );
      // The beats `predict` classifies: those whose QRS the record's edge cuts are left out (missed, if annotated).
      const found = classifiableBeats(peaks, record.fs, record.signals[0]!.length);
      const { beats } = found;
      const prediction = await predictor.predictBeats(record, found.detected, { classify: found.classify });
      const predicted = prediction.beats.map((row) => argmax(row.probabilities));
      const match = matchEvents(
        annotated.map((beat) => beat.sample),
        beats.map((beat) => beat.sample),
        Math.round(TOLERANCE_S * record.fs),
      );
      // matchEvents gives missed reference and extra detection samples, and per matched reference (in order)
      // the detection's offset from it.
      const missed = new Set(match.missed);
      const detectionAt = new Map(beats.map((beat, d) => [beat.sample, d]));
      let k = 0;
      annotated.forEach((beat, r) => {
        scores.reference.push(AAMI_CLASSES.indexOf(beat.aami));
        scores.record.push(id);
        if (missed.has(beat.sample)) {
          scores.predicted.push(Q); // a scored beat labelled Q is a miss of its class (EC57 convention)
          return;
        }
        scores.predicted.push(predicted[detectionAt.get(annotated[r]!.sample + match.errors[k++]!)!]!);
      });
      for (const sample of match.extra) scores.extra[predicted[detectionAt.get(sample)!]!]! += 1;
    }
    await predictor.release();
  }
  return scores;
}

/**
 * The annotated beats scored by each fold's model through ONNX with the record cut to its first lead (MLII): what a
 * two-lead model does on a one-lead recording (the Predictor reads a zero chest lead).
 */
async function oneLeadScores(cvDir: string, folds: readonly HeldoutFile[], data: string): Promise<Scores> {
  const dataset = await openMitdb(data);
  const scores = emptyScores();
  for (const fold of folds) {
    const predictor = await foldPredictor(cvDir, fold);
    const first = predictor.info.leads[0]!;
    for (const id of [...new Set(fold.outputs.groups)]) {
      const { record } = await dataset.load(id);
      const lead = selectLeads(record.leads, [first]).indices[0]!;
      const single = {
        ...record,
        leads: [record.leads[lead]!],
        units: [record.units[lead]!],
        signals: [record.signals[lead]!],
      };
      const annotated = dataset.beats.get(id) ?? [];
      const prediction = await predictor.predictBeats(single, annotated);
      annotated.forEach((beat, b) => {
        scores.reference.push(AAMI_CLASSES.indexOf(beat.aami));
        scores.predicted.push(argmax(prediction.beats[b]!.probabilities));
        scores.record.push(id);
      });
    }
    await predictor.release();
  }
  return scores;
}

/** EC57 metrics of the matched beats, with extra detections added to the false positives of their class. */
function metricsOf(scores: Scores): BeatMetrics {
  const metrics = aamiBeatMetrics(aamiConfusion(scores.reference, scores.predicted));
  for (const name of SCORED_AAMI_CLASSES) {
    const m = metrics[name];
    m.fp += scores.extra[AAMI_CLASSES.indexOf(name)]!;
    m.ppv = m.tp + m.fp > 0 ? m.tp / (m.tp + m.fp) : null;
    m.f1 = 2 * m.tp + m.fp + m.fn > 0 ? (2 * m.tp) / (2 * m.tp + m.fp + m.fn) : null;
  }
  return metrics;
}

const fixed = (v: number | null) => (v === null ? '-' : v.toFixed(3));

function row(label: string, m: BeatMetrics): string[] {
  const cells = [label, String(m.scored)];
  for (const name of SCORED_AAMI_CLASSES)
    cells.push(fixed(m[name].se), fixed(m[name].ppv), fixed(m[name].f1));
  cells.push(fixed(m.accuracy));
  return cells;
}

const HEADER = ['', 'beats', ...SCORED_AAMI_CLASSES.flatMap((c) => [`${c} Se`, `${c} +P`, `${c} F1`]), 'acc'];

function print(rows: string[][], markdown: boolean): void {
  if (markdown) {
    console.log(`| ${HEADER.join(' | ')} |`);
    console.log(`|${HEADER.map(() => '---').join('|')}|`);
    for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
  } else {
    for (const cells of [HEADER, ...rows]) console.log(cells.map((c) => c.padStart(7)).join(' '));
  }
}

function subset(scores: Scores, record: string): Scores {
  const keep = scores.record.map((r, i) => (r === record ? i : -1)).filter((i) => i >= 0);
  return {
    reference: keep.map((i) => scores.reference[i]!),
    predicted: keep.map((i) => scores.predicted[i]!),
    record: keep.map(() => record),
    extra: new Array(AAMI_CLASSES.length).fill(0),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (!dir)
    throw new Error(
      'usage: npx tsx scripts/beats-cv-report.ts CV_DIR [--folds LIST] [--detected MITDB_DIR] [--ensemble DIRS] [--offsets FILE] [--markdown]',
    );
  const markdown = args.includes('--markdown');
  const detectedAt = args.indexOf('--detected');
  const foldsAt = args.indexOf('--folds');
  const ensembleAt = args.indexOf('--ensemble');
  const others = ensembleAt > 0 ? args[ensembleAt + 1]!.split(',') : [];
  const finished = doneFolds(dir);
  const done = foldsAt > 0 ? requestedFolds(dir, finished, args[foldsAt + 1] ?? '') : finished;
  const offsetsAt = args.indexOf('--offsets');
  if (offsetsAt > 0)
    nestedOffsets = (JSON.parse(readFileSync(args[offsetsAt + 1]!, 'utf8')) as { nestedOffsets: number[][] })
      .nestedOffsets;
  const averaged = others.length > 0 ? averagedFolds(done, others) : done;
  const folds = nestedOffsets ? shiftedFolds(averaged) : averaged;
  if (others.length > 0 && args.includes('--detected'))
    throw new Error('--ensemble scores annotated R peaks only (no --detected)');
  const total = finished[0]!.folds;
  const reported = foldsAt > 0 ? `; reported: ${folds.map((f) => f.fold).join(', ')}` : '';
  console.log(
    `${dir}: ${finished.length} of ${total} folds done (${finished.map((f) => f.fold).join(', ')})${reported}`,
  );
  const annotated = annotatedScores(folds);
  const records = [...new Set(annotated.record)].sort();
  const rows = [row('pooled (annotated R peaks)', metricsOf(annotated))];
  const oneLeadAt = args.indexOf('--one-lead');
  if (oneLeadAt > 0) {
    const oneLead = await oneLeadScores(dir, folds, args[oneLeadAt + 1]!);
    rows.push(row('pooled (annotated R peaks, first lead only)', metricsOf(oneLead)));
  }
  if (detectedAt > 0) {
    const detected = await detectedScores(dir, folds, args[detectedAt + 1]!);
    const extra = detected.extra.reduce((a, b) => a + b, 0);
    const missed = detected.predicted.filter((p) => p === Q).length;
    rows.push(row(`pooled (detected peaks; ${missed} missed, ${extra} extra)`, metricsOf(detected)));
  }
  print(rows, markdown);
  console.log('\nper record (annotated R peaks):');
  print(
    records.map((r) => row(r, metricsOf(subset(annotated, r)))),
    markdown,
  );
}

await main();
