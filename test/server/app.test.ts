/**
 * The serve API through fastify's inject: answers on real records with the tiny UNTRAINED dev models (plumbing
 * only: the probabilities mean nothing), every 4xx path, traversal attempts, oversized uploads and the queue limit.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ecgResultSchema } from '../../src/infer/result.js';
import { predictFile, PredictorCache } from '../../src/infer/predict-file.js';
import {
  buildServer,
  loadExamples,
  loadModels,
  type RecordPredictor,
  type ServeOptions,
} from '../../src/server/index.js';
import { readJson } from '../../src/server/upload.js';
import { defaultLoader } from '../../src/server/predictors.js';
import { DEFAULT_LIMITS } from '../../src/server/limits.js';
import { RequestError } from '../../src/errors.js';
import { fakePrediction } from './fake-prediction.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WFDB = here('../fixtures/wfdb/');
const MODELS = loadModels([
  here('fixtures/dev-1lead-untrained.onnx'),
  here('fixtures/dev-12lead-fusion-untrained.onnx'),
]);
const EXAMPLES = loadExamples(WFDB);
const file = (name: string) => ({ name, data: readFileSync(WFDB + name).toString('base64') });
const CINC = [file('A00001.hea'), file('A00001.mat')];
const PTBXL = [file('00001_lr.hea'), file('00001_lr.dat')];
const THREE_LEADS = [
  {
    name: 'three.csv',
    data: Buffer.from(
      ['a,b,c', ...Array.from({ length: 2500 }, (_, i) => `${Math.sin(i / 10)},${Math.cos(i / 10)},0`)].join(
        '\n',
      ),
    ).toString('base64'),
  },
];

const servers: FastifyInstance[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(options: Partial<ServeOptions> = {}): Promise<FastifyInstance> {
  const app = await buildServer({ models: MODELS, examples: EXAMPLES, webRoot: null, ...options });
  servers.push(app);
  return app;
}

function multipart(files: Array<{ name: string; bytes: Uint8Array }>, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('files', new Blob([new Uint8Array(f.bytes)]), f.name);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return request.arrayBuffer().then((body) => ({
    payload: Buffer.from(body),
    headers: { 'content-type': request.headers.get('content-type')! },
  }));
}

async function predictJson(app: FastifyInstance, body: unknown) {
  const res = await app.inject({ method: 'POST', url: '/api/predict', payload: body as object });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
}

test("/api/models lists a model's training records as counts, not the thousands of ids its metadata holds", async () => {
  const [name, entry] = [...MODELS][0]!;
  const ids = Array.from({ length: 5457 }, (_, i) => `A${String(i).padStart(5, '0')}`);
  // The run's own counts (entries) and the ids, which include what it learned through its start (--init).
  const dataset = {
    name: 'cinc2017',
    split: 'seeded',
    entries: { train: 5000, val: 2 },
    records: { train: ids, val: ['B1', 'B2'] },
  };
  const app = await server({ models: new Map([[name, { ...entry, info: { ...entry.info, dataset } }]]) });
  const [listed] = (await app.inject('/api/models')).json() as Array<{ dataset: unknown }>;
  assert.deepEqual(listed!.dataset, { name: 'cinc2017', split: 'seeded', entries: { train: 5457, val: 2 } });
});

test('health, models, OpenAPI and examples describe the server', async () => {
  const app = await server();
  const health = (await app.inject('/api/health')).json();
  assert.equal(health.status, 'ok');
  assert.equal(health.models, 2);
  const models = (await app.inject('/api/models')).json() as Array<Record<string, unknown>>;
  assert.deepEqual(
    models.map((m) => [m.name, m.fs, (m.leads as string[]).length, m.untrained]),
    [
      ['dev-1lead-untrained', 300, 1, true],
      ['dev-12lead-fusion-untrained', 100, 12, true],
    ],
  );
  const openapi = (await app.inject('/api/openapi.json')).json();
  assert.equal(openapi.openapi, '3.1.0');
  assert.ok(openapi.paths['/api/predict'].post.responses['503']);
  // The documented Model schema names exactly the fields /api/models answers with.
  const documented = Object.keys(openapi.components.schemas.Model.properties).sort();
  for (const model of models) assert.deepEqual(Object.keys(model).sort(), documented);
  const examples = (await app.inject('/api/examples')).json() as Array<{
    name: string;
    files: { url: string }[];
  }>;
  const a00001 = examples.find((e) => e.name === 'A00001')!;
  assert.deepEqual(
    a00001.files.map((f) => f.url),
    ['/examples/A00001/A00001.hea', '/examples/A00001/A00001.mat'],
  );
  const hea = await app.inject(a00001.files[0]!.url);
  assert.equal(hea.body, readFileSync(WFDB + 'A00001.hea', 'utf8'));
  const onnx = await app.inject('/models/dev-1lead-untrained.onnx');
  assert.equal(onnx.rawPayload.length, readFileSync(here('fixtures/dev-1lead-untrained.onnx')).length);
  assert.equal(
    (await app.inject('/ort/ort-wasm-simd-threaded.wasm')).headers['content-type'],
    'application/wasm',
  );
});

test('JSON upload of a one-lead WFDB record picks the one-lead model', async () => {
  const app = await server();
  const { status, body } = await predictJson(app, {
    files: CINC,
    saliency: true,
    patient: { age: 60, sex: 'male' },
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.model, 'dev-1lead-untrained');
  assert.equal(body.untrained, true);
  assert.ok(ecgResultSchema.safeParse(body).success, 'the one result schema');
  assert.deepEqual(body.record, { name: 'A00001', fs: 300, leads: ['ECG'], samples: 9000, seconds: 30 });
  const classes = body.classes as Array<{ label: string; probability: number; threshold: number | null }>;
  assert.deepEqual(
    classes.map((c) => c.label),
    ['N', 'A', 'O', '~'],
  );
  assert.ok(Math.abs(classes.reduce((a, c) => a + c.probability, 0) - 1) < 1e-3);
  assert.ok(
    classes.every((c) => c.threshold === null),
    'single-label: argmax, no thresholds',
  );
  assert.equal((body.noise as { label: string }).label, '~');
  assert.deepEqual((body.quality as { diagnosable: boolean }).diagnosable, true);
  const notices = body.notices as string[];
  assert.match(notices[0]!, /lead names differ, leads used in record order/);
  assert.match(notices.at(-1)!, /UNTRAINED development model/);
  const saliency = body.saliency as {
    label: string;
    segmentSeconds: number;
    times: number[];
    importance: number[];
  };
  assert.equal(saliency.label, (body.labels as string[])[0]);
  assert.equal(saliency.times.length, saliency.importance.length);
  assert.ok(saliency.times.length >= 30 / saliency.segmentSeconds);
});

/** PTB-XL record 00001_lr (12 leads) posted as a multipart upload with `fields`. */
async function postPtbxl(app: FastifyInstance, fields: Record<string, string>) {
  const files = ['00001_lr.hea', '00001_lr.dat'].map((name) => ({ name, bytes: readFileSync(WFDB + name) }));
  return app.inject({ method: 'POST', url: '/api/predict', ...(await multipart(files, fields)) });
}

