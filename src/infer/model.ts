/**
 * EcgModel: the public face of a loaded model (`loadModel` in src/infer/index.ts for Node, browser.ts for pages).
 * It tells what the model reads and says (classes with their plain names, leads, rate, window, thresholds) and
 * diagnoses records with `diagnose` (src/infer/diagnose.ts): the quality gate, the prediction and the measurements,
 * as the one EcgResult the CLI prints, the server returns and the page shows. Browser-safe.
 */
import { ConfigError, DisposedError } from '../errors.js';
import type { EcgRecord } from '../io/record.js';
import type { BackendOptions } from './backend.js';
import { predictDetectedBeats } from './detected-beats.js';
import { diagnose, type DiagnoseOptions } from './diagnose.js';
import { classLegend } from './legend.js';
import type { ModelInfo } from './metadata.js';
import {
  Predictor,
  type BeatInput,
  type BeatPrediction,
  type ModelSource,
  type PredictOptions,
} from './predictor.js';
import type { EcgResult } from './result.js';

export interface LoadModelOptions extends BackendOptions {
  /** Name in results (default: the catalogue name, else the architecture, else the source). */
  name?: string;
}

export interface ModelClass {
  /** The label as the model outputs it ("MI", "A", "V"). */
  label: string;
  /** The label spelled out ("myocardial infarction"). */
  name: string;
  /** Multi-label models: the probability above which the class is reported; single-label: null (argmax). */
  threshold: number | null;
}

/** Options of EcgModel.predict: prediction options plus what diagnose adds (lead choice, measurements). */
export type ModelPredictOptions = DiagnoseOptions;

export class EcgModel {
  private disposed = false;

  private constructor(
    private readonly predictor: Predictor,
    /** Name used in results. */
    readonly name: string,
  ) {}

  /** Loads model bytes, a path (Node) or a URL; prefer `loadModel`, which also knows the bundled models' names. */
  static async load(source: ModelSource, options: LoadModelOptions = {}): Promise<EcgModel> {
    const predictor = await Predictor.load(source, options);
    return new EcgModel(predictor, options.name ?? predictor.name);
  }

  /** Everything the model's metadata says (preprocessing, patient inputs, validation figures ...). */
  get info(): ModelInfo {
    return this.predictor.info;
  }

  /** 'records': one diagnosis per record; 'beats': one class per heartbeat. */
  get task(): 'records' | 'beats' {
    return this.info.task;
  }

  /** Classes in the model's output order, with their plain names and thresholds. */
  get classes(): ModelClass[] {
    const legend = classLegend(this.info.labels);
    const multi = this.info.labelKind === 'multi-label';
    return this.info.labels.map((label, c) => ({
      label,
      name: legend[label]!,
      threshold: multi ? this.info.thresholds[c]! : null,
    }));
  }

  /** Leads the model reads, in its input order (records are matched by name or alias). */
  get leads(): string[] {
    return [...this.info.leads];
  }

  /** Sampling rate the model expects, in Hz (records at other rates are resampled, with a notice). */
  get fs(): number {
    return this.info.fs;
  }

  /** Seconds of signal per model input (a window of a record, or one beat). */
  get windowSeconds(): number {
    const samples = this.info.beats
      ? this.info.beats.before + this.info.beats.after
      : this.info.windowSamples;
    return samples / this.info.fs;
  }

  /** Per class label: its threshold (null for single-label models). */
  get thresholds(): Record<string, number | null> {
    return Object.fromEntries(this.classes.map((c) => [c.label, c.threshold]));
  }

  /** True for development models with random weights: their outputs are not predictions. */
  get untrained(): boolean {
    return this.info.untrained;
  }

  /** 'node' (onnxruntime-node) or 'web' (onnxruntime-web, wasm). */
  get backend(): string {
    return this.predictor.backend;
  }

  /**
   * Diagnoses a record (or each of several, in order): the quality gate first (an unusable record gets no labels,
   * only the reason), then probabilities, thresholded labels, attention (fusion models), saliency when asked and
   * measurements. Beat models classify every beat the QRS detector finds.
   */
  predict(record: EcgRecord, options?: ModelPredictOptions): Promise<EcgResult>;
  predict(records: readonly EcgRecord[], options?: ModelPredictOptions): Promise<EcgResult[]>;
  async predict(
    input: EcgRecord | readonly EcgRecord[],
    options: ModelPredictOptions = {},
  ): Promise<EcgResult | EcgResult[]> {
    this.checkOpen();
    if (!Array.isArray(input)) return diagnose(this, this.predictor, input as EcgRecord, options);
    const results: EcgResult[] = [];
    for (const record of input as readonly EcgRecord[])
      results.push(await diagnose(this, this.predictor, record, options));
    return results;
  }

  /**
   * Beat models: classifies the beats at the given R peaks (record samples, with RR features in seconds when the
   * model reads them), or every beat the QRS detector finds when `beats` is omitted. Per-beat probabilities.
   */
  async predictBeats(
    record: EcgRecord,
    beats?: readonly BeatInput[],
    options: PredictOptions = {},
  ): Promise<BeatPrediction> {
    this.checkOpen();
    if (this.task !== 'beats')
      throw new ConfigError(`model ${this.name} classifies whole records: use predict(record)`);
    if (beats !== undefined) return this.predictor.predictBeats(record, beats, options);
    return predictDetectedBeats(this.predictor, record);
  }

  /** Releases the onnxruntime session; the model cannot predict afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.predictor.release();
  }

  private checkOpen(): void {
    if (this.disposed) throw new DisposedError(`model ${this.name} was disposed`);
  }
}
