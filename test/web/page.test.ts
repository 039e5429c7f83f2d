/**
 * The page end to end in Debian's headless chromium (playwright-core, no downloaded browser): pick an example, see
 * the diagnosis, inspect a screenshot (ECG-paper grid and trace pixels), open a bad file and see the error, open a
 * local record, and check that no request ever carries the record (all GETs to our server, no bodies).
 * Record models are the tiny UNTRAINED dev fixtures of test/server (the page must say so); the beat model is the
 * bundled mitdb-beat-w0.25, whose counts on 60 s of MIT-BIH record 208 must be those `efficientecg predict` gives.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request, Route } from 'playwright-core';
import { predictFile, PredictorCache } from '../../src/infer/predict-file.js';
import { ecgResultSchema } from '../../src/infer/result.js';
import {
  BEAT_MODEL,
  DEV_1LEAD,
  DEV_FUSION,
  WFDB,
  fileParts,
  fixtureExamples,
  here,
  openBench,
  skip,
  type Bench,
} from './browser.js';
import { decodePng, type Image } from './png.js';

const MULTISEG = here('../fixtures/wfdb-multiseg/');
const SCREENSHOT = join(tmpdir(), 'efficientecg-page-test.png');

let bench: Bench;
let origin: string;
let page: Page;
const requests: Request[] = [];

before(async () => {
  if (skip) return;
  bench = await openBench(
    [DEV_1LEAD, DEV_FUSION, BEAT_MODEL],
    fixtureExamples({ '00001_lr': ['00001_lr.hea', '00001_lr.dat'], A00001: ['A00001.hea', 'A00001.mat'] }),
  );
  ({ origin, page } = bench);
  bench.context.on('request', (request) => requests.push(request));
});

after(async () => {
  await bench?.close();
});

function count(image: Image, match: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < image.pixels.length; i += 4) {
    if (match(image.pixels[i]!, image.pixels[i + 1]!, image.pixels[i + 2]!)) n++;
  }
  return n;
}

const near = (r: number, g: number, b: number, hex: string, tolerance = 12) =>
  Math.abs(r - parseInt(hex.slice(1, 3), 16)) <= tolerance &&
  Math.abs(g - parseInt(hex.slice(3, 5), 16)) <= tolerance &&
  Math.abs(b - parseInt(hex.slice(5, 7), 16)) <= tolerance;

test('an example is drawn on ECG paper and diagnosed in the page', { skip }, async () => {
  await page.goto(origin);
  await page.waitForFunction(() => document.querySelectorAll('#model-select option').length === 4);
  await page.selectOption('#example-select', '00001_lr');
  await page.waitForSelector('#predicted', { timeout: 20_000 });
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error').then(String));
  assert.match(String(await page.textContent('#predicted')), /^Diagnosis: /);
  const diagnosis = String(await page.textContent('#diagnosis'));
  assert.match(diagnosis, /UNTRAINED development model/);
  assert.match(diagnosis, /NORM/);
  // Fusion model: attention on the patient tokens, and the record's age filled in.
  assert.match(diagnosis, /Attention of the ECG on the patient features[\s\S]*age[\s\S]*sex/);
  assert.equal(await page.inputValue('#age'), '56');
  assert.match(String(await page.textContent('#record-info')), /12 lead\(s\).*100 Hz, 10\.0 s/);
  // One answer everywhere: the page's EcgResult is predict's for the same record and model (saliency aside).
  const shown = ecgResultSchema.parse(
    JSON.parse((await page.getAttribute('#diagnosis', 'data-result')) ?? 'null'),
  );
  const cache = new PredictorCache();
  const model = {
    name: shown.model,
    path: DEV_FUSION,
    leads: [],
  };
  const cli = await predictFile(WFDB + '00001_lr.hea', { kind: 'fixed', model }, cache);
  await cache.close();
  assert.ok(cli.ok);
  assert.deepEqual(
    [
      shown.model,
      shown.labels,
      shown.quality,
      shown.measurements,
      shown.classes.map((c) => [c.label, c.threshold, c.passed]),
    ],
    [
      cli.model,
      cli.labels,
      cli.quality,
      cli.measurements,
      cli.classes.map((c) => [c.label, c.threshold, c.passed]),
    ],
  );
  shown.classes.forEach((c, i) => assert.ok(Math.abs(c.probability - cli.classes[i]!.probability) < 1e-3));
  assert.match(diagnosis, /HR \d+\/min/, 'heart rate and intervals on the page');
  assert.match(diagnosis, /Legend: NORM normal ECG/);

  const png = await page.locator('#ecg').screenshot();
  writeFileSync(SCREENSHOT, png);
  const image = decodePng(png);
  const total = image.width * image.height;
  const majorGrid = count(image, (r, g, b) => near(r, g, b, '#e48f8f', 16));
  const minorGrid = count(image, (r, g, b) => near(r, g, b, '#f6c9c9', 10));
  const trace = count(image, (r, g, b) => r < 80 && g < 80 && b < 80);
  const peaks = count(image, (r, g, b) => near(r, g, b, '#1f5fbf', 30));
  assert.ok(majorGrid > total * 0.01, `major grid pixels ${majorGrid} of ${total}`);
  assert.ok(minorGrid > total * 0.02, `minor grid pixels ${minorGrid} of ${total}`);
  assert.ok(trace > total * 0.005, `trace pixels ${trace} of ${total}`);
  assert.ok(peaks > 20, `R-peak marker pixels ${peaks}`);
});

test('zoom shows fewer seconds and pan moves through the record', { skip }, async () => {
  await page.click('#zoom-in');
  assert.match(String(await page.textContent('#view-info')), /^0\.0–5\.0 s, zoom 2x/);
  await page.focus('#ecg');
  await page.keyboard.press('ArrowRight');
  assert.match(String(await page.textContent('#view-info')), /^1\.3–6\.3 s/);
  await page.click('#zoom-reset');
  assert.match(String(await page.textContent('#view-info')), /^0\.0–10\.0 s, zoom 1x/);
});

test('a bad file dropped on the page shows an error naming it', { skip }, async () => {
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])], 'broken.mat'));
    const zone = document.getElementById('drop-zone')!;
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('#error:not([hidden])');
  assert.match(String(await page.textContent('#error')), /broken\.mat/);
  await page.setInputFiles('#file-input', [
    { name: 'notes.txt.png', mimeType: 'image/png', buffer: Buffer.from('x') },
  ]);
  await page.waitForFunction(() => /no \.hea/.test(document.getElementById('error')!.textContent ?? ''));
});

test('a local record is diagnosed without any request carrying it', { skip }, async () => {
  const before = requests.length;
  await page.setInputFiles('#file-input', fileParts(WFDB, ['A00001.hea', 'A00001.mat']));
  await page.waitForFunction(
    () => /dev-1lead-untrained/.test(document.getElementById('status')!.textContent ?? ''),
    {
      timeout: 20_000,
    },
  );
  assert.equal(await page.isVisible('#error'), false);
  assert.match(
    String(await page.textContent('#record-info')),
    /A00001: 1 lead\(s\) \(ECG\), 300 Hz, 30\.0 s/,
  );
  const during = requests.slice(before).map((r) => new URL(r.url()).pathname);
  // Only the model is fetched (a download) when the local record is diagnosed.
  assert.deepEqual(during, ['/models/dev-1lead-untrained.onnx']);
  for (const request of requests) {
    assert.equal(request.method(), 'GET', request.url());
    assert.equal(request.postDataBuffer(), null, request.url());
    assert.equal(new URL(request.url()).origin, origin, request.url());
  }
  const paths = new Set(requests.map((r) => new URL(r.url()).pathname));
  assert.ok(paths.has('/ort/ort-wasm-simd-threaded.wasm'), [...paths].join(' '));
  assert.ok(!paths.has('/api/predict'));
});

const dropped = fileParts;

test(
  'a dropped multi-segment record (master, layout and segment headers, data) is read',
  { skip },
  async () => {
    const names = readdirSync(MULTISEG).filter((name) => /\.(hea|dat)$/.test(name));
    await page.setInputFiles('#file-input', dropped(MULTISEG, names));
    await page.waitForFunction(
      () => /^ms: /.test(document.getElementById('record-info')!.textContent ?? ''),
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await page.isVisible('#error'), false, await page.textContent('#error').then(String));
    assert.match(
      String(await page.textContent('#record-info')),
      /^ms: 2 lead\(s\) \(II, V\), 100 Hz, 1\.4 s/,
    );
  },
);

test('a beat model classifies every beat, counts them and writes them on the trace', { skip }, async () => {
  const cache = new PredictorCache();
  const reference = await predictFile(
    WFDB + '208x.hea',
    { kind: 'fixed', model: { name: 'mitdb-beat-w0.25', path: BEAT_MODEL, leads: ['MLII'] } },
    cache,
  );
  await cache.close();
  assert.ok(reference.ok && reference.beats, JSON.stringify(reference));

  await page.setInputFiles('#file-input', dropped(WFDB, ['208x.hea', '208x.dat']));
  await page.waitForFunction(
    () =>
      /^208x: /.test(document.getElementById('record-info')!.textContent ?? '') &&
      /^Diagnosed with/.test(document.getElementById('status')!.textContent ?? ''),
    undefined,
    { timeout: 20_000 },
  );
  const before = requests.length;
  // Every status the page shows from now on (the progress messages are replaced quickly).
  await page.evaluate(() => {
    const seen: string[] = [];
    (globalThis as unknown as { statuses: string[] }).statuses = seen;
    const status = document.getElementById('status')!;
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.selectOption('#model-select', 'mitdb-beat-w0.25');
  await page.waitForFunction(
    () => /^Classified \d+ beats/.test(document.getElementById('status')!.textContent ?? ''),
    undefined,
    {
      timeout: 30_000,
    },
  );
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error').then(String));
  const total = reference.beats.total;
  const statuses = await page.evaluate(() => (globalThis as unknown as { statuses: string[] }).statuses);
  assert.ok(
    statuses.includes(`Classifying beats with mitdb-beat-w0.25 in this page: 0 / ${total}`),
    statuses.join(' | '),
  );
  assert.equal(
    statuses.at(-1),
    `Classified ${total} beats with mitdb-beat-w0.25 (onnxruntime-web, in this page).`,
  );
  assert.equal(await page.isVisible('#progress'), false);
  assert.equal(
    await page.getAttribute('#diagnosis', 'data-result'),
    null,
    'no EcgResult of the earlier model',
  );

  const counts = await page.$$eval('#beat-counts tr', (rows) =>
    rows.map((row) => [(row as HTMLElement).dataset.label, Number(row.querySelector('.count')!.textContent)]),
  );
  assert.deepEqual(counts, Object.entries(reference.beats.counts));
  assert.match(String(await page.textContent('#predicted')), new RegExp(`^Beats: ${total} \\(N \\d+`));
  const diagnosis = String(await page.textContent('#diagnosis'));
  assert.match(diagnosis, new RegExp(`${total} beats found by the QRS detector`));
  assert.doesNotMatch(diagnosis, /UNTRAINED/);

  // Labels on the trace: grey N letters, red V letters (208 has many ventricular beats).
  const png = await page.locator('#ecg').screenshot();
  writeFileSync(join(tmpdir(), 'efficientecg-page-beats.png'), png);
  const image = decodePng(png);
  const normal = count(image, (r, g, b) => near(r, g, b, '#6b7a90', 20));
  const ventricular = count(image, (r, g, b) => near(r, g, b, '#d7191c', 30));
  assert.ok(reference.beats.counts.V! > 0);
  assert.ok(normal > 30, `N label pixels ${normal}`);
  assert.ok(ventricular > 30, `V label pixels ${ventricular}`);

  // A listed non-N beat pans the trace to it.
  const first = page.locator('.beat-list button').first();
  const [label, seconds] = String(await first.textContent()).split(' ');
  assert.match(String(label), /^[SVFQ]$/);
  await page.click('#zoom-in');
  await first.click();
  const [from, to] = String(await page.textContent('#view-info'))
    .match(/[\d.]+/g)!
    .map(Number);
  assert.ok(from! <= Number(seconds) && Number(seconds) <= to!, `${seconds} s in ${from}-${to}`);

  // Privacy: the dropped record went nowhere; only the beat model was downloaded.
  assert.deepEqual(
    requests.slice(before).map((r) => new URL(r.url()).pathname),
    ['/models/mitdb-beat-w0.25.onnx'],
  );
  for (const request of requests) {
    assert.equal(request.method(), 'GET', request.url());
    assert.equal(request.postDataBuffer(), null, request.url());
    assert.equal(new URL(request.url()).origin, origin, request.url());
  }
});

const statusIs = (pattern: RegExp) =>
  page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('status')!.textContent ?? ''),
    pattern.source,
    {
      timeout: 30_000,
    },
  );

test("leaving a beat run hides its progress and shows the new model's result", { skip }, async () => {
  // Switch to the routed record model as soon as the beat model starts classifying 208x.
  await page.evaluate(() => {
    const select = document.getElementById('model-select') as HTMLSelectElement;
    const status = document.getElementById('status')!;
    const observer = new MutationObserver(() => {
      if (!/^Classifying beats/.test(status.textContent ?? '')) return;
      observer.disconnect();
      select.value = 'auto';
      select.dispatchEvent(new Event('change'));
    });
    observer.observe(status, { childList: true, characterData: true, subtree: true });
    select.value = 'mitdb-beat-w0.25';
    select.dispatchEvent(new Event('change'));
  });
  await statusIs(/^Diagnosed with/);
  assert.equal(await page.isVisible('#progress'), false);
  const result = JSON.parse((await page.getAttribute('#diagnosis', 'data-result')) ?? 'null') as {
    model: string;
  };
  assert.notEqual(result?.model, 'mitdb-beat-w0.25');
});

test(
  'an earlier pick that finishes later neither replaces the later record nor shows its error',
  { skip },
  async () => {
    const slow = (fail: boolean) => async (route: Route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await (fail ? route.fulfill({ status: 404 }) : route.continue());
    };
    await page.route('**/examples/A00001/**', slow(true));
    await page.route('**/examples/00001_lr/**', slow(false));
    try {
      await page.selectOption('#example-select', 'A00001');
      await page.selectOption('#example-select', '00001_lr');
      await page.setInputFiles('#file-input', dropped(WFDB, ['208x.hea', '208x.dat']));
      await statusIs(/^Diagnosed with/);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.match(String(await page.textContent('#record-info')), /^208x: /);
      assert.match(String(await page.textContent('#status')), /^Diagnosed with/);
      assert.equal(await page.isVisible('#error'), false, await page.textContent('#error').then(String));
    } finally {
      await page.unrouteAll();
    }
  },
);

test(
  'a record diagnosis shows its saliency progress and stops when another model is picked',
  { skip },
  async () => {
    // (The page holds 208x from the tests above.) Start the routed record model on it, and switch to the beat model at its first progress line.
    const sawProgress = page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const select = document.getElementById('model-select') as HTMLSelectElement;
          const status = document.getElementById('status')!;
          const observer = new MutationObserver(() => {
            if (!/forward passes$/.test(status.textContent ?? '')) return;
            observer.disconnect();
            resolve(!document.getElementById('progress')!.hidden);
            select.value = 'mitdb-beat-w0.25';
            select.dispatchEvent(new Event('change'));
          });
          observer.observe(status, { childList: true, characterData: true, subtree: true });
          setTimeout(() => resolve(false), 30_000); // no progress line: fail instead of waiting for good
          select.value = 'auto';
          select.dispatchEvent(new Event('change'));
        }),
    );
    assert.equal(await sawProgress, true, 'the progress bar is shown during the record diagnosis');
    await statusIs(/^Classified \d+ beats/);
    assert.equal(await page.isVisible('#error'), false, await page.textContent('#error').then(String));
    assert.equal(await page.isVisible('#progress'), false);
  },
);
