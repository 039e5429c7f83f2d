/**
 * Beat features that mean the same in every patient (browser-safe, no engine): each beat measured against its own
 * patient, so that a classifier trained on some patients reads the same numbers on others.
 *
 *  - Rhythm (`rhythmContext`): the beat's RR intervals over the patient's LOCAL rhythm, the median of the
 *    `localIntervals` RR intervals before the beat's previous interval (causal: only beats up to the previous
 *    one). A premature beat has a short previous interval for *this* rhythm; in atrial fibrillation every interval
 *    varies, which `rrIrregularity` (median successive difference over the same intervals, over their median)
 *    says, so the model can tell irregular rhythm from prematurity. `rrNextLocal` also needs the next beat (the
 *    compensatory pause). The first beats, with fewer than MIN_LOCAL_INTERVALS before them, use the record's
 *    median interval and irregularity (record-level).
 *  - Morphology (`morphologyContext`): each beat against a template, per lead. The `record` template is the record's
 *    median beat over all given beats (record-level: the patient's dominant beat, whatever its class; in a record
 *    of mostly S beats it is the S beat). The `local` template (`localTemplates`) follows a patient whose beats
 *    change shape as they move (MIT-BIH 108's MLII QRS turns from QS to tall R and back within 30 minutes): per
 *    LOCAL_TEMPLATE.blockSeconds of record, the median of the beats within LOCAL_TEMPLATE.halfSpanSeconds either side
 *    that are not premature (a premature beat, S or V, never shapes the template, so bigeminy does not blur it).
 *    `both` reads the local and the record template side by side (templateKinds).
 *    Each beat minus its template is an extra input channel; over the QRS (peak +-QRS_HALF_SECONDS) each beat's
 *    correlation with the template, its peak-to-peak amplitude, its QRS width (span of the central 80 % of slope
 *    energy) and its residual RMS, each over the template's.
 *
 * Training (annotated R peaks) and inference (detected R peaks) call the same `beatContext` on the same prepared
 * signals, so equal peaks give equal inputs (test/signal/beat-context.test.ts and test/train/beats.test.ts).
 */
import { ShapeError, SignalError } from '../errors.js';

/** Rhythm features, dimensionless, in this order. */
export const RHYTHM_CONTEXT = [
  'rrPreviousLocal',
  'rrNextLocal',
  'rrPreviousNext',
  'rrIrregularity',
  'rrLocalRecord',
] as const;

/**
 * The previous interval over the slow end of the recent rhythm (SLOW_RHYTHM: a high quantile of the intervals of the
 * last minute, causal). Where most beats are premature (MIT-BIH 232: runs of APCs between long sinus pauses, three
 * quarters of DS2's S beats) the local median is itself an ectopic interval and an APC reads as on time against it;
 * against the slow quantile it stays short. Opt-in (`beats.slowRhythm`): listed after the morphology features.
 */
export const SLOW_RHYTHM_CONTEXT = ['rrPreviousSlow'] as const;

/** The window and quantile of `rrPreviousSlow`. */
export const SLOW_RHYTHM = {
  /** Intervals ending within this many seconds before the previous beat. */
  spanSeconds: 60,
  quantile: 0.9,
  /** Fewer intervals than this: the record's quantile stands in (record-level). */
  minIntervals: 5,
} as const;

/** Morphology features per lead (named `${feature}${lead}`), dimensionless, in this order. */
export const MORPHOLOGY_CONTEXT = [
  'templateCorrelation',
  'amplitudeRatio',
  'widthRatio',
  'residualRatio',
] as const;

/** Intervals before the previous one that make the local rhythm (de Chazal's local mean spans ~10 beats). */
export const LOCAL_INTERVALS = 10;
/** Fewer preceding intervals than this: the record's rhythm stands in. */
const MIN_LOCAL_INTERVALS = 3;
/** Ratios are clipped to this (a pause of minutes after a lost signal must not dominate a token's scale). */
const MAX_RATIO = 5;
/** Half-width of the QRS region the morphology features read. */
export const QRS_HALF_SECONDS = 0.1;
/** Beats the template median is taken over (evenly spaced when the record has more): bounds the cost. */
const TEMPLATE_BEATS = 1500;

/** Where each beat's morphology template comes from (see the header). */
export const BEAT_TEMPLATES = ['record', 'local', 'both'] as const;
export type BeatTemplateMode = (typeof BEAT_TEMPLATES)[number];
export type BeatTemplateKind = 'record' | 'local';

