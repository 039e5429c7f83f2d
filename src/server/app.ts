/**
 * The `efficientecg serve` HTTP server: the web page (web/dist), the onnxruntime-web wasm files it needs, the model
 * files and example records by catalogue name, and a JSON API (health, models, examples, OpenAPI, predict).
 *
 * Every refusal is a typed error mapped to a status in one place (`statusOf`); nothing a request sends is joined
 * into a path; the queue bounds both running predictions and uploads held in memory. Uploads are read and diagnosed
 * on worker threads (diagnose-pool.ts): a long record takes seconds, during which this thread keeps answering.
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
import { datasetWithCounts } from '../infer/metadata.js';
import type { EcgResult } from '../infer/result.js';
import { SERVER_READ_LIMITS, type ReadLimits } from '../io/limits.js';
import { packageVersion } from '../version.js';
import { ModelLoadError, MULTIPART_FIELDS, parserRefusal } from './api-errors.js';
import type { ExampleRecord, ServedModel } from './catalog.js';
import { DiagnosePool } from './diagnose-pool.js';
import { diagnoseUpload, namedModel, type UploadLimits } from './diagnose-upload.js';
import { checkHost, checkOrigin, hostName, LOOPBACK_HOSTS, watchUpload } from './guard.js';
import { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
import { openApiDocument } from './openapi.js';
import { ORT_WEB_FILES, ortWebDist } from './paths.js';
import { predictorCache, type PredictorLoader } from './predictors.js';
import { WorkQueue, type Ticket } from './queue.js';
import { readJson, readMultipart, type PredictRequest } from './upload.js';

export type { RecordPredictor } from './predictors.js';

export interface ServeOptions {
  models: Map<string, ServedModel>;
  examples?: Map<string, ExampleRecord>;
  /** The built page (web/dist); null serves the API only. */
  webRoot?: string | null;
  limits?: Partial<ServeLimits>;
  /**
   * How a model becomes a predictor, in the server's own thread (tests pass slow or failing ones). Default: uploads
   * are read and diagnosed on worker threads, each with its own Predictor on onnxruntime-node per model.
   */
  loadPredictor?: PredictorLoader;
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

/** How long an idle connection stays open: Fastify's own default, longer than clients' idle timeouts (undici: 4 s). */
const KEEP_ALIVE_MS = 72_000;

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
  // ConfigError and MissingFileError here are the record's: the model's refusing it (its leads, a beat model) and a
  // header naming a file not sent. A model that fails to load is a ModelLoadError: the server's fault, a 500.
  const unreadable = [FormatError, MissingFileError, SignalError, ConfigError];
  if (unreadable.some((type) => error instanceof type)) return 422;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function errorBody(error: unknown, status: number, requestId: string) {
  if (error instanceof ModelLoadError) {
    return {
      statusCode: status,
      error: 'ModelUnavailable',
      message: `model ${error.model}: cannot be loaded on this server (logged as request ${requestId})`,
      requestId,
    };
  }
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
  const allowedHosts = new Set((options.allowedHosts ?? LOOPBACK_HOSTS).map(hostName));
  const uploadLimits: UploadLimits = { ...limits, read: { ...SERVER_READ_LIMITS, ...options.readLimits } };
  // Base64 JSON is 4/3 of the bytes, plus the envelope.
  const bodyLimit = Math.ceil(limits.maxUploadBytes * 1.4) + 64 * 1024;
  let requests = 0;
  const app = Fastify({
    logger: {
      level: options.logger ? 'info' : 'error',
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    genReqId: () => `req-${(++requests).toString(36)}`,
    requestIdHeader: false,
    bodyLimit,
    // Node checks header and request timeouts on an interval (30 s by default, so a 30 s timeout cut at ~60 s).
    serverFactory: (handler) => {
      const server = createServer(
        {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
        handler,
      );
      // Node's 5 s, not Fastify's 72 s (this factory bypasses it): a client reusing an idle connection just as the
      // server drops it (its timer late behind a busy event loop) got ECONNRESET before any answer.
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      return server;
    },
  });
  app.decorateRequest('ticket', null);
  const diagnoser = uploadDiagnoser(options.models, uploadLimits, options.loadPredictor, (error) =>
    app.log.error({ err: error }, 'predictor release or worker failed'),
  );
  app.addHook('onClose', async () => {
    diagnoser.closing = true;
    // A prediction whose client left holds no connection open, so the server may close while it still runs.
    await queue.whenIdle();
    await diagnoser.close();
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    checkHost(request, allowedHosts);
    // Pages may be opened from a link on any site; the API only from this server's own page.
    if (request.url.startsWith('/api/') || request.method !== 'GET') checkOrigin(request);
  });
  // Only multipart and JSON carry records: plain text gets 415 rather than a confusing 400.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((thrown, request, reply) => {
    const error = parserRefusal(thrown, limits, bodyLimit) ?? thrown;
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
      fields: MULTIPART_FIELDS,
      parts: limits.maxFiles + MULTIPART_FIELDS,
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
      dataset: datasetWithCounts(m.info.dataset),
    })),
  );
  app.get('/api/examples', async () =>
    [...examples.values()].map((e) => ({
      name: e.name,
      files: [...e.files.keys()].map((file) => ({ name: file, url: `/examples/${e.name}/${file}` })),
    })),
  );
  registerFiles(app, options.models, examples);
  registerPredict(app, options.models, limits, queue, diagnoser);
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

