/**
 * The HTTP API's request and response shapes as zod schemas: the server validates with them (upload.ts parses a
 * JSON request with `predictJsonSchema`, app.ts checks every prediction against `ecgResultSchema` before sending
 * it) and the OpenAPI document (openapi.ts) is generated from the same objects, so the two cannot drift.
 */
import { z } from 'zod';
import { AGE_RANGE } from '../infer/patients.js';
import { ecgResultSchema } from '../infer/result.js';

// The ages a request may send are the ones a model is given (src/infer/patients.ts).
export { AGE_RANGE, isAcceptedAge } from '../infer/patients.js';

export const patientSchema = z.object({
  age: z
    .number()
    .min(AGE_RANGE.min)
    .max(AGE_RANGE.max)
    .nullable()
    .optional()
    .describe('years (default: from the record)'),
  sex: z.enum(['male', 'female']).nullable().optional().describe('default: from the record'),
});

/** A one-lead model reads this lead of a multi-lead record: its name or 0-based index. */
const leadSchema = z
  .union([z.string().min(1).max(32), z.number().int().min(0)])
  .describe(
    "a one-lead model reads this lead of a multi-lead record (name or 0-based index), as predict's --lead",
  );

export const predictJsonSchema = z.object({
  model: z
    .string()
    .nullable()
    .optional()
    .describe(
      "model name from GET /api/models (default: routed by the record's leads, as predict and the page)",
    ),
  files: z
    .array(z.object({ name: z.string().describe('e.g. A00001.hea'), data: z.string().describe('base64') }))
    .min(1)
    .describe("the record's files: a WFDB .hea with its data files, one .mat, one .csv or one .edf"),
  patient: patientSchema.nullable().optional(),
  saliency: z.boolean().nullable().optional().describe('include the occlusion saliency (default false)'),
  fs: z
    .number()
    .min(10)
    .max(20_000)
    .nullable()
    .optional()
    .describe('sampling rate in Hz of a CSV without a time column (as --fs)'),
  lead: leadSchema.nullable().optional(),
});
export type PredictJson = z.infer<typeof predictJsonSchema>;

/** Multipart form: the same fields as text, the record's files as file parts (for the document only). */
export const predictMultipartSchema = z.object({
  files: z.array(z.string().meta({ format: 'binary' })),
  model: z.string().optional(),
  age: z.number().optional(),
  sex: z.enum(['male', 'female']).optional(),
  saliency: z.boolean().optional(),
  fs: z.number().optional(),
  lead: z.string().optional(),
});

export const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string().describe('names the input and the problem'),
  requestId: z.string().optional().describe('on a 500: the id the server logged the error under'),
});

/** The one result schema (src/infer/result.ts): what `predict --format json`, the page and the library give. */
export const predictResponseSchema = ecgResultSchema;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the $schema key. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Record<
    string,
    unknown
  >;
  return rest;
}
