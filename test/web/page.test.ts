/**
 * The page end to end in Debian's headless chromium (playwright-core, no downloaded browser): pick an example, see
 * the diagnosis, inspect a screenshot (ECG-paper grid and trace pixels), open a bad file and see the error, open a
 * local record, and check that no request ever carries the record (all GETs to our server, no bodies).
 * Models are the tiny UNTRAINED dev fixtures of test/server: the page must say so.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { buildServer, loadModels, type ExampleRecord } from '../../src/server/index.js';
import { WEB_DIST } from '../../src/server/paths.js';
import { decodePng, type Image } from './png.js';

const CHROMIUM = '/usr/bin/chromium';
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const WFDB = here('../fixtures/wfdb/');
const SCREENSHOT = join(tmpdir(), 'efficientecg-page-test.png');

const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install -y chromium)`;

let server: FastifyInstance;
let origin: string;
let context: BrowserContext;
let page: Page;
let profile: string;
const requests: Request[] = [];

function examples(): Map<string, ExampleRecord> {
  const record = (name: string, files: string[]) => ({
    name,
    files: new Map(files.map((f) => [f, WFDB + f])),
  });
  return new Map([
    ['00001_lr', record('00001_lr', ['00001_lr.hea', '00001_lr.dat'])],
    ['A00001', record('A00001', ['A00001.hea', 'A00001.mat'])],
  ]);
}

before(async () => {
  if (skip) return;
  const built = spawnSync(process.execPath, [here('../../web/build.mjs')], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  server = await buildServer({
    models: loadModels([
      here('../server/fixtures/dev-1lead-untrained.onnx'),
      here('../server/fixtures/dev-12lead-fusion-untrained.onnx'),
    ]),
    examples: examples(),
    webRoot: WEB_DIST,
  });
  origin = await server.listen({ port: 0, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'efficientecg-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (request) => requests.push(request));
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
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
  await page.waitForFunction(() => document.querySelectorAll('#model-select option').length === 3);
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
  const files = ['A00001.hea', 'A00001.mat'].map((name) => ({
    name,
    mimeType: 'application/octet-stream',
    buffer: readFileSync(WFDB + name),
  }));
  await page.setInputFiles('#file-input', files);
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
