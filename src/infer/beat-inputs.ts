/**
 * The inputs of a beat model for the beats of one prepared record: windows around the R peaks and, for models that
 * read them, the patient-relative context (src/signal/beat-context.ts) and residual channels. Training
 * (src/train/beats.ts, annotated R peaks, with a margin for the training shift) and the Predictor (detected or
 * given R peaks, no margin) both call `beatModelInputs`, so equal peaks give equal inputs. Browser-safe.
 */
import { ConfigError, ShapeError } from '../errors.js';
import {
  beatChannelCount,
  beatContext,
  contextFeatureNames,
  type BeatTemplateMode,
  type BeatTemplates,
} from '../signal/beat-context.js';
import { fibrillationProbability } from '../signal/fibrillation.js';
import type { FusionRule } from './metadata.js';
import { cutBeatWindows } from './prepare.js';
import type { EcgRecord } from '../io/record.js';

export interface BeatInputSpec {
  /** Samples before the R peak and from it, at the prepared signals' rate. */
  before: number;
  after: number;
  /** Columns of the `context` input (names from contextFeatureNames), empty for models without it. */
  context: readonly string[];
  /** Each lead minus its template, appended after the leads. */
  residualChannels: boolean;
  /** The template the morphology context and residuals read (src/signal/beat-context.ts; default `record`). */
  template?: BeatTemplateMode;
  /** Seconds either side of its block a local template spans (default LOCAL_TEMPLATE.halfSpanSeconds, 60). */
  localTemplateSeconds?: number;
}

export interface BeatModelInputs {
  /** [count, channels, width]: the leads, then (residualChannels) each lead minus each of its templates. */
  windows: Float32Array;
  /** [count, spec.context.length]. */
  context: Float32Array;
  count: number;
  channels: number;
  /** before + after + 2 * margin. */
  width: number;
  /** The templates the residuals and morphology context read, per templateKinds (none without them). */
  templates: BeatTemplates[];
}

/**
 * Every beat's R peak must lie in the record: an annotation file of a longer recording (or a record cut short) would
 * otherwise be scored on windows of repeated edge samples, silently.
 */
export function requireBeatsInRecord(
  record: Pick<EcgRecord, 'name' | 'signals'>,
  samples: readonly number[],
): void {
  const length = record.signals[0]?.length ?? 0;
  const inside = (sample: number) => sample >= 0 && sample < length;
  const outside = samples.findIndex((sample) => !inside(sample));
  if (outside < 0) return;
  const beyond = samples.filter((sample) => !inside(sample)).length;
  throw new ConfigError(
    `record ${record.name}: beat ${outside + 1} at sample ${samples[outside]} is not in its ${length} samples ` +
      `(${beyond} of ${samples.length} beats outside: do the annotations belong to this record, cut or whole?)`,
  );
}

/**
 * Beat inputs of the beats at `samples` (R peaks at `sourceFs`, ascending) from `signals` prepared at `fs`.
 * `margin` widens every window on both sides (training crops shifted windows from them); the template and the
 * morphology features do not depend on it.
 */
export function beatModelInputs(
  signals: readonly Float32Array[],
  fs: number,
  samples: readonly number[],
  sourceFs: number,
  spec: BeatInputSpec,
  margin = 0,
): BeatModelInputs {
  const leads = signals.length;
  const count = samples.length;
  const width = spec.before + spec.after + 2 * margin;
  const scale = fs / sourceFs;
  const peaks = samples.map((sample) => Math.round(sample * scale));
  const windows = cutBeatWindows(signals, peaks, spec.before + margin, spec.after + margin);
  if (spec.context.length === 0 && !spec.residualChannels)
    return {
      windows,
      context: new Float32Array(0),
      count,
      channels: leads,
      width,
      templates: [],
    };
  const names = contextFeatureNames(leads, spec.template);
  const columns = spec.context.map((name) => {
    const at = names.indexOf(name);
    if (at < 0) throw new ConfigError(`beat context feature '${name}' is not one of ${names.join(', ')}`);
    return at;
  });
  const { features, residuals, templates } = beatContext(
    { data: windows, count, leads, width, peakAt: spec.before + margin },
    samples.map((sample) => sample / sourceFs),
    fs,
    spec.template,
    spec.localTemplateSeconds,
  );
  const context = new Float32Array(count * columns.length);
  for (let b = 0; b < count; b++)
    columns.forEach((column, c) => (context[b * columns.length + c] = features[b * names.length + column]!));
  if (!spec.residualChannels) return { windows, context, count, channels: leads, width, templates };
  const channels = beatChannelCount(leads, true, spec.template);
  const per = leads * width;
  const extra = (channels - leads) * width;
  const all = new Float32Array(count * channels * width);
  for (let b = 0; b < count; b++) {
    all.set(windows.subarray(b * per, (b + 1) * per), b * channels * width);
    all.set(residuals.subarray(b * extra, (b + 1) * extra), b * channels * width + per);
  }
  return { windows: all, context, count, channels, width, templates };
}

