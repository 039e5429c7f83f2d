/**
 * Page-side latency for bench/infer.ts: Debian's /usr/bin/chromium (playwright-core, never a downloaded browser)
 * opens a blank page whose only requests are answered by page.route from this process: onnxruntime-web's
 * wasm-only build and its .wasm from node_modules, and the model bytes. The page creates an InferenceSession
 * (wasm with SIMD) and times the manifest's latency batch (every window of one 10 s record, or a record model's
 * 64 beats), on 1 thread and on N threads: every response carries the COOP / COEP
 * headers that make the page cross-origin isolated (which `efficientecg serve` does not send), which wasm threads need.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { chromium, type Browser, type Route } from 'playwright-core';
import { median, type BenchManifest } from './infer-inputs.js';

export const CHROMIUM = '/usr/bin/chromium';
// localhost is a secure context (cross-origin isolation needs one); page.route answers, nothing listens there.
const ORIGIN = 'http://localhost:9';
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const CONTENT_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.html': 'text/html',
};

/** What makes a page cross-origin isolated (SharedArrayBuffer, so wasm threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface BrowserResult {
  version: string;
  threads: number;
  /** The page's crossOriginIsolated (threads > 1 need it). */
  isolated: boolean;
  runs: number;
  median_ms: number;
  /** Fastest and slowest timed run, ms. */
  min_ms: number;
  max_ms: number;
  /** The session's first run (cold: wasm still in V8's baseline tier), before any warm-up. */
  first_ms: number;
  logits: number[][];
}

interface PageFeed {
  name: string;
  dtype: 'float32' | 'int64';
  dims: number[];
  values: number[];
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench:infer</title>
<script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.numThreads = Number(new URLSearchParams(location.search).get('threads') ?? 1);
ort.env.wasm.wasmPaths = location.origin + '/ort/';
window.ort = ort;
window.ortReady = true;
</script>`;

function contentType(path: string): string {
  return CONTENT_TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
}

/** Serves the page, onnxruntime-web's files and the model; anything else is refused (nothing leaves the machine). */
function serve(manifest: BenchManifest) {
  return async (route: Route): Promise<void> => {
    const path = new URL(route.request().url()).pathname;
    const headers = ISOLATION_HEADERS;
    if (path === '/') return route.fulfill({ body: PAGE, contentType: 'text/html', headers });
    if (path === '/model.onnx') {
      return route.fulfill({ body: readFileSync(manifest.onnx), contentType: contentType(path), headers });
    }
    const file = path.startsWith('/ort/') ? join(ORT_DIST, basename(path)) : null;
    if (file && existsSync(file))
      return route.fulfill({ body: readFileSync(file), contentType: contentType(file), headers });
    return route.fulfill({ status: 404, body: `not served: ${path}` });
  };
}

/** The latency batch of each feed, as plain numbers the page turns back into typed arrays. */
function pageFeeds(manifest: BenchManifest): PageFeed[] {
  const batch = manifest.batches.latency;
  return manifest.feeds.map((feed) => {
    const bytes = readFileSync(feed.file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const all = feed.dtype === 'int64' ? new BigInt64Array(buffer) : new Float32Array(buffer);
    const perRow = feed.dims.slice(1).reduce((a, b) => a * b, 1);
    const values = Array.from(all.subarray(0, batch * perRow), Number);
    return { name: feed.name, dtype: feed.dtype, dims: [batch, ...feed.dims.slice(1)], values };
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
}

/**
 * Median latency of one latency batch in a fresh page on `threads` wasm threads (after `warmup` runs), with the
 * last run's logits. Routes are set on the context so that the wasm threads' workers are answered too.
 */
export async function browserLatency(
  browser: Browser,
  manifest: BenchManifest,
  runs: number,
  warmup: number,
  budgetSeconds: number,
  threads = 1,
  warmupSeconds = 2,
): Promise<BrowserResult> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await context.route(`${ORIGIN}/**`, serve(manifest));
    await page.goto(`${ORIGIN}/?threads=${threads}`);
    await page.waitForFunction(() => (window as unknown as { ortReady?: boolean }).ortReady === true);
    const result = await page.evaluate(runInPage, {
      feeds: pageFeeds(manifest),
      runs,
      warmup,
      warmupMs: warmupSeconds * 1000,
      budgetMs: budgetSeconds * 1000,
    });
    return {
      version: `onnxruntime-web ${result.version} (wasm SIMD, ${threads} thread${threads > 1 ? 's' : ''})`,
      threads,
      isolated: result.isolated,
      runs: result.times.length,
      median_ms: median(result.times),
      min_ms: Math.min(...result.times),
      max_ms: Math.max(...result.times),
      first_ms: result.first,
      logits: result.logits,
    };
  } finally {
    await context.close();
  }
}

/** Runs inside the page (serialised by Playwright: no closures over this module). */
async function runInPage(input: {
  feeds: PageFeed[];
  runs: number;
  warmup: number;
  warmupMs: number;
  budgetMs: number;
}): Promise<{ version: string; isolated: boolean; first: number; times: number[]; logits: number[][] }> {
  interface PageTensor {
    data: Float32Array;
    dims: readonly number[];
  }
  interface PageOrt {
    env: { versions?: { web?: string } };
    Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => unknown;
    InferenceSession: {
      create(
        bytes: Uint8Array,
        options: object,
      ): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, PageTensor>> }>;
    };
  }
  const ort = (window as unknown as { ort: PageOrt }).ort;
  const bytes = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, unknown> = {};
  for (const feed of input.feeds) {
    const data =
      feed.dtype === 'int64'
        ? BigInt64Array.from(feed.values, (v) => BigInt(v))
        : Float32Array.from(feed.values);
    feeds[feed.name] = new ort.Tensor(feed.dtype, data, feed.dims);
  }
  // V8 runs wasm in its baseline tier first and optimises hot functions in the background: warm up for a time,
  // not only a count, so the timed runs measure the steady state a page diagnosing records reaches.
  const warmupStart = performance.now();
  await session.run(feeds);
  const first = performance.now() - warmupStart;
  for (let i = 1; i < input.warmup || performance.now() - warmupStart < input.warmupMs; i++)
    await session.run(feeds);
  const times: number[] = [];
  let spent = 0;
  let last: Record<string, PageTensor> = {};
  while (times.length < input.runs && (times.length < 3 || spent < input.budgetMs)) {
    const start = performance.now();
    last = await session.run(feeds);
    times.push(performance.now() - start);
    spent += times[times.length - 1]!;
  }
  const logits = last.logits!;
  const rows = Number(logits.dims[0]);
  const width = logits.data.length / rows;
  return {
    version: ort.env.versions?.web ?? 'unknown',
    isolated: crossOriginIsolated,
    first,
    times,
    logits: Array.from({ length: rows }, (_, r) =>
      Array.from(logits.data.subarray(r * width, (r + 1) * width)),
    ),
  };
}
