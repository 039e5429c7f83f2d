/**
 * What the server and the page need from a model: its description and `predict(record, patient?)`.
 *
 * INTERIM: src/infer (the Predictor being written beside this) will replace `createInterimPredictor`; the
 * `RecordPredictor` shape below is what the server and page consume, so the swap is one adapter. The interim
 * version windows the record (non-overlapping, the last window aligned to the end), z-scores each lead per window,
 * averages the window probabilities, and computes an occlusion saliency (the drop of the top class's probability
 * when each eighth of a window is zeroed). It ignores metadata `preprocessing` and has no patient inputs.
 *
 * Browser-safe: the onnxruntime namespace (onnxruntime-node or onnxruntime-web) is passed in.
 */
import type * as Ort from 'onnxruntime-common';
import { FormatError, SignalError } from '../errors.js';
import type { EcgRecord } from '../io/record.js';
import { resample } from '../signal/resample.js';
import { readOnnxMetadataProps } from './onnx-metadata.js';

export interface ModelInfo {
  labels: string[];
  samplingRate: number;
  leads: string[];
  windowSamples: number;
  multiLabel: boolean;
  /** Patient features the model reads (e.g. ["age", "sex"]); empty for ECG-only models. */
  patientFeatures: string[];
  /** True when the file is marked as an untrained development model: its outputs mean nothing. */
  untrained: boolean;
}

export interface Patient {
  age: number | null;
  sex: 'male' | 'female' | null;
}

export interface Prediction {
  /** Per class, in `info.labels` order. */
  probabilities: number[];
  /** Labels above threshold (multi-label) or the top class. */
  predicted: string[];
  /** Patient feature -> attention weight (fusion models), else null. */
  attention: Record<string, number> | null;
  /** Per record sample (at the record's fs), 0..1: how much that stretch supports the top class. */
  saliency: Float32Array | null;
  notices: string[];
}

export interface RecordPredictor {
  readonly info: ModelInfo;
  predict(record: EcgRecord, patient?: Patient, options?: { saliency?: boolean }): Promise<Prediction>;
  release(): Promise<void>;
}

export type OrtNamespace = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;

const OCCLUSION_SEGMENTS = 8;
const ONE_LEAD_PREFERENCE = ['ii', 'mlii', 'i'];

function jsonProp(props: Record<string, string>, key: string, source: string): unknown {
  const raw = props[key];
  if (raw === undefined) throw new FormatError(source, `model metadata lacks '${key}'`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new FormatError(source, `model metadata '${key}' is not JSON`);
  }
}

/** The model description from its metadata_props, validated. */
export function modelInfo(bytes: Uint8Array, source = '<onnx>'): ModelInfo {
  const props = readOnnxMetadataProps(bytes, source);
  const labels = jsonProp(props, 'labels', source);
  const samplingRate = jsonProp(props, 'sampling_rate', source);
  const leads = jsonProp(props, 'leads', source);
  const window = jsonProp(props, 'window', source) as { samples?: unknown } | null;
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!isStrings(labels) || labels.length === 0)
    throw new FormatError(source, 'metadata labels must be names');
  if (!isStrings(leads) || leads.length === 0) throw new FormatError(source, 'metadata leads must be names');
  if (typeof samplingRate !== 'number' || !(samplingRate > 0))
    throw new FormatError(source, 'metadata sampling_rate must be > 0');
  const windowSamples = window?.samples;
  if (typeof windowSamples !== 'number' || !Number.isInteger(windowSamples) || windowSamples <= 0)
    throw new FormatError(source, 'metadata window.samples must be a positive integer');
  const task = props.task === undefined ? null : jsonProp(props, 'task', source);
  const patient = props.patient_features === undefined ? [] : jsonProp(props, 'patient_features', source);
  return {
    labels,
    samplingRate,
    leads,
    windowSamples,
    multiLabel: task === 'multilabel',
    patientFeatures: isStrings(patient) ? patient : [],
    untrained: props.untrained !== undefined && jsonProp(props, 'untrained', source) === true,
  };
}