interface UploadDiagnoser {
  run(job: PredictRequest): Promise<EcgResult>;
  /** Set when the server closes: a job that starts after it is refused (503). */
  closing: boolean;
  /** Releases the predictors (and stops the workers) once no job runs. */
  close(): Promise<void>;
}

/** Worker threads by default; with an injected loader (tests), this thread. */
function uploadDiagnoser(
  models: Map<string, ServedModel>,
  limits: UploadLimits,
  load: PredictorLoader | undefined,
  onError: (error: unknown) => void,
): UploadDiagnoser {
  if (load === undefined) {
    const pool = new DiagnosePool(models, limits, limits.maxActive, onError);
    return { run: (job) => pool.run(job), closing: false, close: () => pool.close() };
  }
  const predictors = predictorCache(load);
  const context = { models, limits, predictor: predictors.get };
  return {
    run: (job) => diagnoseUpload(job, context),
    closing: false,
    close: async () => {
      predictors.close();
      await predictors.release(onError);
    },
  };
}

function registerPredict(
  app: FastifyInstance,
  models: Map<string, ServedModel>,
  limits: ServeLimits,
  queue: WorkQueue,
  diagnoser: UploadDiagnoser,
) {
  const watches = new WeakMap<FastifyRequest, () => void>();
  const release = async (request: FastifyRequest) => {
    watches.get(request)?.();
    request.ticket?.release();
  };
  const predict = async (request: FastifyRequest): Promise<EcgResult> => {
    const input = request.isMultipart()
      ? await readMultipart(request, limits)
      : readJson(request.body, limits);
    // The parser may end at the closing boundary before the declared length arrives: the upload is over anyway.
    watches.get(request)?.();
    if (input.model !== null) namedModel(models, input.model);
    return request.ticket!.run(async () => {
      if (diagnoser.closing) throw new RequestError(503, 'server', 'closing');
      return diagnoser.run(input);
    });
  };
  app.post('/api/predict', {
    // The place in the queue is taken before the body is read: a full server reads no more uploads; a body
    // that does not arrive in time (watchUpload) gives its place back.
    onRequest: async (request, reply) => {
      request.ticket = queue.reserve();
      const cut = (why: string) => {
        request.log.error({ reason: why }, 'upload cut');
        request.ticket?.release();
      };
      watches.set(request, watchUpload(request, reply, limits, cut));
    },
    onResponse: release,
    onRequestAbort: release,
    handler: async (request, reply) => {
      try {
        return await predict(request);
      } catch (error) {
        // A cut upload was answered (408) when it was cut; the parser's error that follows has no one to go to.
        if (reply.sent) return undefined;
        throw error;
      }
    },
  });
}
