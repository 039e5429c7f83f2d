/**
 * A request's queue place and the server's predictors over their lifetimes: an upload that never completes gives
 * its place back without a prediction; closing the server releases every predictor loaded, after the predictions
 * still running (the queue's own bookkeeping under early releases is tested in queue.test.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer, loadModels, type RecordPredictor, type ServedModel } from '../../src/server/index.js';
import { fakePrediction } from './fake-prediction.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WFDB = here('../fixtures/wfdb/');
const MODELS = loadModels([
  here('fixtures/dev-1lead-untrained.onnx'),
  here('fixtures/dev-12lead-fusion-untrained.onnx'),
]);
const ONE_LEAD = 'dev-1lead-untrained';
const CINC = ['A00001.hea', 'A00001.mat'].map((name) => ({ name, bytes: readFileSync(WFDB + name) }));
const CINC_JSON = { files: CINC.map((f) => ({ name: f.name, data: f.bytes.toString('base64') })) };

const sockets: Socket[] = [];
const servers: FastifyInstance[] = [];
after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => s.close()));
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A predictor whose predictions run until `open()`; `nextStart` resolves when the next one starts. */
function gatedPredictor() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const counts = { calls: 0 };
  const started: Array<() => void> = [];
  const predictor: RecordPredictor = {
    predict: async () => {
      counts.calls++;
      started.splice(0).forEach((resolve) => resolve());
      await gate;
      return fakePrediction('N');
    },
  };
  const nextStart = () => new Promise<void>((resolve) => started.push(resolve));
  return { predictor, counts, open, nextStart };
}

/**
 * Posts the record as multipart with a Content-Length 5 bytes larger than the body; the socket stays open until the
 * server closes it. Resolves with what the server sent before closing.
 */
async function shortUpload(port: number) {
  const form = new FormData();
  form.append('model', ONE_LEAD);
  for (const f of CINC) form.append('files', new Blob([new Uint8Array(f.bytes)]), f.name);
  const request = new Request('http://x/', { method: 'POST', body: form });
  const body = Buffer.from(await request.arrayBuffer());
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (chunk) => void (text += chunk));
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  socket.write(
    `POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${request.headers.get('content-type')}\r\n` +
      `Content-Length: ${body.length + 5}\r\n\r\n`,
  );
  socket.write(body);
  await closed;
  const [head = '', payload = ''] = text.split('\r\n\r\n');
  const [statusLine = 'closed without an answer', ...headers] = head.split('\r\n');
  return {
    statusLine,
    headers: new Map(
      headers.map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]),
    ),
    body: (payload ? JSON.parse(payload) : null) as {
      statusCode: number;
      error: string;
      message: string;
    } | null,
  };
}

test('a multipart upload shorter than its Content-Length is never predicted: it is cut (408) and its place freed', async () => {
  // The multipart parts end with the request body, not at the closing boundary: the handler waits for the 5 bytes
  // that never come, until the upload watch answers 408 and closes the connection.
  const { predictor, counts } = gatedPredictor();
  const limits = { uploadGraceMs: 100, minUploadBytesPerSecond: 10 ** 7 };
  const app = await buildServer({
    models: MODELS,
    webRoot: null,
    limits,
    loadPredictor: async () => predictor,
  });
  servers.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const answer = await shortUpload(port);
  assert.equal(answer.statusLine, 'HTTP/1.1 408 Request Timeout');
  assert.equal(answer.headers.get('connection'), 'close');
  assert.deepEqual(
    answer.body && { ...answer.body, message: answer.body.message.replace(/\d+ B\/s,/, 'N B/s,') },
    {
      statusCode: 408,
      error: 'RequestError',
      message: 'body: arriving at N B/s, below 10000000 B/s',
    },
  );
  for (let i = 0; i < 1000 && (await app.inject('/api/health')).json().queue.waiting > 0; i++) await settle();
  const { active, waiting } = (await app.inject('/api/health')).json().queue;
  assert.deepEqual({ calls: counts.calls, active, waiting }, { calls: 0, active: 0, waiting: 0 });
});

/** Predictors that record their release; the first load of `failFirst` fails. */
function releasingLoader(failFirst: string) {
  const events: string[] = [];
  let failed = false;
  const load = async (model: ServedModel): Promise<RecordPredictor> => {
    if (model.name === failFirst && !failed) {
      failed = true;
      throw new Error('load failed');
    }
    return {
      predict: async () => (events.push(`predict ${model.name}`), fakePrediction('N')),
      release: async () => void events.push(`release ${model.name}`),
    };
  };
  return { load, events };
}

test('closing the server releases every predictor loaded, once; a failed load holds nothing', async () => {
  const { load, events } = releasingLoader(ONE_LEAD);
  const quiet = { write: () => {} };
  const app = await buildServer({ models: MODELS, webRoot: null, loadPredictor: load, logStream: quiet });
  const predict = async (model: string) =>
    (await app.inject({ method: 'POST', url: '/api/predict', payload: { ...CINC_JSON, model } })).statusCode;
  assert.equal(await predict(ONE_LEAD), 500);
  assert.equal(await predict(ONE_LEAD), 200);
  assert.equal(await predict(ONE_LEAD), 200);
  assert.equal(await predict('dev-12lead-fusion-untrained'), 422, 'the one-lead record does not fit');
  await app.close();
  assert.deepEqual(events.filter((e) => e.startsWith('release')).sort(), [
    'release dev-12lead-fusion-untrained',
    'release dev-1lead-untrained',
  ]);
});

test('closing the server waits for a running prediction before releasing its predictor', async () => {
  const { predictor, open, nextStart } = gatedPredictor();
  const events: string[] = [];
  const gated: RecordPredictor = {
    predict: async (...args) => {
      const result = await predictor.predict(...args);
      events.push('predicted');
      return result;
    },
    release: async () => void events.push('released'),
  };
  const app = await buildServer({ models: MODELS, webRoot: null, loadPredictor: async () => gated });
  const started = nextStart();
  const running = app.inject({ method: 'POST', url: '/api/predict', payload: CINC_JSON });
  await started;
  const closed = app.close();
  for (let i = 0; i < 20; i++) await settle();
  assert.deepEqual(events, []);
  open();
  await closed;
  assert.deepEqual(events, ['predicted', 'released']);
  await running.catch(() => {});
});