/** Record lead indices in the model's lead order; one-lead models take II/MLII/I or the first lead. */
export function pickLeads(record: EcgRecord, info: ModelInfo): { indices: number[]; notice?: string } {
  const names = record.leads.map((l) => l.toLowerCase());
  if (info.leads.length === 1 && record.leads.length >= 1) {
    const wanted = info.leads[0]!.toLowerCase();
    const choice = [wanted, ...ONE_LEAD_PREFERENCE].map((n) => names.indexOf(n)).find((i) => i >= 0) ?? 0;
    const notice =
      names[choice] === wanted
        ? undefined
        : `model lead ${info.leads[0]} read from lead ${record.leads[choice]}`;
    return notice === undefined ? { indices: [choice] } : { indices: [choice], notice };
  }
  const indices = info.leads.map((lead) => names.indexOf(lead.toLowerCase()));
  if (indices.some((i) => i < 0) && record.leads.length === info.leads.length) {
    return {
      indices: info.leads.map((_, i) => i),
      notice: `leads matched by position (record: ${record.leads.join(', ')})`,
    };
  }
  if (indices.some((i) => i < 0)) {
    throw new SignalError(
      `record ${record.name}: has leads ${record.leads.join(', ')} but the model needs ${info.leads.join(', ')}`,
    );
  }
  return { indices };
}

/** Window start offsets covering [0, length): non-overlapping, the last one aligned to the end. */
export function windowStarts(length: number, window: number): number[] {
  if (length <= window) return [0];
  const starts: number[] = [];
  for (let s = 0; s + window <= length; s += window) starts.push(s);
  if (starts[starts.length - 1]! + window < length) starts.push(length - window);
  return starts;
}

function zscoreInto(target: Float32Array, offset: number, lead: Float32Array, start: number, window: number) {
  const end = Math.min(lead.length, start + window);
  let sum = 0;
  let count = 0;
  for (let i = start; i < end; i++) {
    if (!Number.isFinite(lead[i]!)) continue;
    sum += lead[i]!;
    count++;
  }
  const mean = count > 0 ? sum / count : 0;
  let sq = 0;
  for (let i = start; i < end; i++) if (Number.isFinite(lead[i]!)) sq += (lead[i]! - mean) ** 2;
  const std = count > 1 ? Math.sqrt(sq / count) : 0;
  const scale = std > 1e-6 ? 1 / std : 0;
  for (let i = start; i < end; i++) {
    const v = lead[i]!;
    target[offset + i - start] = Number.isFinite(v) ? (v - mean) * scale : 0;
  }
}

function toProbabilities(logits: Float32Array, classes: number, multiLabel: boolean): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let r = 0; r * classes < logits.length; r++) {
    const row = Float64Array.from(logits.subarray(r * classes, (r + 1) * classes));
    if (multiLabel) rows.push(row.map((z) => 1 / (1 + Math.exp(-z))));
    else {
      const max = Math.max(...row);
      const exp = row.map((z) => Math.exp(z - max));
      const total = exp.reduce((a, b) => a + b, 0);
      rows.push(exp.map((e) => e / total));
    }
  }
  return rows;
}

class InterimPredictor implements RecordPredictor {
  constructor(
    readonly info: ModelInfo,
    private readonly ort: OrtNamespace,
    private readonly session: Ort.InferenceSession,
  ) {}

  async predict(
    record: EcgRecord,
    _patient?: Patient,
    options: { saliency?: boolean } = {},
  ): Promise<Prediction> {
    const notices: string[] = [];
    const { indices, notice } = pickLeads(record, this.info);
    if (notice) notices.push(notice);
    let signals = indices.map((i) => record.signals[i]!);
    if (record.fs !== this.info.samplingRate) {
      notices.push(`resampled from ${record.fs} Hz to ${this.info.samplingRate} Hz`);
      signals = signals.map((s) => resample(s, record.fs, this.info.samplingRate, { nan: 'bridge' }));
    }
    const length = signals[0]?.length ?? 0;
    if (length === 0) throw new SignalError(`record ${record.name}: has no samples`);
    const window = this.info.windowSamples;
    const starts = windowStarts(length, window);
    const batch = this.windows(signals, starts);
    const windowProbs = await this.run(batch, starts.length);
    const probabilities = meanRows(windowProbs, this.info.labels.length);
    const top = probabilities.indexOf(Math.max(...probabilities));
    const predicted = this.info.multiLabel
      ? this.info.labels.filter((_, k) => probabilities[k]! >= 0.5)
      : [this.info.labels[top]!];
    const saliency =
      options.saliency === false
        ? null
        : await this.saliency(batch, starts, windowProbs, top, length, record);
    return { probabilities, predicted, attention: null, saliency, notices };
  }