/**
 * The templates a mode measures each beat against, in the order of their morphology features and residual channels.
 * `both` gives the model the local template (right when the QRS drifts, wrong inside long V runs) and the record one
 * (the reverse) side by side, to weigh per beat.
 */
export function templateKinds(mode: BeatTemplateMode = 'record'): BeatTemplateKind[] {
  return mode === 'both' ? ['local', 'record'] : [mode];
}

/** The local template's span and its members. */
export const LOCAL_TEMPLATE = {
  /** Beats whose R peaks fall in the same block share a template. */
  blockSeconds: 10,
  /** The template is the median of the beats within this many seconds of its block's centre. */
  halfSpanSeconds: 60,
  /** A beat whose previous interval is shorter than this fraction of its local rhythm is premature: left out. */
  onTimeRatio: 0.85,
  /** Fewer members than this: all beats of the span, then the record template, stand in. */
  minBeats: 8,
  /** At most this many members (evenly spaced) per template: bounds the cost. */
  maxBeats: 200,
} as const;

/** Templates [templates, leads, width] and the template of each beat. */
export interface BeatTemplates {
  data: Float32Array;
  of: Int32Array;
}

/** Channels of a beat model's ECG input: the leads, then (with residual channels) each lead minus each template. */
export function beatChannelCount(
  leads: number,
  residualChannels: boolean,
  mode: BeatTemplateMode = 'record',
): number {
  return leads * (1 + (residualChannels ? templateKinds(mode).length : 0));
}

/**
 * Name of morphology feature `name` of `lead` against the template of `kind` under `mode`: `${name}${lead}` for the
 * mode's first template (as every model before `both` named it), `record${Name}${lead}` for `both`'s second.
 */
export function morphologyFeatureName(
  name: string,
  lead: number,
  kind: BeatTemplateKind,
  mode: BeatTemplateMode = 'record',
): string {
  const prefixed = kind !== templateKinds(mode)[0];
  return prefixed ? `${kind}${name[0]!.toUpperCase()}${name.slice(1)}${lead}` : `${name}${lead}`;
}

/**
 * Names of the context features beatContext computes for `leads` leads: rhythm, then per template kind and lead the
 * morphology, then the slow-rhythm ratio. A model reads a subset, by name.
 */
export function contextFeatureNames(leads: number, mode: BeatTemplateMode = 'record'): string[] {
  const morphology = templateKinds(mode).flatMap((kind) =>
    Array.from({ length: leads }, (_, l) =>
      MORPHOLOGY_CONTEXT.map((name) => morphologyFeatureName(name, l, kind, mode)),
    ).flat(),
  );
  return [...RHYTHM_CONTEXT, ...morphology, ...SLOW_RHYTHM_CONTEXT];
}

const ratio = (a: number, b: number): number => Math.min(MAX_RATIO, Math.max(0, a / Math.max(b, 1e-6)));

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  // A typed array sorts numerically without a comparator callback: several times faster on the template columns.
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median |successive difference| over the median: 0 for a steady rhythm, ~0.2-0.4 in atrial fibrillation. */
function irregularity(intervals: number[]): number {
  if (intervals.length < 2) return 0;
  const steps = intervals.slice(1).map((value, i) => Math.abs(value - intervals[i]!));
  return ratio(median(steps), median(intervals));
}

/** Beat times must be finite seconds, strictly ascending: a SignalError names the first beat that is not. */
function checkBeatTimes(times: readonly number[]): void {
  for (let i = 0; i < times.length; i++) {
    if (!Number.isFinite(times[i]))
      throw new SignalError(`beat times must be finite (beat ${i}: ${times[i]} s)`);
    if (i > 0 && !(times[i]! > times[i - 1]!))
      throw new SignalError(`beat times must ascend (beat ${i}: ${times[i]} s)`);
  }
}

/**
 * [beats, RHYTHM_CONTEXT.length] rhythm features of beats at `times` (seconds, finite, strictly ascending). One
 * beat alone has no interval: every ratio is 1 and the irregularity 0.
 */