test('multipart saliency other than true/false/1/0 is a 400 naming it (it was read as false)', async () => {
  const app = await server();
  const res = await postPtbxl(app, { saliency: 'maybe' });
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.json().message, /^saliency: must be true or false$/);
  const off = await postPtbxl(app, { saliency: '0' });
  assert.equal(off.statusCode, 200, off.body);
  assert.equal(off.json().saliency, null);
});

test('multipart upload of a 12-lead record picks the 12-lead model', async () => {
  const app = await server();
  const res = await postPtbxl(app, { age: '56' });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.model, 'dev-12lead-fusion-untrained');
  assert.equal(body.record.leads.length, 12);
  assert.equal(body.saliency, null);
  // Fusion model: the ECG's attention shares over the patient tokens (null token, age, sex) sum to 1.
  const attention = body.attention as Record<string, number>;
  assert.deepEqual(Object.keys(attention).slice(1), ['age', 'sex']);
  assert.ok(Math.abs(Object.values(attention).reduce((a, b) => a + b, 0) - 1) < 1e-3);
  // Multi-label: each probability against its own threshold (0.5 for this model), `passed` marks the labels.
  const classes = body.classes as Array<{
    label: string;
    probability: number;
    threshold: number;
    passed: boolean;
  }>;
  assert.ok(classes.every((c) => c.threshold === 0.5 && c.passed === c.probability >= 0.5));
  assert.deepEqual(
    body.labels,
    classes.filter((c) => c.passed).map((c) => c.label),
  );
});