/**
 * The inputs of the beats at `rows` (indices into `inputs`, ascending) alone: predictBeats computes the inputs from
 * every peak it is given, then runs the model on the beats it classifies. The templates stay those of every peak.
 */
export function selectBeatInputs(inputs: BeatModelInputs, rows: readonly number[]): BeatModelInputs {
  if (rows.length === inputs.count) return inputs;
  const per = inputs.channels * inputs.width;
  const features = inputs.count > 0 ? inputs.context.length / inputs.count : 0;
  const windows = new Float32Array(rows.length * per);
  const context = new Float32Array(rows.length * features);
  rows.forEach((row, b) => {
    windows.set(inputs.windows.subarray(row * per, (row + 1) * per), b * per);
    context.set(inputs.context.subarray(row * features, (row + 1) * features), b * features);
  });
  return { ...inputs, windows, context, count: rows.length };
}

/** A beat in atrial fibrillation by the RR detector (src/signal/fibrillation.ts) above this probability is gated. */
export const FIBRILLATION_THRESHOLD = 0.5;
/**
 * The gate's rule: in atrial fibrillation there is no atrial premature beat (no organised atrium), and AAMI labels
 * those beats N; so a gated beat's S probability goes to N.
 */
export const FIBRILLATION_RULE = { from: 'S', to: 'N' } as const;
/** What a gated beat's S logit becomes after its mass moved to N: softmax gives it ~0. */
const GATED_LOGIT_SHIFT = -1e4;

/** 1 for each beat at `samples` (R peaks at `sourceFs`, ascending) in atrial fibrillation by the RR detector. */
export function fibrillationGate(samples: readonly number[], sourceFs: number): Uint8Array {
  const probability = fibrillationProbability(samples.map((sample) => sample / sourceFs));
  return Uint8Array.from(probability, (p) => (p > FIBRILLATION_THRESHOLD ? 1 : 0));
}

/**
 * Applies the gate to `logits` ([beats, classes], softmax logits) in place: for each gated beat, N's logit becomes
 * log(e^N + e^S) and S's falls by GATED_LOGIT_SHIFT, so softmax moves S's probability to N and leaves every other
 * class's probability unchanged. The CV logits (src/train/beats.ts) and predictBeats both call it.
 */
export function gateLogits(logits: Float32Array, gate: ArrayLike<number>, labels: readonly string[]): void {
  const from = labels.indexOf(FIBRILLATION_RULE.from);
  const to = labels.indexOf(FIBRILLATION_RULE.to);
  if (from < 0 || to < 0) return;
  const classes = labels.length;
  for (let b = 0; b < gate.length; b++) if (gate[b]) shareProbability(logits, b * classes, from, [to]);
}

/**
 * The fusion rule, in place on the `beats` rows (default all) of `logits` ([beats, classes]), the beats of one
 * record: a fusion beat needs a ventricular focus, so where fewer than max(1, minVentricularShare x beats) of them
 * are called V (argmax), F's probability is shared by the classes other than V in proportion to theirs. V keeps its
 * probability (a beat called F in a record without V calls is more often an N beat of odd shape than a PVC, and V
 * false positives are what the rule must not add) and N:S keeps its ratio (moving all of F to N changed S decisions
 * in S-rich records; docs/beats.md). Returns whether it applied. After the vote, before the offsets: the CV logits
 * (src/train/beats.ts, per record) and predictBeats both call it.
 */
export function fusionRuleLogits(
  logits: Float32Array,
  labels: readonly string[],
  rule: FusionRule,
  beats?: readonly number[],
): boolean {
  const f = labels.indexOf('F');
  const v = labels.indexOf('V');
  if (f < 0 || v < 0) return false;
  const classes = labels.length;
  const rows = beats ?? Array.from({ length: logits.length / classes }, (_, b) => b);
  let ventricular = 0;
  for (const b of rows) {
    const row = logits.subarray(b * classes, (b + 1) * classes);
    if (argmax(row) === v) ventricular++;
  }
  if (ventricular >= Math.max(1, rule.minVentricularShare * rows.length)) return false;
  const others = labels.map((_, c) => c).filter((c) => c !== f && c !== v);
  for (const b of rows) shareProbability(logits, b * classes, f, others);
  return true;
}

