/**
 * Uploads are read and diagnosed on worker threads (src/server/diagnose-pool.ts): the server's thread answers a
 * health probe while a long record is diagnosed, and the answers and the errors are exactly those of the
 * in-process path (the injected loader), for real records with the tiny UNTRAINED dev models.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { readRecordFromFiles } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';
import { encodeWfdbRecord } from '../../src/io/wfdb/write.js';
import { buildServer, loadModels, type ServeOptions } from '../../src/server/index.js';
import { defaultLoader } from '../../src/server/predictors.js';
import { seededRandom } from '../../src/util/random.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WFDB = here('../fixtures/wfdb/');
const MODELS = loadModels([
  here('fixtures/dev-1lead-untrained.onnx'),
  here('fixtures/dev-12lead-fusion-untrained.onnx'),
]);
const file = (name: string) => ({ name, data: readFileSync(WFDB + name).toString('base64') });
const CINC = [file('A00001.hea'), file('A00001.mat')];
const PTBXL = [file('00001_lr.hea'), file('00001_lr.dat')];

const servers: FastifyInstance[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(options: Partial<ServeOptions> = {}): Promise<FastifyInstance> {
  const app = await buildServer({ models: MODELS, webRoot: null, ...options });
  servers.push(app);
  return app;
}

/** `record` as WFDB files of a JSON upload. */
function wfdbFiles(record: EcgRecord) {
  const encoded = encodeWfdbRecord(record);
  return [
    { name: encoded.headerName, data: Buffer.from(encoded.header).toString('base64') },
    { name: encoded.dataName, data: Buffer.from(encoded.data).toString('base64') },
  ];
}

/** A00001 (CinC 2017, 30 s at 300 Hz) repeated to the server's longest record, 600 s. */
async function longRecord() {
  const bytes = new Map(CINC.map((f) => [f.name, new Uint8Array(Buffer.from(f.data, 'base64'))]));
  const record = await readRecordFromFiles(bytes);
  const tiled = record.signals.map((signal) => {
    const out = new Float32Array(signal.length * 20);
    for (let i = 0; i < 20; i++) out.set(signal, i * signal.length);
    return out;
  });
  return wfdbFiles({ ...record, name: 'A00001x20', signals: tiled });
}

/**
 * 600 s of noise at 300 Hz: its quality gate and measurements take seconds, and it has no diagnosis, so no model
 * runs. Diagnosed in the server's thread, nothing else would run from its start to its answer.
 */
function noiseRecord() {
  const random = seededRandom(1);
  const signal = Float32Array.from({ length: 300 * 600 }, () => random() - 0.5);
  return wfdbFiles({
    name: 'noise',
    fs: 300,
    leads: ['ECG'],
    units: ['mV'],
    signals: [signal],
    age: null,
    sex: 'unknown',
    metadata: {},
  });
}

async function predict(app: FastifyInstance, body: object) {
  const res = await app.inject({ method: 'POST', url: '/api/predict', payload: body });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

test('while a long upload is diagnosed, the server answers a health probe; the answer is the in-process one', async () => {
  const long = noiseRecord();
  const app = await server();
  // Warm: the worker started, the model loaded (a load would let the probe through in the server's thread too).
  assert.equal((await predict(app, { files: CINC })).status, 200);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const health = async () =>
    ((await (await fetch(`${address}/api/health`)).json()) as { queue: { active: number } }).queue;
  const events: string[] = [];
  const prediction = fetch(`${address}/api/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ files: long }),
  }).then(async (res) => {
    events.push('predicted');
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  });
  // Once the upload holds its running place, it is being read and diagnosed: a probe sent now is answered first.
  while (!events.includes('predicted') && (await health()).active === 0);
  await health();
  events.push('health answered');
  const answer = await prediction;
  assert.deepEqual(events, ['health answered', 'predicted']);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal((answer.body.record as { seconds: number }).seconds, 600);
  assert.equal((answer.body.quality as { diagnosable: boolean }).diagnosable, false);
  const inProcess = await server({ loadPredictor: defaultLoader });
  assert.deepEqual(answer.body, (await predict(inProcess, { files: long })).body);
});

test('real records: the workers answer exactly as the in-process path', async () => {
  const workers = await server();
  const inProcess = await server({ loadPredictor: defaultLoader });
  for (const body of [
    { files: await longRecord() },
    { files: CINC, saliency: true },
    { files: PTBXL },
    { files: PTBXL, patient: { age: 70, sex: 'male' } },
  ]) {
    const [a, b] = [await predict(workers, body), await predict(inProcess, body)];
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a, b);
  }
});

test('refusals come back from the workers with their status, name and message', async () => {
  const limits = { maxSaliencySeconds: 20 };
  const workers = await server({ limits });
  const inProcess = await server({ limits, loadPredictor: defaultLoader });
  const refusals: Array<[object, number, string]> = [
    [{ files: [file('A00001.hea')] }, 422, 'MissingFileError'],
    [{ files: [{ name: 'a.mat', data: 'aGVsbG8gd29ybGQ=' }] }, 422, 'FormatError'],
    [{ files: CINC, model: 'dev-12lead-fusion-untrained' }, 422, 'ConfigError'],
    [{ files: PTBXL, model: 'dev-1lead-untrained', lead: 'V9' }, 422, 'ConfigError'],
    [{ files: CINC, saliency: true }, 413, 'RequestError'],
  ];
  for (const [body, status, name] of refusals) {
    const [a, b] = [await predict(workers, body), await predict(inProcess, body)];
    assert.deepEqual([a.status, a.body.error], [status, name], JSON.stringify(a.body));
    assert.deepEqual(a, b);
  }
});

test('closing the server stops its worker threads, one per running place at most', async () => {
  const started: Worker[] = [];
  const exited = new Set<Worker>();
  const onWorker = (worker: Worker) => {
    started.push(worker);
    worker.once('exit', () => exited.add(worker));
  };
  process.on('worker', onWorker);
  try {
    const app = await buildServer({ models: MODELS, webRoot: null, limits: { maxActive: 2 } });
    const bodies = [{ files: CINC }, { files: PTBXL }, { files: CINC }];
    const answers = await Promise.all(bodies.map((body) => predict(app, body)));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    await app.close();
  } finally {
    process.off('worker', onWorker);
  }
  assert.equal(started.length, 2);
  assert.equal(exited.size, 2);
});
