/**
 * Errors as the API gives them:
 * - a model that cannot be loaded is the server's fault (ModelLoadError: 500, logged), not an unreadable record;
 * - errors cross the worker boundary as plain data (`toWire`) and come back as the same classes (`fromWire`), so
 *   that statusOf maps them as if they had been thrown in the server's thread;
 * - messages of code shared with the CLI name its flags (`--lead`, `pass --model`), and the parsers' messages do
 *   not name the limit they enforce: `reworded` and `parserRefusal` say them in the API's terms, fields and limits.
 */
import * as ecgErrors from '../errors.js';
import { EcgError, RequestError } from '../errors.js';
import type { ServeLimits } from './limits.js';

/** A served model could not be loaded (its file deleted or damaged since start-up). */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
  constructor(
    readonly model: string,
    cause: unknown,
  ) {
    // The cause's message, not the cause: an error from a worker arrives as its message alone.
    super(`model ${model}: cannot be loaded: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** An error as structured-clone data: Node's clone keeps neither custom names nor own fields. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, string | number | boolean>;
}

type ErrorClass = new (...args: never[]) => Error;

const CLASSES = new Map<string, ErrorClass>(
  [...Object.values(ecgErrors), ModelLoadError].flatMap((value) =>
    typeof value === 'function' && value.prototype instanceof Error
      ? [[value.name, value as ErrorClass]]
      : [],
  ),
);

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: WireError['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'name' && ['string', 'number', 'boolean'].includes(typeof value))
      fields[key] = value as string | number | boolean;
  }
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), fields };
}

/** The error of its class (an Error for classes not ours), with its message, fields and the worker's stack. */
export function fromWire(wire: WireError): Error {
  const type = CLASSES.get(wire.name) ?? Error;
  // Built without running the constructor: the message is taken as it was, not rebuilt from fields.
  const error = Reflect.construct(Error, [wire.message], type) as Error;
  Object.assign(error, wire.fields, { name: wire.name });
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** CLI wording of shared code (src/infer) -> the API's: each pattern and its replacement. */
const CLI_WORDS: Array<[RegExp, string]> = [
  [/^no bundled model reads (.*); pass --model$/, 'no model of this server reads $1; name one in "model"'],
  [/^--lead\b/, 'lead'],
  [/ \(--lead\)$/, ' (the "lead" field)'],
];

/** `text` with the CLI's flags replaced by the API's fields. */
export function apiWording(text: string): string {
  return CLI_WORDS.reduce((out, [pattern, words]) => out.replace(pattern, words), text);
}

/** `error` with shared code's CLI wording said in the API's (an EcgError's message is rewritten in place). */
export function reworded(error: unknown): unknown {
  if (error instanceof EcgError && !(error instanceof RequestError))
    error.message = apiWording(error.message);
  return error;
}

/** fastify's and the multipart parser's terse refusals, said with the field and the limit; null for others. */
export function parserRefusal(error: unknown, limits: ServeLimits, bodyLimit: number): RequestError | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (PARSER_REFUSALS.get(code)?.(limits, bodyLimit) ?? null) : null;
}

/** Extra parts beyond the files that a multipart upload may carry (its fields). */
export const MULTIPART_FIELDS = 8;

type Refusal = (limits: ServeLimits, bodyLimit: number) => RequestError;

const PARSER_REFUSALS = new Map<string, Refusal>([
  [
    'FST_REQ_FILE_TOO_LARGE',
    (l) =>
      new RequestError(
        413,
        'files',
        `a file is larger than this server's limit of ${l.maxUploadBytes} bytes`,
      ),
  ],
  ['FST_FILES_LIMIT', (l) => new RequestError(413, 'files', `more than ${l.maxFiles} files`)],
  [
    'FST_FIELDS_LIMIT',
    () =>
      new RequestError(413, 'fields', `more than ${MULTIPART_FIELDS} (model, age, sex, saliency, fs, lead)`),
  ],
  [
    'FST_PARTS_LIMIT',
    (l) =>
      new RequestError(413, 'body', `more than ${l.maxFiles + MULTIPART_FIELDS} parts (files and fields)`),
  ],
  [
    'FST_ERR_CTP_BODY_TOO_LARGE',
    (l, bodyLimit) =>
      new RequestError(
        413,
        'body',
        `more than ${bodyLimit} bytes (JSON carries at most ${l.maxUploadBytes} bytes of files, in base64)`,
      ),
  ],
  [
    'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    () => new RequestError(415, 'Content-Type', 'must be multipart/form-data or application/json'),
  ],
]);