/**
 * In the softmax logit row at `row`: the classes `to` take class `from`'s probability in proportion to theirs (each
 * logit rises by log((P_to + P_from) / P_to)), `from`'s logit falls by GATED_LOGIT_SHIFT; the rest keep theirs.
 */
function shareProbability(logits: Float32Array, row: number, from: number, to: readonly number[]): void {
  const high = Math.max(logits[row + from]!, ...to.map((c) => logits[row + c]!));
  const mass = to.reduce((sum, c) => sum + Math.exp(logits[row + c]! - high), 0);
  const gain = Math.log((mass + Math.exp(logits[row + from]! - high)) / mass);
  for (const c of to) logits[row + c] = logits[row + c]! + gain;
  logits[row + from] = logits[row + from]! + GATED_LOGIT_SHIFT;
}

/** Index of the largest value (the first on ties). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

/** Adds per-class decision offsets to `logits` ([beats, classes]) in place; predictBeats applies them after the gate. */
export function shiftLogits(logits: Float32Array, offsets: readonly number[]): void {
  const classes = offsets.length;
  for (let i = 0; i < logits.length; i++) logits[i]! += offsets[i % classes]!;
}

/** The classes the cluster vote moves probability between, as two groups; any other class (Q) keeps its own. */
export const VOTE_GROUPS = { ventricular: ['V', 'F'], supraventricular: ['N', 'S'] } as const;

/**
 * The cluster vote (docs/beats.md, "Morphology clusters vote"), in place on `logits` ([beats, classes]): each
 * beat's ventricular share of its classifiable probability, (V + F) / (N + S + V + F), becomes (1 - weight) x its
 * own + weight x the mean over its QRS cluster (src/signal/beat-clusters.ts); within each group the beat keeps its
 * own ratios (timing still tells S from N) and Q keeps its probability. The logits become log-probabilities (offsets
 * are added after, as in the CV). Reference: scripts/experiments/beats-cluster-vote.py `vote`.
 */
export function voteLogits(
  logits: Float32Array,
  clusters: ArrayLike<number>,
  labels: readonly string[],
  weight: number,
): void {
  const classes = labels.length;
  const count = clusters.length;
  if (logits.length !== count * classes)
    throw new ShapeError(`voteLogits: ${logits.length} logits for ${count} beats of ${classes} classes`);
  const group = labels.map((label) =>
    (VOTE_GROUPS.ventricular as readonly string[]).includes(label)
      ? 'ventricular'
      : (VOTE_GROUPS.supraventricular as readonly string[]).includes(label)
        ? 'supraventricular'
        : null,
  );
  const size = (name: string) => group.filter((g) => g === name).length;
  const tiny = 1e-12;
  const probabilities = new Float64Array(count * classes);
  const mass = { ventricular: new Float64Array(count), supraventricular: new Float64Array(count) };
  const share = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    const row = logits.subarray(b * classes, (b + 1) * classes);
    const high = Math.max(...row);
    let total = 0;
    for (let c = 0; c < classes; c++) total += probabilities[b * classes + c] = Math.exp(row[c]! - high);
    for (let c = 0; c < classes; c++) {
      const p = (probabilities[b * classes + c]! /= total);
      if (group[c] !== null) mass[group[c]!][b]! += p;
    }
    share[b] = mass.ventricular[b]! / Math.max(mass.ventricular[b]! + mass.supraventricular[b]!, tiny);
  }
  const sums = new Map<number, { total: number; n: number }>();
  for (let b = 0; b < count; b++) {
    const entry = sums.get(clusters[b]!) ?? { total: 0, n: 0 };
    entry.total += share[b]!;
    entry.n += 1;
    sums.set(clusters[b]!, entry);
  }
  for (let b = 0; b < count; b++) {
    const { total, n } = sums.get(clusters[b]!)!;
    const blended = (1 - weight) * share[b]! + (weight * total) / n;
    const classifiable = mass.ventricular[b]! + mass.supraventricular[b]!;
    const target = { ventricular: classifiable * blended, supraventricular: classifiable * (1 - blended) };
    for (let c = 0; c < classes; c++) {
      const g = group[c] ?? null;
      if (g === null) continue; // Q keeps its probability and its logit's meaning
      const own = mass[g][b]!;
      const p = probabilities[b * classes + c]!;
      const moved = target[g] * (own > tiny ? p / own : 1 / size(g));
      logits[b * classes + c] = Math.log(Math.max(moved, tiny));
    }
    for (let c = 0; c < classes; c++)
      if (group[c] === null)
        logits[b * classes + c] = Math.log(Math.max(probabilities[b * classes + c]!, tiny));
  }
}