export function rhythmContext(times: readonly number[]): Float32Array {
  const n = times.length;
  const k = RHYTHM_CONTEXT.length;
  const out = new Float32Array(n * k);
  checkBeatTimes(times);
  const rr = times.slice(1).map((t, i) => t - times[i]!);
  const recordRr = median(rr);
  const recordIrregularity = irregularity(rr);
  for (let i = 0; i < n; i++) {
    if (rr.length === 0) {
      out.set([1, 1, 1, 0, 1], i * k);
      continue;
    }
    // Interval i-1 ends at beat i (the previous one), interval i starts at it (the next one).
    const previous = rr[i - 1] ?? rr[i]!;
    const next = rr[i] ?? rr[i - 1]!;
    const window = rr.slice(Math.max(0, i - 1 - LOCAL_INTERVALS), Math.max(0, i - 1));
    const enough = window.length >= MIN_LOCAL_INTERVALS;
    const local = enough ? median(window) : recordRr;
    out.set(
      [
        ratio(previous, local),
        ratio(next, local),
        ratio(previous, next),
        enough ? irregularity(window) : recordIrregularity,
        ratio(local, recordRr),
      ],
      i * k,
    );
  }
  return out;
}

/** The `quantile` of `values` (linear between order statistics); NaN for none. */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  return sorted[low]! + (at - low) * (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!);
}

/**
 * [beats, SLOW_RHYTHM_CONTEXT.length]: each beat's previous interval over the SLOW_RHYTHM.quantile of the intervals
 * that end within SLOW_RHYTHM.spanSeconds before its previous beat (causal), or of the record's intervals when there
 * are fewer than SLOW_RHYTHM.minIntervals. Times as for rhythmContext (finite, strictly ascending). One beat alone: 1.
 */
export function slowRhythmContext(times: readonly number[]): Float32Array {
  checkBeatTimes(times);
  const n = times.length;
  const out = new Float32Array(n).fill(1);
  const rr = times.slice(1).map((t, i) => t - times[i]!);
  if (rr.length === 0) return out;
  const recordSlow = quantile(rr, SLOW_RHYTHM.quantile);
  let from = 0; // first interval of beat i's window
  for (let i = 0; i < n; i++) {
    const previous = rr[i - 1] ?? rr[i]!;
    // Interval j ends at beat j + 1; the window holds intervals ending at or before beat i - 1.
    const end = Math.max(0, i - 1);
    while (from < end && times[from + 1]! < (times[i - 1] ?? times[0]!) - SLOW_RHYTHM.spanSeconds) from++;
    const window = rr.slice(from, end);
    const slow =
      window.length >= SLOW_RHYTHM.minIntervals ? quantile(window, SLOW_RHYTHM.quantile) : recordSlow;
    out[i] = ratio(previous, slow);
  }
  return out;
}

/** Where the beats' windows sit: [beats, leads, width] with the R peak at sample `peakAt` of each row. */
export interface BeatWindows {
  data: Float32Array;
  count: number;
  leads: number;
  width: number;
  peakAt: number;
}

/** Per lead, the sample-wise median of the beats (at most TEMPLATE_BEATS, evenly spaced): [leads, width]. */
export function beatTemplate(windows: BeatWindows): Float32Array {
  const { count } = checkWindows(windows);
  return medianBeat(
    windows,
    evenlySpaced(
      Array.from({ length: count }, (_, b) => b),
      TEMPLATE_BEATS,
    ),
  );
}

/** At most `most` of `items`, evenly spaced. */
function evenlySpaced(items: readonly number[], most: number): number[] {
  const used = Math.min(items.length, most);
  return Array.from({ length: used }, (_, j) => items[Math.floor((j * items.length) / used)]!);
}

/** Per lead, the sample-wise median of the beats `rows`: [leads, width] (zeros for no rows). */
function medianBeat(windows: BeatWindows, rows: readonly number[]): Float32Array {
  const { data, leads, width } = windows;
  const template = new Float32Array(leads * width);
  if (rows.length === 0) return template;
  const column = new Array<number>(rows.length);
  for (let l = 0; l < leads; l++) {
    for (let k = 0; k < width; k++) {
      rows.forEach((b, j) => (column[j] = data[(b * leads + l) * width + k]!));
      template[l * width + k] = median(column);
    }
  }
  return template;
}

/**
 * The local templates of beats at `times` (seconds, ascending) whose rhythm context is `rhythm`
 * ([beats, RHYTHM_CONTEXT.length], from rhythmContext): one per LOCAL_TEMPLATE.blockSeconds block of beats.
 */
