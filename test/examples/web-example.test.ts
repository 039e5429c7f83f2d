/**
 * The web example (examples/library/web) built by its esbuild script from the package's public entry points, run
 * in Debian's headless chromium (playwright-core, never a downloaded browser): cross-origin isolated (COOP/COEP,
 * several wasm threads) and not (the one-thread fallback), both giving the probabilities onnxruntime-node gives.
 * Needs dist/ (npm run build; scripts/setup.sh builds it), since the page imports the package as users do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Route } from 'playwright-core';
import { loadModel } from '../../src/infer/index.js';
import { readRecord } from '../../src/io/read.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ORIGIN = 'http://localhost:9'; // a secure context; page.route answers, nothing listens there
const skip = !existsSync(CHROMIUM)
  ? `no ${CHROMIUM}`
  : !existsSync(join(ROOT, 'dist/infer/browser.js'))
    ? 'no dist/ (npm run build)'
    : false;

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

let out: string;
let browser: Browser;

before(async () => {
  if (skip) return;
  out = mkdtempSync(join(tmpdir(), 'efficientecg-web-example-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'examples/library/web/build.mjs'), out], {
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Serves the built folder; every other request fails (and is recorded). */
function serve(isolated: boolean, foreign: string[]) {
  return (route: Route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) {
      foreign.push(url.href);
      return route.abort();
    }
    const path = normalize(join(out, url.pathname === '/' ? 'index.html' : url.pathname));
    if (!path.startsWith(out) || !existsSync(path)) return route.fulfill({ status: 404 });
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    return route.fulfill({
      body: readFileSync(path),
      contentType: TYPES[extname(path)] ?? 'application/octet-stream',
      headers,
    });
  };
}

async function diagnoseInPage(isolated: boolean) {
  const context = await browser.newContext();
  const foreign: string[] = [];
  await context.route('**/*', serve(isolated, foreign));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.includes('ready'), null, {
      timeout: 120_000,
    });
    const status = await page.textContent('#status');
    await page.click('#example');
    await page.waitForFunction(() => (window as unknown as { lastResult?: unknown }).lastResult !== undefined, null, {
      timeout: 120_000,
    });
    const result = await page.evaluate(
      () => (window as unknown as { lastResult: { classes: Array<{ label: string; probability: number }> } }).lastResult,
    );
    const rows = await page.locator('#classes tr').count();
    return { status, result, rows, foreign, errors };
  } finally {
    await context.close();
  }
}

test('web example, cross-origin isolated and not: the probabilities onnxruntime-node gives', { skip }, async () => {
  const model = await loadModel('ptbxl-w0.25');
  const expected = await model.predict(await readRecord(join(ROOT, 'examples/ptbxl/00008_lr.hea')));
  await model.dispose();
  for (const isolated of [true, false]) {
    const run = await diagnoseInPage(isolated);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.foreign, [], 'the page only talks to its own origin');
    assert.match(run.status!, isolated ? /several wasm threads/ : /one wasm thread/);
    assert.equal(run.rows, 5);
    assert.deepEqual(
      run.result.classes.map((c) => c.label),
      expected.classes.map((c) => c.label),
    );
    run.result.classes.forEach((c, i) =>
      assert.ok(Math.abs(c.probability - expected.classes[i]!.probability) < 1e-3, `${c.label} (isolated ${isolated})`),
    );
  }
});
