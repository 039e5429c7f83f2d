/**
 * Predictor: an exported model (.onnx bytes, a path or a URL) with its metadata, run by onnxruntime (backend.ts).
 *
 * predict(record) for record models (task 'records'):
 *   1. leads matched, resampled to the model's rate (with a notice), filtered and standardised (prepare.ts);
 *   2. windows of the training length, from 0 every hop (the validation hop saved with the model, one window by
 *      default) plus one aligned to the end; a record shorter than one window is zero-padded (or tiled);
 *   3. record-level output by AGGREGATIONS: mean of window logits then the activation (default: what validation
 *      does), mean of window probabilities, or the maximum window probability per class;
 *   4. labels: argmax for single-label models, probability >= the class threshold chosen on validation (0.5 where
 *      none was chosen) for multi-label models.
 * Fusion models also get the patient (age, sex from the record unless given) and return attention summaries.
 * Saliency (optional): occlusion. Each window is re-run with one segment (all leads) set to 0, the standardised
 * baseline; a segment's importance is how much the explained class's probability drops. Cost: windows x
 * ceil(window / segment) extra forward passes (10 s windows, 0.5 s segments: 20x the prediction).
 *
 * predictBeats(record, beats) for beat models (task 'beats'): one window of `before + after` samples around each R
 * peak (edges repeat the edge sample) and, when the model reads them, RR features in seconds (input `rr`); with
 * `classify`, only some of the beats are classified and the others inform their context.
 */
import type * as Ort from 'onnxruntime-common';
import {
  ConfigError,
  EcgError,
  excerpt,
  FormatError,
  MissingFileError,
  PredictionStoppedError,
} from '../errors.js';
import { readOnnxSummary } from '../export/onnx/read.js';
import { nodeBuiltin } from '../util/node-builtin.js';
import { filePathOf, isUrl } from '../io/source.js';
import type { EcgRecord } from '../io/record.js';
import { createSession, type BackendOptions, type OrtApi, type RuntimeSession } from './backend.js';
import { parseModelInfo, type Aggregation, type ModelInfo, type RrFeature } from './metadata.js';
import { patientFeeds, patientOfRecord, type PatientValues } from './patients.js';
import {
  cutWindows,
  prepareRecord,
  windowStarts,
  type PreparedSignal,
  type ShortRecordStrategy,
} from './prepare.js';
import {
  argmax,
  beatModelInputs,
  requireBeatsInRecord,
  fibrillationGate,
  fusionRuleLogits,
  gateLogits,
  selectBeatInputs,
  shiftLogits,
  voteLogits,
  type BeatModelInputs,
} from './beat-inputs.js';
import { qrsClusters } from '../signal/beat-clusters.js';
import { recordBeatFeatures } from '../signal/beat-embedding.js';
import { recordRhythm } from '../signal/rhythm-record.js';

export type ModelSource = Uint8Array | string | URL;

export interface PredictOptions {
  /** Patient values for fusion models (default: age and sex from the record). */
  patient?: PatientValues;
  /** Default: the aggregation saved with the model ('mean-logits' unless it says otherwise). */
  aggregate?: Aggregation;
  /** Occlusion saliency (off by default: see the cost above). */
  saliency?: boolean | SaliencyOptions;
  /** Windows per onnxruntime run (default 64; beat windows, far shorter: 256). */
  batchSize?: number;
  /**
   * Called after every onnxruntime run with the forward passes done and their total (beat models: beats; record
   * models: windows, then the occluded windows of the saliency), and awaited (a page yields here to repaint);
   * returning false stops the prediction with a PredictionStoppedError.
   */
  onProgress?: (done: number, total: number) => boolean | Promise<boolean>;
  /**
   * How a record shorter than the window fills it (default DEFAULT_SHORT_RECORDS, chosen by measurement in
   * docs/short-records.md); a notice always says it was done.
   */
  shortRecords?: ShortRecordStrategy;
  /**
   * Beat models: which of the given beats to classify (default every one). The others still inform the inputs of
   * the classified ones (intervals, templates, fibrillation gate), as training's every annotated beat does, but get
   * no row and take no part in the cluster vote or the fusion rule: detected beats whose QRS an edge cuts.
   */
  classify?: readonly boolean[];
}

/** Tiling moved the PTB-XL models' probabilities least on records cut short (docs/short-records.md). */
export const DEFAULT_SHORT_RECORDS: ShortRecordStrategy = 'repeat';