export function localTemplates(
  windows: BeatWindows,
  times: readonly number[],
  rhythm: Float32Array,
  halfSpanSeconds: number = LOCAL_TEMPLATE.halfSpanSeconds,
): BeatTemplates {
  const { count, leads, width } = checkWindows(windows);
  const k = RHYTHM_CONTEXT.length;
  const onTime = (b: number) => rhythm[b * k]! >= LOCAL_TEMPLATE.onTimeRatio;
  const blockOf = (t: number) => Math.floor((t - (times[0] ?? 0)) / LOCAL_TEMPLATE.blockSeconds);
  const blocks = count === 0 ? 0 : blockOf(times[count - 1]!) + 1;
  const of = new Int32Array(count);
  const data: Float32Array[] = []; // one per block that holds beats
  let record: Float32Array | null = null;
  let from = 0;
  let to = 0;
  for (let block = 0, b = 0; block < blocks; block++) {
    const centre = (times[0] ?? 0) + (block + 0.5) * LOCAL_TEMPLATE.blockSeconds;
    while (from < count && times[from]! < centre - halfSpanSeconds) from++;
    while (to < count && times[to]! <= centre + halfSpanSeconds) to++;
    const first = b;
    while (b < count && blockOf(times[b]!) === block) b++;
    if (b === first) continue;
    const span = Array.from({ length: to - from }, (_, j) => from + j);
    const members = span.filter(onTime);
    const rows = members.length >= LOCAL_TEMPLATE.minBeats ? members : span;
    of.fill(data.length, first, b);
    data.push(
      rows.length >= LOCAL_TEMPLATE.minBeats
        ? medianBeat(windows, evenlySpaced(rows, LOCAL_TEMPLATE.maxBeats))
        : (record ??= beatTemplate(windows)),
    );
  }
  const out = new Float32Array(data.length * leads * width);
  data.forEach((template, t) => out.set(template, t * leads * width));
  return { data: out, of };
}

/** One template for every beat (the record template) as BeatTemplates. */
function asTemplates(template: Float32Array | BeatTemplates, count: number): BeatTemplates {
  return template instanceof Float32Array ? { data: template, of: new Int32Array(count) } : template;
}

/** Each beat minus its template (one [leads, width] template for all, or BeatTemplates), same shape as the windows. */
export function templateResiduals(
  windows: BeatWindows,
  template: Float32Array | BeatTemplates,
): Float32Array {
  const { data, count, leads, width } = checkWindows(windows);
  const templates = asTemplates(template, count);
  const out = new Float32Array(data.length);
  for (let b = 0; b < count; b++) {
    const t = templates.of[b]! * leads * width;
    for (let i = 0; i < leads * width; i++)
      out[b * leads * width + i] = data[b * leads * width + i]! - templates.data[t + i]!;
  }
  return out;
}

interface QrsShape {
  amplitude: number;
  width: number;
  rms: number;
}

/** The QRS region [from, to) of a window whose R peak is at `peakAt`: peak +-QRS_HALF_SECONDS. */
function qrsRegion(width: number, peakAt: number, fs: number): { from: number; to: number } {
  const half = Math.max(2, Math.round(QRS_HALF_SECONDS * fs));
  return { from: Math.max(0, peakAt - half), to: Math.min(width, peakAt + half + 1) };
}

/** Peak-to-peak amplitude of `x` over its QRS region (what the amplitude ratio's denominator measures). */
export function qrsAmplitude(x: ArrayLike<number>, peakAt: number, fs: number): number {
  const { from, to } = qrsRegion(x.length, peakAt, fs);
  return qrsShape(x, from, to).amplitude;
}

/** Peak-to-peak amplitude, slope-energy width (samples between 10 % and 90 % of it) and RMS of a QRS segment. */
function qrsShape(x: ArrayLike<number>, from: number, to: number): QrsShape {
  let lo = Infinity;
  let hi = -Infinity;
  let squares = 0;
  const energy: number[] = [0];
  for (let k = from; k < to; k++) {
    const v = x[k]!;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    squares += v * v;
    if (k > from) energy.push(energy[energy.length - 1]! + (v - x[k - 1]!) ** 2);
  }
  const total = energy[energy.length - 1]!;
  const first = energy.findIndex((e) => e >= 0.1 * total);
  const last = energy.findIndex((e) => e >= 0.9 * total);
  return {
    amplitude: hi - lo,
    width: Math.max(1, last - first),
    rms: Math.sqrt(squares / Math.max(1, to - from)),
  };
}

