/**
 * A prediction request, from multipart (the record's files as file parts; `model`, `age`, `sex`, `saliency` as
 * fields) or JSON ({ model?, files: [{ name, data: base64 }], patient?: { age, sex }, saliency? }), checked before
 * any parsing of the ECG: file names, count, sizes.
 */
import type { FastifyRequest } from 'fastify';
import { excerpt, RequestError } from '../errors.js';
import { isSafeName } from './catalog.js';
import type { ServeLimits } from './limits.js';
import { AGE_RANGE, isAcceptedAge, predictJsonSchema } from './schemas.js';

export interface Patient {
  age: number | null;
  sex: 'male' | 'female' | null;
}

export interface PredictRequest {
  model: string | null;
  files: Map<string, Uint8Array>;
  patient: Patient;
  saliency: boolean;
  /** Sampling rate for a CSV without a time column. */
  fs: number | null;
  /** A one-lead model reads this lead (name or 0-based index) of a multi-lead record. */
  lead: string | number | null;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function addFile(files: Map<string, Uint8Array>, name: string, bytes: Uint8Array, limits: ServeLimits): void {
  if (!isSafeName(name)) {
    throw new RequestError(
      400,
      `file '${name.slice(0, 100)}'`,
      'file names must be plain names (letters, digits, _ . -)',
    );
  }
  if (files.has(name)) throw new RequestError(400, `file '${name}'`, 'given twice');
  if (bytes.length === 0) throw new RequestError(422, `file '${name}'`, 'is empty');
  files.set(name, bytes);
  if (files.size > limits.maxFiles)
    throw new RequestError(413, 'files', `more than ${limits.maxFiles} files`);
  const total = [...files.values()].reduce((sum, b) => sum + b.length, 0);
  if (total > limits.maxUploadBytes)
    throw new RequestError(413, 'files', `more than ${limits.maxUploadBytes} bytes in all`);
}

/**
 * A request value quoted in a refusal. Only a number or a string is converted: anything else JSON can send (an
 * object such as {"toString": 1}, an array) is named by its kind, since String() or Number() of it may throw.
 */
function shown(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value).slice(0, 20);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A number, or a string holding one (a multipart field); NaN for anything else, which the caller refuses. */
function numberIn(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? Number(value) : Number.NaN;
}

export function parsePatient(age: unknown, sex: unknown): Patient {
  let parsedAge: number | null = null;
  if (age !== undefined && age !== null && age !== '') {
    parsedAge = numberIn(age);
    if (!isAcceptedAge(parsedAge))
      throw new RequestError(
        400,
        'age',
        `must be a number of years between ${AGE_RANGE.min} and ${AGE_RANGE.max}, got ${shown(age)}`,
      );
  }
  if (sex !== undefined && sex !== null && sex !== '' && sex !== 'male' && sex !== 'female')
    throw new RequestError(400, 'sex', `must be "male" or "female", got ${shown(sex)}`);
  return { age: parsedAge, sex: sex === 'male' || sex === 'female' ? sex : null };
}

function parseFs(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const fs = numberIn(value);
  if (!Number.isFinite(fs) || fs < 10 || fs > 20_000)
    throw new RequestError(
      400,
      'fs',
      `must be a sampling rate in Hz between 10 and 20000, got ${shown(value)}`,
    );
  return fs;
}

/** A yes/no field: true/false, "true"/"false", "1"/"0" or absent (no); anything else is a 400 naming it. */
function parseFlag(value: unknown, input: string): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new RequestError(400, input, 'must be true or false');
}

function optionalString(value: unknown, input: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RequestError(400, input, 'must be a string');
  return value;
}

export async function readMultipart(request: FastifyRequest, limits: ServeLimits): Promise<PredictRequest> {
  const files = new Map<string, Uint8Array>();
  // No prototype: a field named "constructor" or "__proto__" is only a field.
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') addFile(files, part.filename, await part.toBuffer(), limits);
      else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  } catch (error) {
    throw malformedMultipart(error);
  }
  return {
    model: optionalString(fields.model, 'model'),
    files,
    patient: parsePatient(fields.age, fields.sex),
    saliency: parseFlag(fields.saliency, 'saliency'),
    fs: parseFs(fields.fs),
    lead: optionalString(fields.lead, 'lead'),
  };
}

/**
 * Our own refusals and the parser's 4xx (file too large: 413) pass through; anything else the multipart parser
 * throws (no boundary, a part cut short, bad headers) is a malformed request: 400, not a 500.
 */
function malformedMultipart(error: unknown): unknown {
  if (error instanceof RequestError) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  return new RequestError(
    400,
    'body',
    `malformed multipart (${excerpt(String((error as Error)?.message ?? error), 200)})`,
  );
}

/** What a JSON field must be, said instead of zod's terse issue ("Invalid input") for the fields it checks alone. */
const FIELD_RULES = new Map([
  ['lead', 'must be a lead name (1 to 32 characters) or a 0-based lead index'],
  ['saliency', 'must be true or false'],
  ['patient', 'must be an object { age, sex }'],
]);

export function readJson(body: unknown, limits: ServeLimits): PredictRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RequestError(400, 'body', 'must be a JSON object with a "files" array');
  const { model, files: list, patient, saliency, fs } = body as Record<string, unknown>;
  if (!Array.isArray(list) || list.length === 0)
    throw new RequestError(400, 'files', 'must be a non-empty array of { name, data (base64) }');
  const files = new Map<string, Uint8Array>();
  list.forEach((entry: unknown, i) => {
    const { name, data } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof data !== 'string')
      throw new RequestError(400, `files[${i}]`, 'needs a string "name" and a base64 string "data"');
    const clean = data.replace(/\s+/g, '');
    if (!BASE64.test(clean) || clean.length % 4 === 1)
      throw new RequestError(400, `files[${i}].data`, 'is not base64');
    addFile(files, name, new Uint8Array(Buffer.from(clean, 'base64')), limits);
  });
  const { age, sex } = (typeof patient === 'object' && patient !== null ? patient : {}) as Record<
    string,
    unknown
  >;
  const request = {
    model: optionalString(model, 'model'),
    files,
    patient: parsePatient(age, sex),
    saliency: parseFlag(saliency, 'saliency'),
    fs: parseFs(fs),
  };
  // Everything else the documented schema says (the same zod object the OpenAPI document is generated from).
  const checked = predictJsonSchema.safeParse(body);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    throw new RequestError(400, field, FIELD_RULES.get(field) ?? issue.message);
  }
  return { ...request, lead: checked.data.lead ?? null };
}
