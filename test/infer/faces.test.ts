/**
 * One answer everywhere: the same records through the CLI's predictFile (routing among the bundled defaults), the
 * HTTP API (POST /api/predict, no model named) and the library (diagnose with a Predictor) give the same model,
 * labels, classes, quality and measurements, each valid against the one result schema. Includes a flat, a clipped
 * and a noise-only 12-lead record, which every face refuses to diagnose with the reason; a 1-lead CinC record, a
 * 12-lead PTB-XL record, an 8-lead record (I, II, V1-V6: the limb leads derived, the 12-lead model, not the beat
 * model) and 60 s of MIT-BIH 208 (the beat model). The page is compared with predictFile in test/web/page.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { diagnose } from '../../src/infer/diagnose.js';
import { predictFile, PredictorCache, type ModelTarget } from '../../src/infer/predict-file.js';
import { Predictor } from '../../src/infer/predictor.js';
import { ecgResultSchema, type EcgResult, type FileResult } from '../../src/infer/result.js';
import { routeRecord } from '../../src/infer/route.js';
import { readRecord } from '../../src/io/read.js';
import { defaultModels, readCatalog } from '../../src/models/bundled.js';
import { buildServer } from '../../src/server/app.js';
import { bundledModels } from '../../src/server/catalog.js';

/** The bundled PTB-XL default, where 12-lead records are routed, and the CinC 2017 default (1-lead records). */
const PTBXL_DEFAULT = defaultModels(readCatalog()).find((m) => m.dataset === 'ptbxl')!.name;
const CINC_DEFAULT = defaultModels(readCatalog()).find((m) => m.dataset === 'cinc2017')!.name;

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
const FS = 100;

let dir = '';
let server: FastifyInstance;
let origin = '';
const cache = new PredictorCache();
const defaults = defaultModels(readCatalog()).map((m) => ({
  name: m.name,
  path: m.paths.onnx,
  leads: m.leads,
}));

/** A 12-lead CSV (no time column: fs given to every face) made from the PTB-XL example: signal(lead, t, value). */
async function csvRecord(
  name: string,
  leads: readonly string[],
  value: (lead: number, t: number, mv: number) => number,
) {
  const source = await readRecord(here('../../examples/ptbxl/00008_lr.hea'));
  const rows = [leads.join(',')];
  for (let t = 0; t < source.signals[0]!.length; t++)
    rows.push(
      leads
        .map((lead) => value(LEADS.indexOf(lead), t, source.signals[LEADS.indexOf(lead)]![t]!).toFixed(4))
        .join(','),
    );
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

let seed = 7;
const gaussian = () => {
  const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return 0.3 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
};

const RECORDS: Record<string, () => Promise<string>> = {
  cinc: async () => here('../../examples/cinc2017/A00001.hea'),
  ptbxl: async () => here('../../examples/ptbxl/00008_lr.hea'),
  mitdb: async () => here('../fixtures/wfdb/208x.hea'),
  flat: () => csvRecord('flat', LEADS, () => 0),
  clipped: () => csvRecord('clipped', LEADS, (_l, _t, mv) => Math.max(-1, Math.min(1, 8 * mv))),
  noise: () => csvRecord('noise', LEADS, () => gaussian()),
  eightLeads: () => csvRecord('eight', ['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'], (_l, _t, mv) => mv),
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecg-faces-'));
  server = await buildServer({ models: bundledModels() });
  origin = await server.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await cache.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function viaCli(path: string): Promise<FileResult> {
  const target: ModelTarget = {
    kind: 'route',
    candidates: defaults,
    options: path.endsWith('.csv') ? { fs: FS } : {},
  };
  return predictFile(path, target, cache);
}

async function viaApi(path: string): Promise<Record<string, unknown>> {
  const stem = path.replace(/\.[^.]+$/, '');
  const names = path.endsWith('.csv')
    ? [path]
    : path.includes('208x')
      ? [`${stem}.hea`, `${stem}.dat`]
      : [path, `${stem}.${path.includes('A00001') ? 'mat' : 'dat'}`];
  const files = names.map((name) => ({ name: basename(name), data: readFileSync(name).toString('base64') }));
  const res = await fetch(`${origin}/api/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ files, ...(path.endsWith('.csv') ? { fs: FS } : {}) }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

async function viaLibrary(path: string): Promise<EcgResult> {
  const record = await readRecord(path, path.endsWith('.csv') ? { fs: FS } : {});
  const choice = routeRecord(record.leads, defaults);
  const predictor = await Predictor.load(choice.path, { name: choice.name });
  try {
    return await diagnose({ name: choice.name, info: predictor.info }, predictor, record, { file: path });
  } finally {
    await predictor.release();
  }
}

/** What must agree between faces (the file name and its path are the only differences allowed). */
function comparable(result: EcgResult | Record<string, unknown>) {
  const r = ecgResultSchema.parse(result);
  return {
    model: r.model,
    task: r.task,
    record: { ...r.record, name: r.record.name.replace(/\.csv$/, '') },
    quality: r.quality,
    labels: r.labels,
    classes: r.classes,
    noise: r.noise,
    beats: r.beats,
    measurements: r.measurements,
  };
}

for (const [name, make] of Object.entries(RECORDS)) {
  test(`${name}: CLI, HTTP API and library give the same answer`, async () => {
    const path = await make();
    const cli = await viaCli(path);
    assert.ok(cli.ok, cli.ok ? '' : cli.error);
    const [api, library] = [await viaApi(path), await viaLibrary(path)];
    assert.deepEqual(comparable(api), comparable(cli));
    assert.deepEqual(comparable(library), comparable(cli));
    const expected: Record<string, [string, boolean, RegExp?]> = {
      cinc: [CINC_DEFAULT, true],
      ptbxl: [PTBXL_DEFAULT, true],
      mitdb: ['mitdb-beat-2lead-local-gate-vote-ens11', true],
      flat: [PTBXL_DEFAULT, false, /^not diagnosable: flat leads I, II, III, aVR, aVL, aVF, V1-V6$/],
      clipped: [PTBXL_DEFAULT, false, /^not diagnosable: clipped/],
      noise: [PTBXL_DEFAULT, false, /^not diagnosable: noise only/],
      eightLeads: [PTBXL_DEFAULT, true],
    };
    const [model, diagnosable, reason] = expected[name]!;
    assert.deepEqual([cli.model, cli.quality.diagnosable], [model, diagnosable]);
    if (reason) {
      assert.match(cli.quality.summary, reason);
      assert.deepEqual([cli.labels, cli.classes], [null, []], 'no diagnosis at all');
    }
    if (name === 'eightLeads')
      assert.ok(cli.notices.some((n) => /leads III, aVR, aVL, aVF derived from I and II/i.test(n)));
  });
}