  private windows(signals: Float32Array[], starts: number[]): Float32Array {
    const window = this.info.windowSamples;
    const leads = signals.length;
    const batch = new Float32Array(starts.length * leads * window);
    starts.forEach((start, w) =>
      signals.forEach((lead, c) => zscoreInto(batch, (w * leads + c) * window, lead, start, window)),
    );
    return batch;
  }

  private async run(batch: Float32Array, count: number): Promise<Float64Array[]> {
    const dims = [count, this.info.leads.length, this.info.windowSamples];
    const feeds = { [this.session.inputNames[0]!]: new this.ort.Tensor('float32', batch, dims) };
    const outputs = await this.session.run(feeds);
    const logits = outputs[this.session.outputNames[0]!]!.data as Float32Array;
    return toProbabilities(logits, this.info.labels.length, this.info.multiLabel);
  }

  /** Occlusion: one extra batch of windows x segments, each with one segment zeroed. */
  private async saliency(
    batch: Float32Array,
    starts: number[],
    base: Float64Array[],
    top: number,
    length: number,
    record: EcgRecord,
  ): Promise<Float32Array> {
    const window = this.info.windowSamples;
    const perWindow = this.info.leads.length * window;
    const segment = Math.ceil(window / OCCLUSION_SEGMENTS);
    const occluded = new Float32Array(starts.length * OCCLUSION_SEGMENTS * perWindow);
    for (let w = 0; w < starts.length; w++) {
      for (let s = 0; s < OCCLUSION_SEGMENTS; s++) {
        const offset = (w * OCCLUSION_SEGMENTS + s) * perWindow;
        occluded.set(batch.subarray(w * perWindow, (w + 1) * perWindow), offset);
        for (let c = 0; c < this.info.leads.length; c++) {
          const from = offset + c * window + s * segment;
          occluded.fill(0, from, Math.min(from + segment, offset + (c + 1) * window));
        }
      }
    }
    const probs = await this.run(occluded, starts.length * OCCLUSION_SEGMENTS);
    const atModelRate = new Float32Array(length);
    starts.forEach((start, w) => {
      for (let s = 0; s < OCCLUSION_SEGMENTS; s++) {
        const drop = Math.max(0, base[w]![top]! - probs[w * OCCLUSION_SEGMENTS + s]![top]!);
        const end = Math.min(length, start + (s + 1) * segment);
        for (let i = start + s * segment; i < end; i++) atModelRate[i] = Math.max(atModelRate[i]!, drop);
      }
    });
    return toRecordRate(atModelRate, this.info.samplingRate, record);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function meanRows(rows: Float64Array[], classes: number): number[] {
  const mean = new Array<number>(classes).fill(0);
  for (const row of rows) row.forEach((p, k) => (mean[k]! += p / rows.length));
  return mean;
}

/** Nearest-sample map back to the record's rate, scaled to 0..1. */
function toRecordRate(values: Float32Array, fs: number, record: EcgRecord): Float32Array {
  const n = record.signals[0]?.length ?? 0;
  const out = new Float32Array(n);
  const ratio = fs / record.fs;
  for (let i = 0; i < n; i++) out[i] = values[Math.min(values.length - 1, Math.floor(i * ratio))]!;
  const max = out.reduce((a, b) => Math.max(a, b), 0);
  if (max > 0) for (let i = 0; i < n; i++) out[i] = out[i]! / max;
  return out;
}

/** Loads a model for `predict` (single-threaded: the server bounds concurrency itself). */
export async function createInterimPredictor(
  ort: OrtNamespace,
  bytes: Uint8Array,
  source = '<onnx>',
): Promise<RecordPredictor> {
  const info = modelInfo(bytes, source);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return new InterimPredictor(info, ort, session);
}