export interface SaliencyOptions {
  /** Occluded segment length in seconds (default 0.5). */
  segmentSeconds?: number;
  /** Class whose probability is explained (default: the top class). */
  label?: string;
}

export interface LabelProbability {
  label: string;
  probability: number;
}

export interface Saliency {
  label: string;
  segmentSeconds: number;
  /** Segment start times in seconds (record time at the model's rate). */
  times: number[];
  /** Mean probability drop of `label` when the segment is occluded (windows covering it averaged). */
  importance: number[];
  forwardPasses: number;
}

export interface AttentionSummary {
  /** Patient token names (the null token first). */
  tokens: string[];
  /** ECG -> patient: the share of the ECG positions' attention that went to each token (mean over heads, windows). */
  ecgToPatient: Record<string, number> | null;
  /** Patient -> ECG: each token's attention over the window's positions (mean over heads and windows). */
  patientToEcg: Record<string, number[]> | null;
}

export interface RecordPrediction {
  record: string;
  task: 'records';
  labels: string[];
  probabilities: Record<string, number>;
  /** Every class, most probable first. */
  top: LabelProbability[];
  aggregate: Aggregation;
  windowSeconds: number;
  hopSeconds: number;
  windows: Array<{ start: number; probabilities: number[] }>;
  notices: string[];
  attention: AttentionSummary | null;
  saliency: Saliency | null;
  untrained: boolean;
}

/** A beat's R peak (record sample index at the record's rate) and RR features in seconds. */
export interface BeatInput {
  sample: number;
  rrPrevious?: number;
  rrNext?: number;
  rrLocal?: number;
  rrRecord?: number;
}

export interface BeatPrediction {
  record: string;
  task: 'beats';
  /** Per beat: class index and probabilities, in input order. */
  beats: Array<{
    sample: number;
    label: string;
    probabilities: number[];
    /** Gated models only: the RR detector put this beat in atrial fibrillation, so it cannot be S. */
    fibrillation?: boolean;
  }>;
  counts: Record<string, number>;
  /** Classes with at least one beat. */
  labels: string[];
  /** Share of beats per class. */
  probabilities: Record<string, number>;
  top: LabelProbability[];
  notices: string[];
  untrained: boolean;
}

export type Prediction = RecordPrediction | BeatPrediction;

/** One output of a run: data over all windows and its shape without the batch axis. */
/** Occlusion checked up front: the explained label (null: the top one), segment length and segments per window. */
interface OcclusionPlan {
  label: string | null;
  segment: number;
  perWindow: number;
}

/** The windows a record prediction ran, and how the occlusion's runs report progress. */
interface OcclusionWindows {
  batch: Float32Array;
  starts: readonly number[];
  length: number;
  patient: PatientValues;
  logits: Float32Array;
  batchSize: number | undefined;
  onProgress: PredictOptions['onProgress'];
}

/** Progress of one stage of `total` passes that starts after `offset` passes done. */
function progressFrom(
  offset: number,
  total: number,
  onProgress: PredictOptions['onProgress'],
): PredictOptions['onProgress'] {
  return onProgress && ((done) => onProgress(offset + done, total));
}

interface Output {
  data: Float32Array;
  tail: number[];
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Beat windows per onnxruntime run: 0.7 s windows are cheap, so larger runs amortise each call (bench/beats.ts). */
const BEAT_BATCH = 256;

export class Predictor {
  private constructor(
    readonly info: ModelInfo,
    readonly name: string,
    private readonly runtime: RuntimeSession,
  ) {}

  static async load(
    source: ModelSource,
    options: BackendOptions & { name?: string } = {},
  ): Promise<Predictor> {
    const label = source instanceof Uint8Array ? '<bytes>' : String(source);
    const bytes = await readModelBytes(source);
    let metadata: Record<string, unknown>;
    try {
      metadata = readOnnxSummary(bytes).metadata;
    } catch (error) {
      throw new ConfigError(`${label}: cannot read the model's metadata (${(error as Error).message})`);
    }
    const info = parseModelInfo(metadata, label);
    if (info.task === 'beats' && info.beats === null) {
      throw new ConfigError(
        `${label}: a beat model (task 'beats') needs the 'beats' metadata (before, after)`,
      );
    }
    let runtime: RuntimeSession;
    try {
      runtime = await createSession(bytes, options);
    } catch (error) {
      if (error instanceof EcgError) throw error;
      // onnxruntime's plain Error (a corrupt or unsupported graph) becomes ours, naming the file.
      throw new FormatError(
        label,
        `onnxruntime cannot load this model (${excerpt((error as Error).message, 500)})`,
      );
    }
    const predictor = new Predictor(info, options.name ?? info.architecture ?? label, runtime);
    try {
      predictor.checkInputs(label);
    } catch (error) {
      // Nobody else holds the session: release its native memory, and report the check's error, not release's.
      await runtime.session.release().catch(() => undefined);
      throw error;
    }
    return predictor;
  }