const BAD_JSON: Array<[string, unknown, number, RegExp]> = [
  ['not an object', [1, 2], 400, /body: must be a JSON object/],
  ['no files', { model: 'x' }, 400, /files: must be a non-empty array/],
  ['file without data', { files: [{ name: 'a.csv' }] }, 400, /files\[0\]: needs a string "name"/],
  ['bad base64', { files: [{ name: 'a.mat', data: '@@@' }] }, 400, /files\[0\].data: is not base64/],
  ['traversal in a file name', { files: [{ name: '../../etc/passwd', data: 'AAAA' }] }, 400, /plain names/],
  ['same file twice', { files: [file('A00001.hea'), file('A00001.hea')] }, 400, /given twice/],
  ['empty file', { files: [{ name: 'a.mat', data: '' }] }, 422, /'a.mat': is empty/],
  ['not a MAT-file', { files: [{ name: 'a.mat', data: 'aGVsbG8gd29ybGQ=' }] }, 422, /a\.mat/],
  ['header without its data', { files: [file('A00001.hea')] }, 422, /A00001\.mat/],
  [
    'an image',
    { files: [{ name: 'x.png', data: 'iVBORw0KGgo=' }] },
    422,
    /no \.hea and no single \.edf, \.mat or \.csv/,
  ],
  ['CSV without a sampling rate', { files: [{ name: 'a.csv', data: 'MSwyCjMsNAo=' }] }, 422, /a\.csv/],
  ['unknown model', { model: '../package', files: CINC }, 404, /no model named '..\/package'/],
  ['bad age', { files: CINC, patient: { age: 'old' } }, 400, /age: must be a number/],
  ['bad sex', { files: CINC, patient: { sex: 'x' } }, 400, /sex: must be "male" or "female"/],
  ['bad fs', { files: CINC, fs: -3 }, 400, /fs: must be a sampling rate/],
  // Fuzz upload-age-object: an object whose toString is not a function made Number() throw a TypeError (a 500).
  [
    'age as an object',
    { files: CINC, patient: { age: { toString: 1 } } },
    400,
    /age: must be a number of years between 0 and 130, got an object/,
  ],
  ['age as an array', { files: CINC, patient: { age: [40] } }, 400, /age: must be a number.*got an array/],
  [
    'sex as an object',
    { files: CINC, patient: { sex: { toString: 1 } } },
    400,
    /sex: must be "male".*got an object/,
  ],
  [
    'fs as an object',
    { files: CINC, fs: { valueOf: 1, toString: 1 } },
    400,
    /fs: must be a sampling rate.*got an object/,
  ],
  [
    'model with too many leads',
    { model: 'dev-12lead-fusion-untrained', files: CINC },
    422,
    /record A00001 has 1 lead\(s\) but the model expects 12/,
  ],
  // The API's words, not the CLI's (--lead, pass --model) nor zod's ("Invalid input").
  [
    'lead for a 12-lead model',
    { model: 'dev-12lead-fusion-untrained', files: PTBXL, lead: 'II' },
    422,
    /^lead: the model reads 12 leads \(I, II, .*\), not one$/,
  ],
  [
    'a lead the record lacks',
    { model: 'dev-1lead-untrained', files: PTBXL, lead: 'V9' },
    422,
    /^lead V9: 00001_lr has no such lead \(its leads: I, II, /,
  ],
  [
    'lead neither a name nor an index',
    { files: CINC, lead: {} },
    400,
    /^lead: must be a lead name \(1 to 32 characters\) or a 0-based lead index$/,
  ],
  ['saliency not a boolean', { files: CINC, saliency: 'yes' }, 400, /^saliency: must be true or false$/],
  ['patient not an object', { files: CINC, patient: 5 }, 400, /^patient: must be an object \{ age, sex \}$/],
  [
    'leads no model reads',
    { files: THREE_LEADS, fs: 250 },
    422,
    /^no model of this server reads a record with leads \[a, b, c\] \(models: dev-1lead-untrained \[II\]; .*\); name one in "model"$/,
  ],
];

test('readJson: patient.age, patient.sex and fs that are neither number nor string are a 400 RequestError, not a TypeError', () => {
  const files = [{ name: 'r.csv', data: 'SQoxCjIK' }];
  const hostile = { toString: 1, valueOf: 1 };
  for (const [input, body] of [
    ['age', { files, patient: { age: hostile } }],
    ['sex', { files, patient: { sex: hostile } }],
    ['fs', { files, fs: hostile }],
    ['age', { files, patient: { age: true } }],
  ] as const) {
    assert.throws(
      () => readJson(body, DEFAULT_LIMITS),
      (error: unknown) => error instanceof RequestError && error.status === 400 && error.input === input,
      input,
    );
  }
  // Numbers still read (a numeric string is for multipart fields; JSON's schema wants a number).
  assert.deepEqual(
    readJson({ files, patient: { age: 42, sex: 'female' }, fs: 250 }, DEFAULT_LIMITS).patient,
    {
      age: 42,
      sex: 'female',
    },
  );
});

test('every bad JSON request gets a 4xx naming the input, and the server keeps serving', async () => {
  const app = await server();
  for (const [what, body, status, message] of BAD_JSON) {
    const res = await predictJson(app, body);
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.match(String(res.body.message), message, what);
  }
  const wrongType = await app.inject({
    method: 'POST',
    url: '/api/predict',
    payload: 'hello',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(wrongType.statusCode, 415);
  assert.equal(wrongType.json().message, 'Content-Type: must be multipart/form-data or application/json');
  const brokenJson = await app.inject({
    method: 'POST',
    url: '/api/predict',
    payload: '{"files": [',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(brokenJson.statusCode, 400);
  assert.equal((await predictJson(app, { files: CINC })).status, 200);
  assert.deepEqual((await app.inject('/api/health')).json().queue, {
    active: 0,
    waiting: 0,
    maxActive: 2,
    maxWaiting: 64,
  });
});

test('uploads over the limits are refused with 413', async () => {
  const app = await server({ limits: { maxUploadBytes: 4000, maxFiles: 3, maxRecordSeconds: 20 } });
  const big = { name: 'big.mat', bytes: new Uint8Array(5000) };
  const res = await app.inject({ method: 'POST', url: '/api/predict', ...(await multipart([big])) });
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(res.json().message, "files: a file is larger than this server's limit of 4000 bytes");
  // Multipart file names: busboy keeps the base name only; anything but a plain name is refused.
  const upload = (name: string) =>
    multipart([{ name, bytes: new Uint8Array(4) }]).then((m) =>
      app.inject({ method: 'POST', url: '/api/predict', ...m }),
    );
  const sneaky = await upload('../../etc/passwd');
  assert.equal(sneaky.statusCode, 422);
  assert.match(sneaky.json().message, /no \.hea and no single \.edf, \.mat or \.csv among passwd$/);
  const odd = await upload('a;b$.hea');
  assert.equal(odd.statusCode, 400);
  assert.match(odd.json().message, /plain names/);
  const many = ['a', 'b', 'c', 'd'].map((n) => ({ name: `${n}.dat`, bytes: new Uint8Array(4) }));
  const tooMany = await app.inject({ method: 'POST', url: '/api/predict', ...(await multipart(many)) });
  assert.equal(tooMany.statusCode, 413);
  assert.equal(tooMany.json().message, 'files: more than 3 files');
  // Past the JSON body limit: base64 of 4000 bytes with room for the envelope (ceil(4000 * 1.4) + 64 KiB).
  const huge = await predictJson(app, { files: [{ name: 'a.mat', data: 'A'.repeat(80_000) }] });
  assert.equal(huge.status, 413);
  assert.equal(
    huge.body.message,
    'body: more than 71136 bytes (JSON carries at most 4000 bytes of files, in base64)',
  );
  const json = await predictJson(app, {
    files: [{ name: 'a.mat', data: Buffer.alloc(6000).toString('base64') }],
  });
  assert.equal(json.status, 413);
  assert.match(String(json.body.message), /files: more than 4000 bytes in all/);
  const short = await server({ limits: { maxRecordSeconds: 20 } });
  assert.equal((await predictJson(short, { files: PTBXL })).status, 200);
  const salient = await server({ limits: { maxSaliencySeconds: 20 } });
  const noSaliency = await predictJson(salient, { files: CINC, saliency: true });
  assert.equal(noSaliency.status, 413);
  assert.match(
    String(noSaliency.body.message),
    /saliency: computed for records up to 20 s; record A00001 is 30 s/,
  );
  const tooLong = await predictJson(short, { files: CINC });
  assert.equal(tooLong.status, 413);
  assert.match(String(tooLong.body.message), /record A00001: is 30 s long; this server accepts at most 20 s/);
});

test('model, example and wasm names are looked up, never joined into paths', async () => {
  const app = await server({ webRoot: here('fixtures/') });
  for (const url of [
    '/models/..%2F..%2Fpackage.json',
    '/models/../package.json',
    '/models/dev-1lead-untrained',
    '/examples/A00001/..%2F..%2F..%2Fpackage.json',
    '/examples/..%2Fwfdb/A00001.hea',
    '/ort/..%2Fpackage.json',
    '/ort/ort.min.js',
    '/..%2F..%2Fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
  ]) {
    const res = await app.inject(url);
    assert.ok([403, 404].includes(res.statusCode), `${url} -> ${res.statusCode}`);
    assert.doesNotMatch(res.body, /"name": "efficientecg"/, url);
  }
  // Files of the page root are served with the same-origin-only policy that keeps records on the device.
  const page = await app.inject('/make-dev-models.ts');
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /connect-src 'self'.*form-action 'none'/);
});

test('a full queue answers 503 with Retry-After and recovers', async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slow: RecordPredictor = {
    predict: async () => {
      await gate;
      return fakePrediction('N');
    },
  };
  const app = await server({ limits: { maxActive: 1, maxWaiting: 1 }, loadPredictor: async () => slow });
  const first = predictJson(app, { files: CINC });
  const second = predictJson(app, { files: CINC });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const third = await predictJson(app, { files: CINC });
  assert.equal(third.status, 503);
  assert.equal(third.headers['retry-after'], '2');
  assert.match(String(third.body.message), /busy/);
  open();
  assert.deepEqual([(await first).status, (await second).status], [200, 200]);
  assert.equal((await predictJson(app, { files: CINC })).status, 200);
  const queue = (await app.inject('/api/health')).json().queue;
  assert.deepEqual([queue.active, queue.waiting], [0, 0]);
});

test('a predictor that throws gives 500 without details, and the next request works', async () => {
  let calls = 0;
  const app = await server({
    loadPredictor: async () => {
      if (calls++ === 0) throw new Error('secret internal path /x/y');
      return { predict: async () => fakePrediction('A') };
    },
  });
  const failed = await predictJson(app, { files: CINC });
  assert.equal(failed.status, 500);
  assert.doesNotMatch(String(failed.body.message), /secret/);
  const ok = await predictJson(app, { files: CINC });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.labels, ['A']);
});

test('a beat model by name: every detected beat classified, counts as predict gives them', async () => {
  const beatModel = loadModels([`mitdb-beat-w0.25=${here('../../models/mitdb-beat-w0.25.onnx')}`]);
  const app = await server({ models: new Map([...MODELS, ...beatModel]) });
  const res = await predictJson(app, {
    model: 'mitdb-beat-w0.25',
    files: [file('208x.hea'), file('208x.dat')],
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const body = res.body as {
    task: string;
    beats: { total: number; counts: Record<string, number>; items: Array<{ sample: number; label: string }> };
  };
  assert.equal(body.task, 'beats');
  const cache = new PredictorCache();
  const model = {
    name: 'mitdb-beat-w0.25',
    path: here('../../models/mitdb-beat-w0.25.onnx'),
    leads: ['MLII'],
  };
  const reference = await predictFile(WFDB + '208x.hea', { kind: 'fixed', model }, cache);
  await cache.close();
  assert.ok(reference.ok && reference.beats);
  assert.deepEqual(body.beats, reference.beats, 'the API and predict give the same beats');
  assert.ok(
    body.beats.items.every((b, i) => i === 0 || b.sample > body.beats.items[i - 1]!.sample),
    'beats in time order',
  );
});

test('a header age outside 0-130 is unknown to the model, with a notice; a request age is used as sent', async () => {
  const app = await server();
  const header = readFileSync(WFDB + '00001_lr.hea', 'utf8');
  const aged = (age: string) => [
    {
      name: '00001_lr.hea',
      data: Buffer.from(header.replace('#Age: 56', `#Age: ${age}`)).toString('base64'),
    },
    file('00001_lr.dat'),
  ];
  const old = await predictJson(app, { files: aged('140') });
  assert.equal(old.status, 200, JSON.stringify(old.body));
  const notices = old.body.notices as string[];
  assert.equal(
    notices[0],
    `the header's age 140 is outside 0-130 years: read as unknown (send "age" to give one)`,
  );
  const unknown = await predictJson(app, { files: aged('Unknown') });
  assert.deepEqual({ ...old.body, notices: notices.slice(1) }, unknown.body);
  const given = await predictJson(app, { files: aged('140'), patient: { age: 60 } });
  assert.deepEqual(given.body, (await predictJson(app, { files: aged('60') })).body);
  assert.equal((await predictJson(app, { files: PTBXL, patient: { age: 131 } })).status, 400);
});

test("notices name the API's fields, not the CLI's flags", async () => {
  const app = await server();
  const res = await predictJson(app, { files: PTBXL, model: 'dev-1lead-untrained', lead: 'II' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal((res.body.notices as string[])[0], `lead II read as the model's II lead (the "lead" field)`);
  assert.ok((res.body.notices as string[]).every((notice) => !notice.includes('--')));
});

test("a model file gone after start-up is the server's fault: a logged 500 without its path", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecg-serve-'));
  const path = join(dir, 'gone.onnx');
  copyFileSync(here('fixtures/dev-1lead-untrained.onnx'), path);
  const models = loadModels([path]);
  rmSync(dir, { recursive: true });
  // Worker threads (the default) and the server's own thread alike.
  for (const loader of [{}, { loadPredictor: defaultLoader }]) {
    const lines: string[] = [];
    const app = await server({ models, logStream: { write: (line) => void lines.push(line) }, ...loader });
    const res = await predictJson(app, { files: CINC });
    assert.equal(res.status, 500, JSON.stringify(res.body));
    const requestId = String(res.body.requestId);
    assert.deepEqual(res.body, {
      statusCode: 500,
      error: 'ModelUnavailable',
      message: `model gone: cannot be loaded on this server (logged as request ${requestId})`,
      requestId,
    });
    const logged = lines.map((line) => JSON.parse(line) as { level: number; reqId: string; err?: Error });
    assert.ok(
      logged.some((l) => l.level >= 50 && l.reqId === requestId && l.err?.message.includes(path)),
      'the log names the file',
    );
  }
});
