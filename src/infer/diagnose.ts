/**
 * One diagnosis, the same for every face (CLI predict, HTTP API, web page, library): a record and a model in, an
 * EcgResult (src/infer/result.ts) out.
 *
 * 1. A one-lead model given `lead` reads that lead of a multi-lead record.
 * 2. The signal-quality gate (src/signal/quality.ts) looks at the leads the model reads; an unusable record gets
 *    no diagnosis: `quality.diagnosable` false, `labels` null, no classes, the reason in `quality.summary`.
 * 3. Otherwise the model predicts (beat models: every beat the QRS detector finds), each class is reported with its
 *    threshold and whether it passed, and the model's own noise class is repeated in `noise`.
 * 4. Heart rate, intervals and axis from the project's own detectors (src/signal/measure.ts), when asked.
 * The gate and the measurements read the leads in mV from the record's units (their thresholds are in mV); leads in
 * units that are not a voltage skip those thresholds, which a notice says.
 * Browser-safe.
 */
import { ConfigError } from '../errors.js';
import { recordDuration, type EcgRecord } from '../io/record.js';
import { measureRecord } from '../signal/measure.js';
import { assessQuality, type QualityReport } from '../signal/quality.js';
import { nonVoltageNotice } from '../signal/units.js';
import { predictDetectedBeats } from './detected-beats.js';
import { classLegend, NOISE_LABELS } from './legend.js';
import type { ModelInfo } from './metadata.js';
import type { BeatPrediction, PredictOptions, Predictor, RecordPrediction } from './predictor.js';
import { ABSENT_LEAD, canonicalLead, selectLeads, withDerivedLeads } from './prepare.js';
import { RESULT_VERSION, type ClassScore, type EcgResult } from './result.js';

/** What diagnose needs of a predictor (src/infer's Predictor; the server's tests pass slow or failing ones). */
export type DiagnosePredictor = Pick<Predictor, 'predict'> & Partial<Pick<Predictor, 'predictBeats'>>;

export interface DiagnoseOptions extends PredictOptions {
  /** A one-lead model reads this lead (name or 0-based index) of a multi-lead record. */
  lead?: string | number;
  /** The input as given (path or file name) for `file`; default the record's name. */
  file?: string;
  /** Heart rate, PR, QRS, QT, QTc and axis (default true). */
  measurements?: boolean;
}

/**
 * The quality gate of `record` (its derived leads already added) for `info`'s model: only the leads the model reads
 * count (a flat extra channel does not block it), and a record model's window sets what is too short. The CLI, the
 * server and the page all gate through here.
 */
export function modelQuality(
  record: EcgRecord,
  info: Pick<ModelInfo, 'leads' | 'task' | 'windowSamples' | 'fs'>,
): QualityReport {
  const { indices } = selectLeads(record.leads, info.leads, record.name);
  return assessQuality(record, {
    modelLeads: indices.filter((index) => index !== ABSENT_LEAD),
    ...(info.task === 'records' ? { windowSeconds: info.windowSamples / info.fs } : {}),
  });
}