  get backend(): string {
    return this.runtime.backend;
  }

  private checkInputs(label: string): void {
    const inputs = new Set(this.runtime.session.inputNames);
    const needed = ['ecg', ...this.info.patientGroups.flatMap((g) => [g.inputs.values, g.inputs.missing])];
    if (this.info.task === 'beats' && this.info.beats!.rr.length > 0) needed.push('rr');
    if (this.info.task === 'beats' && this.info.beats!.context.length > 0) needed.push('context');
    const missing = needed.filter((name) => !inputs.has(name));
    if (missing.length > 0) {
      throw new ConfigError(
        `${label}: the graph lacks input(s) ${missing.join(', ')} (has ${[...inputs].join(', ')})`,
      );
    }
    if (!this.runtime.session.outputNames.includes('logits')) {
      throw new ConfigError(`${label}: the graph has no 'logits' output`);
    }
    const attention = Object.values(this.info.attention?.outputs ?? {}).filter(
      (name) => typeof name === 'string',
    );
    const absent = attention.filter((name) => !this.runtime.session.outputNames.includes(name));
    if (absent.length > 0)
      throw new ConfigError(
        `${label}: attention output(s) ${absent.join(', ')} named in the metadata are not graph outputs`,
      );
  }

  /** Record-level prediction over sliding windows (record models). */
  async predict(record: EcgRecord, options: PredictOptions = {}): Promise<RecordPrediction> {
    if (this.info.task !== 'records') {
      throw new ConfigError(`model ${this.name} classifies beats: use predictBeats(record, beats)`);
    }
    const info = this.info;
    const prepared = prepareRecord(record, info);
    const length = prepared.signals[0]!.length;
    const starts = windowStarts(length, info.windowSamples, info.hopSamples, info.lastAlignedToEnd);
    const shortRecords = options.shortRecords ?? DEFAULT_SHORT_RECORDS;
    const batch = cutWindows(prepared.signals, starts, info.windowSamples, shortRecords);
    if (length < info.windowSamples) prepared.notices.push(shortNotice(length, info, shortRecords));
    const patient = this.withRecordFeatures(
      options.patient ?? this.headerPatient(record, prepared.notices),
      prepared,
    );
    const saliencyOptions = options.saliency === true ? {} : options.saliency || null;
    const occlusion = saliencyOptions ? this.occlusionPlan(saliencyOptions) : null;
    const passes = starts.length * (1 + (occlusion?.perWindow ?? 0));
    const outputs = await this.run(
      batch,
      starts.length,
      patient,
      options.batchSize,
      undefined,
      null,
      progressFrom(0, passes, options.onProgress),
    );
    const logits = outputs.logits!.data;
    const classes = info.labels.length;
    const windowRows = starts.map((_, w) => Array.from(logits.subarray(w * classes, (w + 1) * classes)));
    const aggregate = options.aggregate ?? info.aggregate;
    const probabilities = this.aggregateRows(windowRows, aggregate);
    const top = ranked(info.labels, probabilities);
    return {
      record: record.name,
      task: 'records',
      labels: this.decide(probabilities),
      probabilities: Object.fromEntries(info.labels.map((label, c) => [label, probabilities[c]!])),
      top,
      aggregate,
      windowSeconds: info.windowSamples / info.fs,
      hopSeconds: info.hopSamples / info.fs,
      windows: starts.map((start, w) => ({
        start: start / info.fs,
        probabilities: this.activate(windowRows[w]!),
      })),
      notices: [...prepared.notices, ...(info.untrained ? [UNTRAINED_NOTICE] : [])],
      attention: this.attentionSummary(outputs),
      saliency: occlusion
        ? await this.occlusion(occlusion, top[0]!.label, {
            batch,
            starts,
            length,
            patient,
            logits,
            batchSize: options.batchSize,
            onProgress: progressFrom(starts.length, passes, options.onProgress),
          })
        : null,
      untrained: info.untrained,
    };
  }

