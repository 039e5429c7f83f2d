/**
 * One upload from its files to the answer: read the record within the server's budget, check its length, choose its
 * model, diagnose it. The same function runs on the worker threads (diagnose-pool.ts) and, when tests inject a
 * predictor loader, in the server's own thread, so that both give the same answers and the same errors.
 */
import { RequestError, SignalError } from '../errors.js';
import { diagnose } from '../infer/diagnose.js';
import { patientOfRecord } from '../infer/patients.js';
import type { EcgResult } from '../infer/result.js';
import { routeRecord } from '../infer/route.js';
import type { ReadLimits } from '../io/limits.js';
import { readRecordFromFiles } from '../io/read.js';
import { recordDuration, type EcgRecord } from '../io/record.js';
import { apiWording, ModelLoadError, reworded } from './api-errors.js';
import type { ServedModel } from './catalog.js';
import type { ServeLimits } from './limits.js';
import type { RecordPredictor } from './predictors.js';
import { predictResponseSchema } from './schemas.js';
import type { Patient, PredictRequest } from './upload.js';

export type UploadLimits = ServeLimits & { read: ReadLimits };

export interface UploadContext {
  models: ReadonlyMap<string, ServedModel>;
  limits: UploadLimits;
  predictor: (model: ServedModel) => Promise<RecordPredictor>;
}

export async function diagnoseUpload(job: PredictRequest, context: UploadContext): Promise<EcgResult> {
  try {
    return await diagnoseRecord(job, context);
  } catch (error) {
    throw reworded(error);
  }
}

/** The model a request names (RequestError 404 for a name this server does not serve). */
export function namedModel(models: ReadonlyMap<string, ServedModel>, name: string): ServedModel {
  const model = models.get(name);
  if (model === undefined) throw new RequestError(404, 'model', `no model named '${name}' (see /api/models)`);
  return model;
}

async function diagnoseRecord(job: PredictRequest, context: UploadContext): Promise<EcgResult> {
  const { models, limits } = context;
  const record = await readRecordFromFiles(job.files, {
    limits: limits.read,
    ...(job.fs === null ? {} : { fs: job.fs }),
  });
  checkRecord(record, limits, job.saliency);
  const model = job.model === null ? chooseModel(models, record) : namedModel(models, job.model);
  const { patient, notice } = patientOf(job.patient, record);
  const predictor = await context.predictor(model).catch((error: unknown) => {
    throw error instanceof RequestError ? error : new ModelLoadError(model.name, error);
  });
  const result = await diagnose(model, predictor, record, {
    file: record.name,
    patient,
    saliency: job.saliency,
    ...(job.lead === null ? {} : { lead: job.lead }),
  });
  const notices = [...(notice === null ? [] : [notice]), ...result.notices.map(apiWording)];
  // The documented schema is checked on the way out too: an answer that does not match it is a 500.
  return predictResponseSchema.parse({ ...result, notices });
}

function checkRecord(record: EcgRecord, limits: ServeLimits, saliency: boolean): void {
  const seconds = recordDuration(record);
  if (!(seconds > 0)) throw new SignalError(`record ${record.name}: has no samples`);
  if (saliency && seconds > limits.maxSaliencySeconds) {
    throw new RequestError(
      413,
      'saliency',
      `computed for records up to ${limits.maxSaliencySeconds} s; record ${record.name} is ${seconds.toFixed(0)} s`,
    );
  }
  if (seconds > limits.maxRecordSeconds) {
    throw new RequestError(
      413,
      `record ${record.name}`,
      `is ${seconds.toFixed(0)} s long; this server accepts at most ${limits.maxRecordSeconds} s`,
    );
  }
}

/**
 * No model named: the record's leads choose among the default models, exactly as `efficientecg predict` and the page
 * do (src/infer/route.ts), so that the same record gets the same model on every face.
 */
function chooseModel(models: ReadonlyMap<string, ServedModel>, record: EcgRecord): ServedModel {
  const all = [...models.values()];
  const defaults = all.filter((m) => m.default);
  const candidates = (defaults.length > 0 ? defaults : all).map((m) => ({ ...m, leads: m.info.leads }));
  return routeRecord(record.leads, candidates);
}

/**
 * The request's age and sex, else the header's. A header age outside AGE_RANGE (which a request may not send) is
 * unknown to the model, and a notice says so.
 */
function patientOf(given: Patient, record: EcgRecord) {
  const header = patientOfRecord(record);
  const patient = { age: given.age ?? header.patient.age, sex: given.sex ?? header.patient.sex };
  const notice =
    given.age === null && header.notice !== null ? `${header.notice} (send "age" to give one)` : null;
  return { patient, notice };
}
