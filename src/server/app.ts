/**
 * The `efficientecg serve` HTTP server: the web page (web/dist), the onnxruntime-web wasm files it needs, the model
 * files and example records by catalogue name, and a JSON API (health, models, examples, OpenAPI, predict).
 *
 * Every refusal is a typed error mapped to a status in one place (`statusOf`); nothing a request sends is joined
 * into a path; the queue bounds both running predictions and uploads held in memory.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import {
  ConfigError,
  EcgError,
  FormatError,
  MissingFileError,
  RequestError,
  SignalError,
} from '../errors.js';
import { diagnose } from '../infer/diagnose.js';
import { Predictor } from '../infer/predictor.js';
import { routeRecord } from '../infer/route.js';
import { SERVER_READ_LIMITS, type ReadLimits } from '../io/limits.js';
import { readRecordFromFiles } from '../io/read.js';
import { recordDuration, type EcgRecord } from '../io/record.js';
import { packageVersion } from '../version.js';
import type { ExampleRecord, ServedModel } from './catalog.js';
import { checkHost, checkOrigin, hostName, LOOPBACK_HOSTS, watchUpload } from './guard.js';
import { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
import { openApiDocument } from './openapi.js';
import { predictResponseSchema } from './schemas.js';
import { ORT_WEB_FILES, ortWebDist } from './paths.js';
import { WorkQueue, type Ticket } from './queue.js';
import { readJson, readMultipart } from './upload.js';

export interface ServeOptions {
  models: Map<string, ServedModel>;
  examples?: Map<string, ExampleRecord>;
  /** The built page (web/dist); null serves the API only. */
  webRoot?: string | null;
  limits?: Partial<ServeLimits>;
  /** How a model becomes a predictor (default: Predictor on onnxruntime-node); tests pass slow or failing ones. */
  loadPredictor?: (model: ServedModel) => Promise<RecordPredictor>;
  /** Log every request; errors (every 500, with its request id) are logged either way. */
  logger?: boolean;
  /** Where the log goes (default stdout, JSON lines). */
  logStream?: { write(line: string): void };
  /**
   * Host names the server answers to (default localhost, 127.0.0.1, [::1]); any other Host header is refused,
   * so that a web page cannot reach the server through DNS rebinding.
   */
  allowedHosts?: readonly string[];
  /** Budget for reading an uploaded record (default SERVER_READ_LIMITS, stricter than the CLI's). */
  readLimits?: Partial<ReadLimits>;
}

/** What the server needs of a predictor (src/infer's Predictor; tests pass slow or failing ones). */
export type RecordPredictor = Pick<Predictor, 'predict'> &
  Partial<Pick<Predictor, 'predictBeats' | 'release'>>;