  /**
   * A model with a `rhythm` or `beats` token reads features of the record itself; unless the caller gave them,
   * they are computed here from the prepared signal, as training computed them (src/train/data.ts recordRhythm,
   * src/train/beat-token.ts).
   */
  /** The header's age and sex; an age it drops is noted in `notices` when this model reads an age. */
  private headerPatient(record: EcgRecord, notices: string[]): PatientValues {
    const { patient, notice } = patientOfRecord(record);
    if (notice !== null && this.info.patientGroups.some((group) => group.name === 'age'))
      notices.push(notice);
    return patient;
  }

  private withRecordFeatures(patient: PatientValues, prepared: PreparedSignal): PatientValues {
    const out: Record<string, unknown> = { ...patient };
    for (const group of this.info.patientGroups) {
      if (patient[group.name] !== undefined) continue;
      if (group.name === 'rhythm') {
        // From the leads with their NaN gaps, as training computed it (not from the gaps read as 0).
        out.rhythm = recordRhythm({ fs: prepared.fs, signals: prepared.withGaps, leads: this.info.leads });
      } else if (group.kind === 'numeric' && group.beatPca) {
        out[group.name] = recordBeatFeatures(prepared, group.beatPca);
      }
    }
    return out;
  }

  /** Beat classification around the given R peaks (beat models). */
  async predictBeats(
    record: EcgRecord,
    beats: readonly BeatInput[],
    options: PredictOptions = {},
  ): Promise<BeatPrediction> {
    const info = this.info;
    const spec = info.beats;
    if (info.task !== 'beats' || spec === null) {
      throw new ConfigError(`model ${this.name} classifies whole records: use predict(record)`);
    }
    const prepared = prepareRecord(record, info);
    const width = spec.before + spec.after;
    // The same inputs as training (src/train/beats.ts): windows, residual channels, context from every given peak,
    // so a beat next to one not classified keeps its true intervals; the model runs on the classified beats alone.
    const samples = beats.map((beat) => beat.sample);
    requireBeatsInRecord(record, samples);
    const rows = classifiedRows(beats.length, options.classify);
    const inputs = selectBeatInputs(
      beatModelInputs(prepared.signals, info.fs, samples, record.fs, spec),
      rows,
    );
    const feeds: BeatFeeds = { channels: inputs.channels, inputs: {} };
    if (spec.rr.length > 0) feeds.inputs.rr = rrMatrix(beats, rows, spec.rr);
    if (spec.context.length > 0)
      feeds.inputs.context = { data: inputs.context, features: spec.context.length };
    const patient = options.patient ?? this.headerPatient(record, []);
    const logits =
      rows.length === 0
        ? new Float32Array(0)
        : (
            await this.run(
              inputs.windows,
              rows.length,
              patient,
              options.batchSize ?? BEAT_BATCH,
              width,
              feeds,
              options.onProgress,
            )
          ).logits!.data;
    // The same gate as training (src/train/beats.ts), from every given peak's intervals.
    const gate = spec.fibrillationGate ? pick(fibrillationGate(samples, record.fs), rows) : null;
    this.adjustBeatLogits(logits, inputs, gate);
    const classes = info.labels.length;
    const counts: Record<string, number> = Object.fromEntries(info.labels.map((label) => [label, 0]));
    const predicted = rows.map((row, b) => {
      const probabilities = this.activate(Array.from(logits.subarray(b * classes, (b + 1) * classes)));
      const label = info.labels[argmax(probabilities)]!;
      counts[label]! += 1;
      return {
        sample: beats[row]!.sample,
        label,
        probabilities,
        ...(gate !== null ? { fibrillation: gate[b] === 1 } : {}),
      };
    });
    const shares = info.labels.map((label) => (rows.length === 0 ? 0 : counts[label]! / rows.length));
    return {
      record: record.name,
      task: 'beats',
      beats: predicted,
      counts,
      labels: info.labels.filter((label) => counts[label]! > 0),
      probabilities: Object.fromEntries(info.labels.map((label, c) => [label, shares[c]!])),
      top: ranked(info.labels, shares),
      notices: [
        ...prepared.notices,
        ...fibrillationNotice(gate),
        ...(info.untrained ? [UNTRAINED_NOTICE] : []),
      ],
      untrained: info.untrained,
    };
  }

