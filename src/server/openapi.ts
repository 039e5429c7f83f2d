/**
 * The HTTP API as an OpenAPI 3.1 document (served at /api/openapi.json). The request and prediction shapes are
 * generated from the zod schemas the server validates with (schemas.ts); the rest is written here.
 */
import { packageVersion } from '../version.js';
import {
  errorSchema,
  jsonSchema,
  predictJsonSchema,
  predictMultipartSchema,
  predictResponseSchema,
} from './schemas.js';

const error = {
  description: 'Refused; `message` names the input and the problem',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'EfficientECG',
      version: packageVersion(),
      description:
        'Diagnose an ECG record with a bundled EfficientECG model. The web page at / runs the same models in the ' +
        'browser instead (the record never leaves the device); this API is for programs.',
    },
    paths: {
      '/api/health': {
        get: {
          summary: 'Liveness and queue state',
          responses: {
            200: {
              description: 'OK',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
            },
          },
        },
      },
      '/api/models': {
        get: {
          summary: 'The models this server offers',
          responses: {
            200: {
              description: 'Models',
              content: {
                'application/json': {
                  schema: { type: 'array', items: { $ref: '#/components/schemas/Model' } },
                },
              },
            },
          },
        },
      },
      '/api/examples': {
        get: {
          summary: 'Example records (their files are at /examples/{name}/{file})',
          responses: {
            200: { description: 'Examples', content: { 'application/json': { schema: { type: 'array' } } } },
          },
        },
      },
      '/api/predict': {
        post: {
          summary: 'Predict the diagnosis of one record',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': { schema: jsonSchema(predictMultipartSchema, 'input') },
              'application/json': { schema: jsonSchema(predictJsonSchema, 'input') },
            },
          },
          responses: {
            200: {
              description: 'Prediction',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Prediction' } } },
            },
            400: { ...error, description: 'Malformed request (JSON, base64, file names, patient fields)' },
            404: { ...error, description: 'Unknown model name' },
            408: {
              ...error,
              description:
                'Body not received within the deadline or at the minimum rate; the connection closes',
            },
            413: { ...error, description: 'Upload too large (bytes or number of files)' },
            415: { ...error, description: 'Neither multipart/form-data nor application/json' },
            422: {
              ...error,
              description: 'Not a supported ECG, or a record the model cannot read (leads, length)',
            },
            500: {
              ...error,
              description:
                "The server's fault (a model that cannot be loaded): logged under the answer's requestId",
            },
            503: {
              ...error,
              description: 'Busy: every queue place is taken; retry after Retry-After seconds',
              headers: { 'Retry-After': { schema: { type: 'integer' } } },
            },
          },
        },
      },
      '/models/{file}': {
        get: {
          summary: 'A model file, by catalogue name ({name}.onnx)',
          parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'ONNX bytes' }, 404: error },
        },
      },
    },
    components: {
      schemas: {
        Error: jsonSchema(errorSchema),
        Health: {
          type: 'object',
          properties: {
            status: { type: 'string', const: 'ok' },
            version: { type: 'string' },
            models: { type: 'integer' },
            queue: { type: 'object' },
          },
        },
        Model: {
          type: 'object',
          description:
            'A served model: its name and URL plus the ONNX metadata the Predictor reads (src/infer ModelInfo)',
          properties: {
            name: { type: 'string' },
            url: { type: 'string' },
            default: {
              type: 'boolean',
              description:
                "A candidate when the page picks a model by the record's leads (the catalogue's default of its dataset)",
            },
            architecture: { type: ['string', 'null'] },
            labels: { type: 'array', items: { type: 'string' }, description: 'output order' },
            labelKind: { type: 'string', enum: ['single-label', 'multi-label'] },
            activation: { type: 'string', enum: ['softmax', 'sigmoid'] },
            fs: { type: 'number', description: 'sampling rate the model expects (Hz)' },
            leads: { type: 'array', items: { type: 'string' } },
            windowSamples: { type: 'integer' },
            hopSamples: { type: 'integer' },
            lastAlignedToEnd: { type: 'boolean' },
            aggregate: { type: 'string', enum: ['mean-logits', 'mean-probabilities', 'max'] },
            shortRecords: { type: 'string', enum: ['zero-pad', 'repeat'] },
            bandpass: { type: ['array', 'null'], items: { type: 'number' } },
            standardize: { type: 'boolean' },
            thresholds: {
              type: 'array',
              items: { type: 'number' },
              description: 'per class, multi-label models',
            },
            unchosenThresholds: {
              type: 'array',
              items: { type: 'string' },
              description: 'the labels whose threshold is the 0.5 fallback (none was chosen on validation)',
            },
            task: {
              type: 'string',
              enum: ['records', 'beats'],
              description: 'records: one diagnosis per record; beats: a class per heartbeat (around R peaks)',
            },
            beats: {
              type: ['object', 'null'],
              description: 'beat models: window around the R peak, RR features',
            },
            patientGroups: { type: 'array', description: 'fusion models: the patient token groups it reads' },
            attention: { type: ['object', 'null'], description: 'fusion models: the attention outputs' },
            validation: { type: ['object', 'null'], description: 'validation metrics from training' },
            dataset: {
              type: ['object', 'null'],
              description:
                "training data and split; record counts in entries (the .onnx metadata's records holds the ids)",
            },
            untrained: {
              type: 'boolean',
              description: 'A development model with random weights: outputs mean nothing',
            },
          },
        },
        Prediction: {
          ...jsonSchema(predictResponseSchema),
          description:
            'The one result schema (src/infer/result.ts), as predict --format json and the page give it: quality first ' +
            '(labels null and no classes when not diagnosable), every class with its threshold, measurements',
        },
      },
    },
  };
}
