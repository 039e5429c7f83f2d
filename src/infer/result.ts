/**
 * The one result schema of a diagnosis: `efficientecg predict --format json`, POST /api/predict, the web page and
 * the library (`loadModel(...).predict()`) all produce exactly `EcgResult`; the server validates its answers with
 * these zod schemas and the OpenAPI document is generated from them (src/server/openapi.ts), so none can drift.
 *
 * Pure zod, no Node built-ins: the page imports it too.
 *
 * Safety rules the shape encodes:
 * - `quality` comes first: a record the signal-quality gate (src/signal/quality.ts) finds unusable has
 *   `quality.diagnosable: false`, `labels: null` and `classes: []`: no diagnosis, only the reason in `summary`.
 * - every class carries its probability beside its threshold and whether it passed, so a reader sees why a label
 *   is (or is not) there; `name` spells the abbreviation out (the legend, src/infer/legend.ts).
 * - `noise` repeats the model's own noise class (CinC 2017 `~`) when it has one, even when it did not win.
 */
import { z } from 'zod';
import { QUALITY_KINDS } from '../signal/quality.js';

export const RESULT_VERSION = 1 as const;

export const qualityFlagSchema = z.object({
  kind: z.enum(QUALITY_KINDS),
  /** Leads affected; empty for a finding about the whole record (too short). */
  leads: z.array(z.string()),
  /** Whether this finding alone makes the record unusable for the model (else a warning beside the diagnosis). */
  blocking: z.boolean(),
  message: z.string(),
});
export type QualityFlag = z.infer<typeof qualityFlagSchema>;

export const qualitySchema = z.object({
  diagnosable: z.boolean(),
  flags: z.array(qualityFlagSchema),
  /** One line for people: "ok", or "not diagnosable: flat lead II, V1-V6", or the warnings. */
  summary: z.string(),
});
export type Quality = z.infer<typeof qualitySchema>;

export const classScoreSchema = z.object({
  label: z.string(),
  /** The abbreviation spelled out (legend). */
  name: z.string(),
  probability: z.number(),
  /** Multi-label models: the threshold chosen on validation (0.5 when none was); single-label models: null (argmax). */
  threshold: z.number().nullable(),
  /** Whether this class is among `labels`. */
  passed: z.boolean(),
});
export type ClassScore = z.infer<typeof classScoreSchema>;

export const saliencySchema = z.object({
  /** The class whose probability is explained. */
  label: z.string(),
  segmentSeconds: z.number(),
  /** Segment start times in seconds. */
  times: z.array(z.number()),
  /** Mean drop of `label`'s probability when the segment is occluded (larger: more important). */
  importance: z.array(z.number()),
});
export type SaliencyResult = z.infer<typeof saliencySchema>;

/** Interval measurements from the project's own detectors (src/signal/measure.ts); null where not measurable. */
export const measurementsSchema = z.object({
  /** Beats per minute from the median RR interval. */
  heartRate: z.number().nullable(),
  /** Milliseconds, medians over the beats where the waves were placed. */
  pr: z.number().nullable(),
  qrs: z.number().nullable(),
  qt: z.number().nullable(),
  /** Bazett: QT / sqrt(RR in s). */
  qtc: z.number().nullable(),
  /** Frontal QRS axis in degrees (-180, 180], from the net QRS areas of leads I and aVF (or I and II). */
  axis: z.number().nullable(),
  beats: z.number().int(),
  /** Lead the intervals were measured on. */
  lead: z.string().nullable(),
  method: z.string(),
});
export type Measurements = z.infer<typeof measurementsSchema>;

export const beatSummarySchema = z.object({
  total: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  /**
   * Every classified beat: R peak sample (record rate) and class; `fibrillation: true` on the beats a gated model's
   * RR detector put in atrial fibrillation (they cannot be S).
   */
  items: z.array(
    z.object({ sample: z.number().int(), label: z.string(), fibrillation: z.literal(true).optional() }),
  ),
});

export const recordInfoSchema = z.object({
  name: z.string(),
  fs: z.number(),
  leads: z.array(z.string()),
  samples: z.number().int(),
  seconds: z.number(),
});

export const ecgResultSchema = z.object({
  version: z.literal(RESULT_VERSION),
  ok: z.literal(true),
  /** The input as given (path or file name); the record name is in `record.name`. */
  file: z.string(),
  record: recordInfoSchema,
  model: z.string(),
  task: z.enum(['records', 'beats']),
  untrained: z.boolean(),
  quality: qualitySchema,
  /** Predicted labels; null when the record is not diagnosable (never an empty "nothing found" in that case). */
  labels: z.array(z.string()).nullable(),
  /** Every class in the model's order (empty when not diagnosable). Beat models: share of beats per class. */
  classes: z.array(classScoreSchema),
  /** The model's own noise class (e.g. CinC 2017 `~`), when it has one and the record was diagnosed. */
  noise: z.object({ label: z.string(), probability: z.number(), passed: z.boolean() }).nullable(),
  /** Beat models: beats found and their classes. */
  beats: beatSummarySchema.nullable(),
  measurements: measurementsSchema.nullable(),
  /** Fusion models: the share of the ECG's attention on each patient token. */
  attention: z.record(z.string(), z.number()).nullable(),
  saliency: saliencySchema.nullable(),
  /** What was done to the record on the way (resampling, lead choice, short-record strategy ...). */
  notices: z.array(z.string()),
});
export type EcgResult = z.infer<typeof ecgResultSchema>;

/** A batch entry that could not be read or predicted: the file and the typed error's message. */
export const failedResultSchema = z.object({
  ok: z.literal(false),
  file: z.string(),
  error: z.string(),
});
export type FailedResult = z.infer<typeof failedResultSchema>;

export const fileResultSchema = z.discriminatedUnion('ok', [ecgResultSchema, failedResultSchema]);
export type FileResult = z.infer<typeof fileResultSchema>;

/** "Diagnosis: AF" / "not diagnosable: flat lead II" / "no class above its threshold": one line for people. */
export function diagnosisLine(result: EcgResult): string {
  if (!result.quality.diagnosable || result.labels === null) return result.quality.summary;
  if (result.task === 'beats') {
    const counts = Object.entries(result.beats?.counts ?? {})
      .filter(([, n]) => n > 0)
      .map(([label, n]) => `${label} ${n}`);
    return `${result.beats?.total ?? 0} beats: ${counts.join(', ') || 'none'}`;
  }
  return result.labels.length > 0 ? result.labels.join(' ') : 'no class above its threshold';
}

/** Classes most probable first (the stored order is the model's). */
export function rankedClasses(result: Pick<EcgResult, 'classes'>): ClassScore[] {
  return [...result.classes].sort((a, b) => b.probability - a.probability);
}