export async function diagnose(
  model: { name: string; info: ModelInfo },
  predictor: DiagnosePredictor,
  input: EcgRecord,
  options: DiagnoseOptions = {},
): Promise<EcgResult> {
  const { info } = model;
  const chosen = withChosenLead(input, info, options.lead, options.file);
  const derived = withDerivedLeads(chosen.record, info.leads);
  const record = derived.record;
  const notice =
    [chosen.notice, derived.notice, nonVoltageNotice(input.leads, input.units)]
      .filter((n) => n !== null)
      .join('; ') || null;
  const quality = modelQuality(record, info);
  const base = {
    version: RESULT_VERSION,
    ok: true as const,
    file: options.file ?? input.name,
    record: {
      name: input.name,
      fs: input.fs,
      leads: input.leads,
      samples: input.signals[0]?.length ?? 0,
      seconds: round(recordDuration(input), 3),
    },
    model: model.name,
    task: info.task,
    untrained: info.untrained,
    quality,
    measurements: options.measurements === false ? null : measureRecord(input),
  };
  if (!quality.diagnosable) {
    return {
      ...base,
      labels: null,
      classes: [],
      noise: null,
      beats: null,
      attention: null,
      saliency: null,
      notices: notice ? [notice] : [],
    };
  }
  if (info.task === 'beats') {
    if (!predictor.predictBeats)
      throw new ConfigError(`model ${model.name}: this predictor cannot classify beats`);
    const prediction = await predictDetectedBeats(
      { predictBeats: predictor.predictBeats.bind(predictor) },
      record,
    );
    return { ...base, ...beatFields(info, prediction), notices: withNotice(prediction.notices, notice) };
  }
  const prediction = await predictor.predict(record, options);
  return {
    ...base,
    labels: prediction.labels,
    classes: recordClasses(info, prediction),
    noise: noiseOf(info, prediction),
    beats: null,
    attention: prediction.attention?.ecgToPatient ?? null,
    saliency: prediction.saliency
      ? {
          label: prediction.saliency.label,
          segmentSeconds: prediction.saliency.segmentSeconds,
          times: prediction.saliency.times,
          importance: prediction.saliency.importance,
        }
      : null,
    notices: withNotice(prediction.notices, notice),
  };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function withNotice(notices: readonly string[], notice: string | null): string[] {
  return notice ? [notice, ...notices] : [...notices];
}

/**
 * `lead` for a one-lead model: the record reduced to that lead, named as the model's lead so that it is read.
 * Without `lead`, the record as it is (selectLeads then finds the model's lead by name or alias, or refuses).
 * `file` names the record in the error (default its name).
 */
export function withChosenLead(
  record: EcgRecord,
  info: Pick<ModelInfo, 'leads'>,
  lead: string | number | undefined,
  file = record.name,
): { record: EcgRecord; notice: string | null } {
  if (lead === undefined) return { record, notice: null };
  if (info.leads.length !== 1)
    throw new ConfigError(
      `--lead: the model reads ${info.leads.length} leads (${info.leads.join(', ')}), not one`,
    );
  const index =
    typeof lead === 'number' || /^\d+$/.test(lead)
      ? Number(lead)
      : record.leads.findIndex((name) => canonicalLead(name) === canonicalLead(lead));
  if (!(index >= 0 && index < record.leads.length))
    throw new ConfigError(`--lead ${lead}: ${file} has no such lead (its leads: ${record.leads.join(', ')})`);
  const only = <T>(values: readonly T[]) => [values[index]!];
  return {
    record: { ...record, leads: [info.leads[0]!], signals: only(record.signals), units: only(record.units) },
    notice: `lead ${record.leads[index]} read as the model's ${info.leads[0]} lead (--lead)`,
  };
}

function recordClasses(info: ModelInfo, prediction: RecordPrediction): ClassScore[] {
  const legend = classLegend(info.labels);
  return info.labels.map((label, c) => ({
    label,
    name: legend[label]!,
    probability: round(prediction.probabilities[label]!),
    threshold: info.labelKind === 'multi-label' ? round(info.thresholds[c]!) : null,
    passed: prediction.labels.includes(label),
  }));
}

function noiseOf(info: ModelInfo, prediction: RecordPrediction): EcgResult['noise'] {
  const label = info.labels.find((l) => NOISE_LABELS.has(l));
  if (label === undefined) return null;
  return {
    label,
    probability: round(prediction.probabilities[label]!),
    passed: prediction.labels.includes(label),
  };
}

function beatFields(info: ModelInfo, prediction: BeatPrediction) {
  const legend = classLegend(info.labels);
  return {
    labels: prediction.labels,
    classes: info.labels.map((label) => ({
      label,
      name: legend[label]!,
      probability: round(prediction.probabilities[label]!),
      threshold: null,
      passed: prediction.counts[label]! > 0,
    })),
    noise: null,
    beats: {
      total: prediction.beats.length,
      counts: prediction.counts,
      items: prediction.beats.map((b) => ({
        sample: b.sample,
        label: b.label,
        ...(b.fibrillation ? { fibrillation: true as const } : {}),
      })),
    },
    attention: null,
    saliency: null,
  };
}
