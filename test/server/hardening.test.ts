/**
 * The server against hostile clients: foreign Host and Origin headers, malformed multipart, every hostile record of
 * issue 17, 500s logged with a request id, random bytes at every route, and 100 connections trickling bodies.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer, loadModels, type ServeOptions } from '../../src/server/index.js';
import { seededRandom } from '../../src/util/random.js';
import { builtCases, committedCases } from '../helpers/hostile.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const MODELS = loadModels([
  here('fixtures/dev-1lead-untrained.onnx'),
  `mitdb-beat-w0.25=${here('../../models/mitdb-beat-w0.25.onnx')}`,
]);
const WFDB = here('../fixtures/wfdb/');
const CINC = ['A00001.hea', 'A00001.mat'].map((name) => ({
  name,
  data: readFileSync(WFDB + name).toString('base64'),
}));

const servers: FastifyInstance[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(options: Partial<ServeOptions> = {}): Promise<FastifyInstance> {
  const app = await buildServer({ models: MODELS, webRoot: null, ...options });
  servers.push(app);
  return app;
}

// The bundled models themselves: every answer goes through diagnose(), which needs a real Predictor.
const fast: Partial<ServeOptions> = {};

describe('Host and Origin', () => {
  it('a foreign Host (DNS rebinding) is 403 on every route; loopback names are served', async () => {
    const app = await server();
    for (const url of ['/api/health', '/api/models', '/nothing'])
      assert.equal((await app.inject({ url, headers: { host: 'evil.example:8080' } })).statusCode, 403);
    for (const host of ['localhost:8080', '127.0.0.1', '[::1]:9'])
      assert.equal((await app.inject({ url: '/api/health', headers: { host } })).statusCode, 200);
  });

  it('a page on another origin cannot post a record or read the API; the own origin can', async () => {
    const app = await server(fast);
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/predict',
        payload: { files: CINC },
        headers: { host: 'localhost:8080', ...headers },
      });
    assert.equal((await post({ origin: 'http://evil.example' })).statusCode, 403);
    assert.equal((await post({ origin: 'null' })).statusCode, 403);
    assert.equal((await post({ 'sec-fetch-site': 'cross-site' })).statusCode, 403);
    assert.equal(
      (await post({ origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' })).statusCode,
      200,
    );
    assert.equal((await post({})).statusCode, 200); // curl and scripts send no Origin
    const read = await app.inject({
      url: '/api/models',
      headers: { host: 'localhost:8080', 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(read.statusCode, 403);
  });

  it('allowedHosts adds names (serve --allow-host)', async () => {
    const app = await server({ allowedHosts: ['ecg.lan'] });
    assert.equal(
      (await app.inject({ url: '/api/health', headers: { host: 'ecg.lan:8080' } })).statusCode,
      200,
    );
    assert.equal((await app.inject({ url: '/api/health', headers: { host: 'localhost' } })).statusCode, 403);
  });
});

describe('malformed requests are 4xx, every 500 is logged with its request id', () => {
  const multipart = (body: string, type = 'multipart/form-data; boundary=XX') => ({
    method: 'POST' as const,
    url: '/api/predict',
    payload: body,
    headers: { 'content-type': type },
  });
  const MALFORMED = [
    multipart('--XX\r\nContent-Disposition: form-data; name="files"; filename="a.hea"\r\n\r\nabc'),
    multipart(
      '--XX\r\nContent-Disposition: form-data; name="files"; filename="a.hea"\r\n\r\nabc\r\n--YY--\r\n',
    ),
    multipart('garbage without any boundary'),
    multipart('--XX\r\nbroken header line\r\n\r\nx\r\n--XX--\r\n'),
    multipart('', 'multipart/form-data'),
    multipart('--XX--\r\n', 'multipart/form-data; boundary='),
    multipart(
      '--XX\r\nContent-Disposition: form-data; name="model"\r\n\r\n' + 'm'.repeat(2 ** 20) + '\r\n--XX--\r\n',
    ),
  ];
  for (const [i, request] of MALFORMED.entries()) {
    it(`malformed multipart #${i + 1} is a 4xx`, async () => {
      const app = await server(fast);
      const res = await app.inject(request);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.ok(res.body.length < 4096);
    });
  }

  it('a 500 names its request id, the log holds it with the error', async () => {
    const lines: string[] = [];
    const app = await server({
      logStream: { write: (line) => void lines.push(line) },
      loadPredictor: async () => {
        throw new Error('boom at /secret/path');
      },
    });
    const res = await app.inject({ method: 'POST', url: '/api/predict', payload: { files: CINC } });
    assert.equal(res.statusCode, 500);
    const body = res.json() as { requestId: string; message: string };
    assert.equal(res.headers['x-request-id'], body.requestId);
    assert.match(body.message, new RegExp(`as request ${body.requestId}`));
    assert.doesNotMatch(body.message, /secret/);
    const logged = lines.map(
      (l) => JSON.parse(l) as { reqId: string; level: number; err?: { message: string } },
    );
    assert.ok(
      logged.some((l) => l.reqId === body.requestId && l.level >= 50 && /boom/.test(l.err?.message ?? '')),
    );
  });
});

describe('hostile records through the API', () => {
  // One server for all: each case is read on its worker threads, which the next case then finds still serving.
  let shared: Promise<FastifyInstance> | null = null;
  for (const c of [...committedCases(), ...builtCases()]) {
    it(`${c.name}: a 4xx, and the server keeps serving`, async () => {
      shared ??= server({ ...fast, limits: { maxUploadBytes: 20 * 2 ** 20 } });
      const app = await shared;
      const files = [...c.files].map(([name, bytes]) => ({
        name,
        data: Buffer.from(bytes).toString('base64'),
      }));
      const res = await app.inject({
        method: 'POST',
        url: '/api/predict',
        payload: { files, model: 'mitdb-beat-w0.25', ...(c.options.fs ? { fs: c.options.fs } : {}) },
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body.slice(0, 300)}`);
      assert.ok(res.body.length < 4096);
      assert.equal((await app.inject('/api/health')).statusCode, 200);
    });
  }
});

describe('random bytes and random multipart at every route', () => {
  const ROUTES = [
    '/api/predict',
    '/api/health',
    '/api/models',
    '/api/examples',
    '/api/openapi.json',
    '/models/x.onnx',
    '/examples/a/b',
    '/ort/x.wasm',
    '/',
    '/api/predict?model=x',
  ];
  const TYPES = [
    'application/json',
    'multipart/form-data; boundary=B',
    'multipart/form-data',
    'text/plain',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    '',
  ];
  it('800 requests: only 2xx, 4xx or 503', async () => {
    const app = await server({ ...fast, limits: { maxUploadBytes: 64 * 1024 } });
    const rng = seededRandom(17);
    const int = (n: number) => Math.floor(rng() * n);
    const pick = <T>(items: readonly T[]) => items[int(items.length)]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 800; i++) {
      const bytes = Buffer.from(Array.from({ length: int(600) }, () => int(256)));
      const body =
        rng() < 0.4
          ? Buffer.concat([
              Buffer.from(
                `--B\r\nContent-Disposition: form-data; name="${pick(['files', 'model', 'fs', 'age', 'x'])}"; filename="${pick(['a.hea', 'a.dat', '../x', 'a.csv', ''])}"\r\n\r\n`,
              ),
              bytes,
              Buffer.from(pick(['\r\n--B--\r\n', '\r\n--B', '', '--B--'])),
            ])
          : rng() < 0.3
            ? Buffer.from(
                JSON.stringify({
                  files: [{ name: pick(['a.hea', 'a.mat', 'b.csv', '']), data: bytes.toString('base64') }],
                  fs: pick([0, 250, 1e9, 'x', null]),
                  model: pick([undefined, 'mitdb-beat-w0.25', 'nope']),
                }),
              )
            : bytes;
      const res = await app.inject({
        method: pick(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']),
        url: pick(ROUTES),
        payload: body,
        headers: { 'content-type': pick(TYPES) },
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      assert.ok(
        res.statusCode < 500 || res.statusCode === 503,
        `status ${res.statusCode}: ${res.body.slice(0, 300)}`,
      );
    }
    assert.ok([...statuses.keys()].some((s) => s >= 200 && s < 300));
  });
});

describe('slow clients', () => {
  it('100 connections trickling bodies cannot keep a normal client from being served past the upload deadline', async () => {
    // Five bytes a second pass the minimum rate (1 B/s): only the deadline cuts them.
    const limits = { uploadDeadlineMs: 3000, uploadGraceMs: 500, minUploadBytesPerSecond: 1 };
    const lines: string[] = [];
    const app = await server({ ...fast, limits, logStream: { write: (line) => void lines.push(line) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const post = () =>
      fetch(`http://127.0.0.1:${port}/api/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ files: CINC }),
      });
    // Started once, before the clock: the worker thread's start-up is not what this test measures.
    assert.equal((await post()).status, 200);
    const sockets: Socket[] = [];
    const answers: string[] = [];
    const trickle = () =>
      new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /api/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
          );
          resolve();
        });
        socket.on('error', () => {});
        socket.once('data', (chunk: Buffer) => void answers.push(chunk.toString().split('\r\n')[0]!));
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(' ')), 200);
        socket.on('close', () => clearInterval(timer));
        sockets.push(socket);
      });
    const started = Date.now();
    await Promise.all(Array.from({ length: 100 }, trickle));
    let served = 0;
    let busy = 0;
    while (Date.now() - started < 10_000) {
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(health.status, 200);
      const res = await post();
      if (res.status === 200) {
        served = Date.now() - started;
        break;
      }
      assert.equal(res.status, 503);
      busy++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const socket of sockets) socket.destroy();
    assert.ok(busy > 0, 'the trickling clients did fill the queue');
    // The deadline, plus one progress check, plus the time to open 100 connections and answer (shared machine).
    assert.ok(
      served > 0 && served <= limits.uploadDeadlineMs + 2500,
      `normal client served after ${served} ms`,
    );
    assert.ok(sockets.every((s) => s.destroyed));
    // Every queue place (2 + 64) went to a trickling client, the rest were refused at once (503). Each one cut was
    // told why (408), and the operator sees the cuts at the default log level (error).
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    const cuts = logged.filter((l) => l.msg === 'upload cut');
    assert.equal(answers.length, 100);
    assert.deepEqual(
      [answers.filter((a) => a === 'HTTP/1.1 408 Request Timeout').length, cuts.length],
      [66, 66],
    );
    assert.ok(answers.every((a) => /^HTTP\/1.1 (408|503) /.test(a)));
    assert.ok(cuts.every((l) => l.level >= 50));
  });
});