function correlation(
  a: ArrayLike<number>,
  aFrom: number,
  b: ArrayLike<number>,
  bFrom: number,
  n: number,
): number {
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < n; k++) {
    sa += a[aFrom + k]!;
    sb += b[bFrom + k]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let k = 0; k < n; k++) {
    const da = a[aFrom + k]! - ma;
    const db = b[bFrom + k]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

/**
 * [beats, leads * MORPHOLOGY_CONTEXT.length] morphology features against the template (one [leads, width] template
 * for all beats, or each beat's own from BeatTemplates), over the QRS region.
 */
export function morphologyContext(
  windows: BeatWindows,
  template: Float32Array | BeatTemplates,
  fs: number,
): Float32Array {
  const { data, count, leads, width, peakAt } = checkWindows(windows);
  const templates = asTemplates(template, count);
  const { from, to } = qrsRegion(width, peakAt, fs);
  const k = MORPHOLOGY_CONTEXT.length;
  const out = new Float32Array(count * leads * k);
  const residual = new Float32Array(width);
  const references = new Map<number, QrsShape>(); // per template row (template * leads + lead)
  for (let b = 0; b < count; b++) {
    for (let l = 0; l < leads; l++) {
      const row = templates.of[b]! * leads + l;
      const t = templates.data.subarray(row * width, (row + 1) * width);
      const reference = references.get(row) ?? qrsShape(t, from, to);
      references.set(row, reference);
      const beat = data.subarray((b * leads + l) * width, (b * leads + l + 1) * width);
      for (let s = 0; s < width; s++) residual[s] = beat[s]! - t[s]!;
      const shape = qrsShape(beat, from, to);
      out.set(
        [
          correlation(beat, from, t, from, to - from),
          ratio(shape.amplitude, reference.amplitude),
          ratio(shape.width, reference.width),
          ratio(qrsShape(residual, from, to).rms, reference.rms),
        ],
        (b * leads + l) * k,
      );
    }
  }
  return out;
}

/** Everything a context-aware beat model reads besides the beat windows themselves. */
export interface BeatContext {
  /** [beats, contextFeatureNames(leads, mode).length], in that order. */
  features: Float32Array;
  /** [beats, kinds * leads, width]: each beat minus each of its templates (the extra input channels), kind-major. */
  residuals: Float32Array;
  /** One per templateKinds(mode), in that order. */
  templates: BeatTemplates[];
}

/**
 * Context of the beats whose windows are given (cut around their R peaks from the prepared signals at `fs`) and
 * whose R peaks fall at `times` seconds, against the `mode` templates of each beat; a local template spans
 * `localHalfSpanSeconds` either side of its block.
 */
export function beatContext(
  windows: BeatWindows,
  times: readonly number[],
  fs: number,
  mode: BeatTemplateMode = 'record',
  localHalfSpanSeconds: number = LOCAL_TEMPLATE.halfSpanSeconds,
): BeatContext {
  if (times.length !== windows.count)
    throw new ShapeError(`beat context: ${times.length} beat times for ${windows.count} windows`);
  const { count, leads, width } = windows;
  const rhythm = rhythmContext(times);
  const templates = templateKinds(mode).map((kind) =>
    kind === 'local'
      ? localTemplates(windows, times, rhythm, localHalfSpanSeconds)
      : asTemplates(beatTemplate(windows), count),
  );
  const morphology = templates.map((t) => morphologyContext(windows, t, fs));
  const slow = slowRhythmContext(times);
  const r = RHYTHM_CONTEXT.length;
  const m = leads * MORPHOLOGY_CONTEXT.length;
  const z = SLOW_RHYTHM_CONTEXT.length;
  const per = r + m * templates.length + z;
  const features = new Float32Array(count * per);
  for (let b = 0; b < count; b++) {
    features.set(rhythm.subarray(b * r, (b + 1) * r), b * per);
    morphology.forEach((kind, k) => features.set(kind.subarray(b * m, (b + 1) * m), b * per + r + k * m));
    features.set(slow.subarray(b * z, (b + 1) * z), (b + 1) * per - z);
  }
  const residuals = new Float32Array(count * templates.length * leads * width);
  templates.forEach((t, k) => {
    const kind = templateResiduals(windows, t);
    for (let b = 0; b < count; b++)
      residuals.set(
        kind.subarray(b * leads * width, (b + 1) * leads * width),
        (b * templates.length + k) * leads * width,
      );
  });
  return { features, residuals, templates };
}

function checkWindows(windows: BeatWindows): BeatWindows {
  const { data, count, leads, width, peakAt } = windows;
  if (data.length !== count * leads * width)
    throw new ShapeError(`beat windows: ${data.length} values for ${count} x ${leads} x ${width}`);
  if (!(peakAt >= 0 && peakAt < width))
    throw new ShapeError(`beat windows: peak at ${peakAt} outside 0..${width - 1}`);
  return windows;
}