/** Content-Security-Policy of the page: same-origin only, so the page cannot send a record anywhere else. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' data: blob:; " +
  "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'";

declare module 'fastify' {
  interface FastifyRequest {
    ticket: Ticket | null;
  }
}

export function statusOf(error: unknown): number {
  if (error instanceof RequestError) return error.status;
  // ConfigError here is the model refusing the record (its leads, a beat model): models are checked at start-up.
  const unreadable = [FormatError, MissingFileError, SignalError, ConfigError];
  if (unreadable.some((type) => error instanceof type)) return 422;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function errorBody(error: unknown, status: number, requestId: string) {
  if (status >= 500 && !(error instanceof RequestError)) {
    return {
      statusCode: status,
      error: 'InternalError',
      message: `internal error (logged on the server as request ${requestId})`,
      requestId,
    };
  }
  const name = error instanceof EcgError ? error.name : ((error as { code?: string }).code ?? 'BadRequest');
  return { statusCode: status, error: name, message: (error as Error).message };
}

export async function buildServer(options: ServeOptions): Promise<FastifyInstance> {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const queue = new WorkQueue(limits.maxActive, limits.maxWaiting);
  const examples = options.examples ?? new Map<string, ExampleRecord>();
  const predictors = predictorCache(options.loadPredictor ?? defaultLoader);
  const allowedHosts = new Set((options.allowedHosts ?? LOOPBACK_HOSTS).map(hostName));
  const readLimits = { ...SERVER_READ_LIMITS, ...options.readLimits };
  let requests = 0;
  const app = Fastify({
    logger: {
      level: options.logger ? 'info' : 'error',
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    genReqId: () => `req-${(++requests).toString(36)}`,
    requestIdHeader: false,
    // Base64 JSON is 4/3 of the bytes, plus the envelope.
    bodyLimit: Math.ceil(limits.maxUploadBytes * 1.4) + 64 * 1024,
    // Node checks header and request timeouts on an interval (30 s by default, so a 30 s timeout cut at ~60 s).
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  });
  app.decorateRequest('ticket', null);
  app.addHook('onClose', async () => {
    predictors.close();
    // A prediction whose client left holds no connection open, so the server may close while it still runs.
    await queue.whenIdle();
    await predictors.release((error) => app.log.error({ err: error }, 'predictor release failed'));
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    checkHost(request, allowedHosts);
    // Pages may be opened from a link on any site; the API only from this server's own page.
    if (request.url.startsWith('/api/') || request.method !== 'GET') checkOrigin(request);
  });
  // Only multipart and JSON carry records: plain text gets 415 rather than a confusing 400.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    if (status >= 500 && !(error instanceof RequestError))
      request.log.error({ err: error }, 'internal error');
    if (status === 503) reply.header('Retry-After', String(limits.retryAfterSeconds));
    void reply.code(status).send(errorBody(error, status, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ statusCode: 404, error: 'NotFound', message: `${request.url}: no such page` });
  });
  await app.register(multipart, {
    limits: {
      fileSize: limits.maxUploadBytes,
      files: limits.maxFiles,
      fields: 8,
      parts: limits.maxFiles + 8,
    },
  });

  app.get('/api/health', async () => ({
    status: 'ok',
    version: packageVersion(),
    models: options.models.size,
    queue: queue.state,
  }));
  app.get('/api/openapi.json', async () => openApiDocument());
  app.get('/api/models', async () =>
    [...options.models.values()].map((m) => ({
      name: m.name,
      url: `/models/${m.name}.onnx`,
      default: m.default,
      ...m.info,
    })),
  );
  app.get('/api/examples', async () =>
    [...examples.values()].map((e) => ({
      name: e.name,
      files: [...e.files.keys()].map((file) => ({ name: file, url: `/examples/${e.name}/${file}` })),
    })),
  );
  registerFiles(app, options.models, examples);
  registerPredict(app, options.models, { ...limits, read: readLimits }, queue, predictors.get);
  if (options.webRoot && existsSync(options.webRoot)) {
    await app.register(fastifyStatic, {
      root: options.webRoot,
      prefix: '/',
      index: ['index.html'],
      dotfiles: 'deny',
      setHeaders: (reply) => void reply.header('Content-Security-Policy', PAGE_CSP),
    });
  }
  return app;
}

function registerFiles(
  app: FastifyInstance,
  models: Map<string, ServedModel>,
  examples: Map<string, ExampleRecord>,
) {
  const modelFiles = new Map([...models.values()].map((m) => [`${m.name}.onnx`, m.path]));
  const ortDir = ortWebDist();
  const ortFiles = new Map<string, string>(ORT_WEB_FILES.map((f) => [f, join(ortDir, f)]));
  const send = (reply: FastifyReply, path: string | undefined, what: string, type: string) => {
    if (path === undefined) throw new RequestError(404, what, 'not found');
    return reply.type(type).header('Cache-Control', 'no-cache').send(createReadStream(path));
  };
  app.get<{ Params: { file: string } }>('/models/:file', (request, reply) =>
    send(
      reply,
      modelFiles.get(request.params.file),
      `model '${request.params.file}'`,
      'application/octet-stream',
    ),
  );
  app.get<{ Params: { name: string; file: string } }>('/examples/:name/:file', (request, reply) => {
    const { name, file } = request.params;
    return send(
      reply,
      examples.get(name)?.files.get(file),
      `example '${name}/${file}'`,
      'application/octet-stream',
    );
  });
  app.get<{ Params: { file: string } }>('/ort/:file', (request, reply) => {
    const file = request.params.file;
    const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    return send(reply, ortFiles.get(file), `'/ort/${file}'`, type);
  });
}

function registerPredict(
  app: FastifyInstance,
  models: Map<string, ServedModel>,
  limits: ServeLimits & { read: ReadLimits },
  queue: WorkQueue,
  predictors: (model: ServedModel) => Promise<RecordPredictor>,
) {
  const watches = new WeakMap<FastifyRequest, () => void>();
  const release = async (request: FastifyRequest) => {
    watches.get(request)?.();
    request.ticket?.release();
  };
  app.post('/api/predict', {
    // The place in the queue is taken before the body is read: a full server reads no more uploads; a body
    // that does not arrive in time (watchUpload) gives its place back.
    onRequest: async (request) => {
      request.ticket = queue.reserve();
      const cut = (why: string) => {
        request.log.warn({ reason: why }, 'upload cut');
        request.ticket?.release();
      };
      watches.set(request, watchUpload(request, limits, cut));
    },
    onResponse: release,
    onRequestAbort: release,
    handler: async (request) => {
      const input = request.isMultipart()
        ? await readMultipart(request, limits)
        : readJson(request.body, limits);
      // The parser may end at the closing boundary before the declared length arrives: the upload is over anyway.
      watches.get(request)?.();
      const model = input.model === null ? null : models.get(input.model);
      if (model === undefined)
        throw new RequestError(404, 'model', `no model named '${input.model}' (see /api/models)`);
      return request.ticket!.run(async () => {
        const record = await readRecordFromFiles(input.files, {
          limits: limits.read,
          ...(input.fs === null ? {} : { fs: input.fs }),
        });
        checkRecord(record, limits, input.saliency);
        const served = model ?? chooseModel(models, record);
        const patient = { age: input.patient.age ?? record.age, sex: input.patient.sex ?? record.sex };
        const predictor = await predictors(served);
        const result = await diagnose(served, predictor, record, {
          file: record.name,
          patient,
          saliency: input.saliency,
          ...(input.lead === null ? {} : { lead: input.lead }),
        });
        // The documented schema is checked on the way out too: an answer that does not match it is a 500.
        return predictResponseSchema.parse(result);
      });
    },
  });
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
function chooseModel(models: Map<string, ServedModel>, record: EcgRecord): ServedModel {
  const all = [...models.values()];
  const defaults = all.filter((m) => m.default);
  const candidates = (defaults.length > 0 ? defaults : all).map((m) => ({ ...m, leads: m.info.leads }));
  return routeRecord(record.leads, candidates);
}

/**
 * One predictor per model, loaded on first use; a failed load is retried on the next request. Once closed, no load
 * starts, and `release` frees every predictor whose load succeeded (awaiting loads still running).
 */
function predictorCache(load: (model: ServedModel) => Promise<RecordPredictor>) {
  const cache = new Map<string, Promise<RecordPredictor>>();
  let closed = false;
  const get = async (model: ServedModel) => {
    if (closed) throw new RequestError(503, 'server', 'closing');
    const cached = cache.get(model.name);
    if (cached) return cached;
    const loading = load(model);
    cache.set(model.name, loading);
    loading.catch(() => {
      if (cache.get(model.name) === loading) cache.delete(model.name);
    });
    return loading;
  };
  const close = () => {
    closed = true;
  };
  const release = async (onError: (error: unknown) => void) => {
    const loads = await Promise.allSettled(cache.values());
    cache.clear();
    const loaded = loads.flatMap((load) => (load.status === 'fulfilled' ? [load.value] : []));
    const released = await Promise.allSettled(loaded.map(async (predictor) => predictor.release?.()));
    for (const result of released) if (result.status === 'rejected') onError(result.reason);
  };
  return { get, close, release };
}

function defaultLoader(model: ServedModel): Promise<RecordPredictor> {
  return Predictor.load(model.path, { backend: 'node', threads: 1, name: model.name });
}