  /**
   * The gate, then the cluster vote and the fusion rule over the classified beats (`inputs`, the rows of `logits`)
   * alone, as the CV logits (src/train/beats.ts), then the decision offsets, fitted on the logits after the others.
   */
  private adjustBeatLogits(logits: Float32Array, inputs: BeatModelInputs, gate: Uint8Array | null): void {
    const { info } = this;
    const spec = info.beats!;
    if (gate !== null) gateLogits(logits, gate, info.labels);
    if (spec.clusterVote !== null && inputs.count > 0) {
      const { windows: data, count, channels, width } = inputs;
      const windows = { data, count, channels, width };
      const clusters = qrsClusters(windows, info.leads.length, spec.before, info.fs, spec.clusterVote);
      voteLogits(logits, clusters, info.labels, spec.clusterVote.weight);
    }
    if (spec.fusionRule !== null && inputs.count > 0) fusionRuleLogits(logits, info.labels, spec.fusionRule);
    if (spec.classOffsets !== null) shiftLogits(logits, spec.classOffsets);
  }

  release(): Promise<void> {
    return this.runtime.session.release();
  }

  /** Probabilities of one logit row. */
  activate(row: readonly number[]): number[] {
    if (this.info.activation === 'sigmoid') return row.map(sigmoid);
    const max = Math.max(...row);
    const exps = row.map((x) => Math.exp(x - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((x) => x / total);
  }

  private aggregateRows(rows: readonly number[][], aggregate: Aggregation): number[] {
    const classes = this.info.labels.length;
    const mean = (values: readonly number[][]) =>
      Array.from({ length: classes }, (_, c) => values.reduce((s, row) => s + row[c]!, 0) / values.length);
    if (aggregate === 'mean-logits') return this.activate(mean(rows));
    const probabilities = rows.map((row) => this.activate(row));
    if (aggregate === 'mean-probabilities') return mean(probabilities);
    return Array.from({ length: classes }, (_, c) => Math.max(...probabilities.map((row) => row[c]!)));
  }

  private decide(probabilities: readonly number[]): string[] {
    const labels = this.info.labels;
    if (this.info.labelKind === 'single-label') return [labels[argmax(probabilities)]!];
    return labels.filter((_, c) => probabilities[c]! >= this.info.thresholds[c]!);
  }

  /** Runs `count` windows in chunks; every float32 output concatenated along the batch axis. */
  private async run(
    batch: Float32Array,
    count: number,
    patient: PatientValues,
    batchSize = 64,
    width = this.info.windowSamples,
    beat: BeatFeeds | null = null,
    onProgress?: PredictOptions['onProgress'],
  ): Promise<Record<string, Output>> {
    const ort: OrtApi = this.runtime.ort;
    const leads = beat?.channels ?? this.info.leads.length;
    const per = leads * width;
    const parts: Record<string, Float32Array[]> = {};
    const tails: Record<string, number[]> = {};
    for (let from = 0; from < count; from += batchSize) {
      const n = Math.min(batchSize, count - from);
      const feeds: Record<string, Ort.Tensor> = {
        ecg: new ort.Tensor('float32', batch.subarray(from * per, (from + n) * per), [n, leads, width]),
      };
      for (const feed of patientFeeds(this.info.patientGroups, patient, n)) {
        feeds[feed.name] = new ort.Tensor(
          feed.data instanceof BigInt64Array ? 'int64' : 'float32',
          feed.data,
          feed.dims,
        );
      }
      for (const [name, input] of Object.entries(beat?.inputs ?? {})) {
        const rows = input.data.subarray(from * input.features, (from + n) * input.features);
        feeds[name] = new ort.Tensor('float32', rows, [n, input.features]);
      }
      const results = await this.runtime.session.run(feeds).catch((error: unknown) => {
        throw new ConfigError(
          `model ${this.name}: onnxruntime failed to run it (${excerpt(String(error), 500)})`,
        );
      });
      for (const [name, tensor] of Object.entries(results)) {
        if (!(tensor.data instanceof Float32Array)) continue;
        (parts[name] ??= []).push(tensor.data);
        tails[name] = tensor.dims.slice(1).map(Number);
      }
      if (onProgress && (await onProgress(from + n, count)) === false)
        throw new PredictionStoppedError(`model ${this.name}: stopped after ${from + n} of ${count}`);
    }
    return Object.fromEntries(
      Object.entries(parts).map(([name, chunks]) => [name, { data: concat(chunks), tail: tails[name]! }]),
    );
  }

  private attentionSummary(outputs: Record<string, Output>): AttentionSummary | null {
    const spec = this.info.attention;
    if (spec === null) return null;
    const tokens = spec.tokens;
    // Output names come from the model file: only the graph's own outputs count (not Object's "constructor").
    const output = (name: string | undefined) =>
      name !== undefined && Object.hasOwn(outputs, name) ? outputs[name] : undefined;
    const ecgToPatient = output(spec.outputs.ecgToPatient);
    const patientToEcg = output(spec.outputs.patientToEcg);
    // ecgToPatient [windows, heads, positions, tokens]: tokens on the last axis.
    const shares = ecgToPatient
      ? Object.fromEntries(tokens.map((token, k) => [token, meanEvery(ecgToPatient.data, tokens.length, k)]))
      : null;
    return {
      tokens,
      ecgToPatient: shares,
      patientToEcg: patientToEcg ? overPositions(patientToEcg, tokens) : null,
    };
  }

  /** The occlusion's segment and label, checked before any forward pass. */
  private occlusionPlan(options: SaliencyOptions): OcclusionPlan {
    const info = this.info;
    if (options.label !== undefined && !info.labels.includes(options.label))
      throw new ConfigError(`saliency.label: ${options.label} is not one of ${info.labels.join(', ')}`);
    const segmentSeconds = options.segmentSeconds ?? 0.5;
    const segment = Math.round(segmentSeconds * info.fs);
    if (!(segment >= 1))
      throw new ConfigError(`saliency.segmentSeconds: ${segmentSeconds} s is under one sample`);
    return { label: options.label ?? null, segment, perWindow: Math.ceil(info.windowSamples / segment) };
  }

  /** Each window re-run with one segment zeroed; `windows.logits` are the windows' own logits (the reference). */
  private async occlusion(
    plan: OcclusionPlan,
    topLabel: string,
    windows: OcclusionWindows,
  ): Promise<Saliency> {
    const info = this.info;
    const { segment, perWindow } = plan;
    const label = plan.label ?? topLabel;
    const c = info.labels.indexOf(label);
    const { batch, starts, length } = windows;
    const window = info.windowSamples;
    const leads = info.leads.length;
    const occluded = new Float32Array(starts.length * perWindow * leads * window);
    starts.forEach((_, w) => {
      const source = batch.subarray(w * leads * window, (w + 1) * leads * window);
      for (let s = 0; s < perWindow; s++) {
        const target = occluded.subarray(
          (w * perWindow + s) * leads * window,
          (w * perWindow + s + 1) * leads * window,
        );
        target.set(source);
        for (let l = 0; l < leads; l++)
          target.fill(0, l * window + s * segment, l * window + Math.min(window, (s + 1) * segment));
      }
    });
    const out = await this.run(
      occluded,
      starts.length * perWindow,
      windows.patient,
      windows.batchSize,
      undefined,
      null,
      windows.onProgress,
    );
    const classes = info.labels.length;
    const probability = (logits: Float32Array, row: number) =>
      this.activate(Array.from(logits.subarray(row * classes, (row + 1) * classes)))[c]!;
    const bins = Math.ceil(Math.max(length, window) / segment);
    const sums = new Float64Array(bins);
    const counts = new Float64Array(bins);
    starts.forEach((start, w) => {
      const reference = probability(windows.logits, w);
      for (let s = 0; s < perWindow; s++) {
        // Segment s of this window covers record samples from start + s * segment: credit the bin it starts in.
        const bin = Math.min(bins - 1, Math.floor((start + s * segment) / segment));
        sums[bin]! += reference - probability(out.logits!.data, w * perWindow + s);
        counts[bin]! += 1;
      }
    });
    return {
      label,
      segmentSeconds: segment / info.fs,
      times: Array.from({ length: bins }, (_, b) => (b * segment) / info.fs),
      importance: Array.from(sums, (sum, b) => (counts[b]! > 0 ? sum / counts[b]! : 0)),
      forwardPasses: starts.length * perWindow,
    };
  }
}

const SHORT_FILL: Record<ShortRecordStrategy, string> = {
  'zero-pad': 'padded with zeros (the baseline)',
  repeat: 'repeated from its start to fill it',
  mirror: 'repeated forwards and backwards to fill it',
};

function shortNotice(length: number, info: ModelInfo, strategy: ShortRecordStrategy): string {
  const seconds = (n: number) => `${(n / info.fs).toFixed(1)} s`;
  return `short record: ${seconds(length)} is shorter than the model's ${seconds(info.windowSamples)} window, ${SHORT_FILL[strategy]} (docs/short-records.md)`;
}

export const UNTRAINED_NOTICE =
  'UNTRAINED development model: random weights, these numbers are NOT a diagnosis';

async function readModelBytes(source: ModelSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const text = String(source);
  if (source instanceof URL ? source.protocol !== 'file:' : isUrl(text)) {
    const response = await fetch(text);
    if (!response.ok) throw new MissingFileError(text, `model download failed (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  }
  const { readFile } = nodeBuiltin<typeof import('node:fs/promises')>(
    'node:fs/promises',
    'loading a model file',
  );
  const path = filePathOf(source);
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new MissingFileError(text, 'model file not found');
    throw new FormatError(text, `cannot read the model file (${code ?? String(error)})`);
  }
}

/** What the fibrillation gate did, when it did anything. */
function fibrillationNotice(gate: Uint8Array | null): string[] {
  const gated = gate?.reduce((n, g) => n + g, 0) ?? 0;
  if (gated === 0) return [];
  return [
    // A rhythm reading of the intervals, not a diagnosis: frequent ventricular ectopy can look the same (docs/beats.md).
    `${gated} of ${gate!.length} beats have RR intervals as irregular as atrial fibrillation: none of them is called S`,
  ];
}

/** A beat model's input channels (leads, then residual channels) and its per-beat inputs (rr, context). */
interface BeatFeeds {
  channels: number;
  inputs: Partial<Record<'rr' | 'context', { data: Float32Array; features: number }>>;
}

/** Indices of the beats to classify, ascending: every one without a mask. */
function classifiedRows(count: number, classify: readonly boolean[] | undefined): number[] {
  if (classify !== undefined && classify.length !== count)
    throw new ConfigError(`classify: ${classify.length} flags for ${count} beats`);
  return Array.from({ length: count }, (_, b) => b).filter((b) => classify?.[b] ?? true);
}

function pick(values: Uint8Array, rows: readonly number[]): Uint8Array {
  return Uint8Array.from(rows, (row) => values[row]!);
}

/** The RR features of the beats at `rows`. */
function rrMatrix(
  beats: readonly BeatInput[],
  rows: readonly number[],
  features: readonly RrFeature[],
): { data: Float32Array; features: number } {
  const data = new Float32Array(rows.length * features.length);
  rows.forEach((row, b) =>
    features.forEach((name, f) => {
      const value = beats[row]![name];
      if (value === undefined || !Number.isFinite(value)) {
        throw new ConfigError(
          `beats[${row}].${name}: the model reads this RR feature (seconds), got ${value}`,
        );
      }
      data[b * features.length + f] = value;
    }),
  );
  return { data, features: features.length };
}

/** [windows, heads, tokens, positions] -> per token, the mean over windows and heads of its positions' weights. */
function overPositions(output: Output, tokens: readonly string[]): Record<string, number[]> {
  const [heads = 1, , positions = 0] = output.tail;
  const perWindow = heads * tokens.length * positions;
  const windows = perWindow > 0 ? output.data.length / perWindow : 0;
  return Object.fromEntries(
    tokens.map((token, k) => {
      const series = new Array<number>(positions).fill(0);
      for (let w = 0; w < windows; w++)
        for (let h = 0; h < heads; h++) {
          const base = w * perWindow + (h * tokens.length + k) * positions;
          for (let p = 0; p < positions; p++) series[p]! += output.data[base + p]! / (windows * heads);
        }
      return [token, series];
    }),
  );
}

function concat(chunks: readonly Float32Array[]): Float32Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Mean of every `stride`-th value starting at `offset` (one token's share across all other axes). */
function meanEvery(data: Float32Array, stride: number, offset: number): number {
  let sum = 0;
  let n = 0;
  for (let i = offset; i < data.length; i += stride, n++) sum += data[i]!;
  return n > 0 ? sum / n : 0;
}

function ranked(labels: readonly string[], probabilities: readonly number[]): LabelProbability[] {
  return labels
    .map((label, c) => ({ label, probability: probabilities[c]! }))
    .sort((a, b) => b.probability - a.probability);
}
