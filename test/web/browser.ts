/**
 * The page's test bench: builds web/dist, serves it with the given models and example records (src/server) and
 * opens it in Debian's headless chromium (playwright-core, no downloaded browser).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { buildServer, loadModels, type ExampleRecord } from '../../src/server/index.js';
import { WEB_DIST } from '../../src/server/paths.js';

const CHROMIUM = '/usr/bin/chromium';
export const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const WFDB = here('../fixtures/wfdb/');
export const DEV_1LEAD = here('../server/fixtures/dev-1lead-untrained.onnx');
export const DEV_FUSION = here('../server/fixtures/dev-12lead-fusion-untrained.onnx');
export const BEAT_MODEL = here('../../models/mitdb-beat-w0.25.onnx');

/** A reason to skip the browser tests, or false. */
export const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install -y chromium)`;

export interface Bench {
  origin: string;
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/** Example records of test/fixtures/wfdb by name -> file names. */
export function fixtureExamples(records: Record<string, string[]>): Map<string, ExampleRecord> {
  return new Map(
    Object.entries(records).map(([name, files]) => [
      name,
      { name, files: new Map(files.map((f) => [f, WFDB + f])) },
    ]),
  );
}

export async function openBench(models: string[], examples: Map<string, ExampleRecord>): Promise<Bench> {
  const built = spawnSync(process.execPath, [here('../../web/build.mjs')], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const server: FastifyInstance = await buildServer({
    models: loadModels(models),
    examples,
    webRoot: WEB_DIST,
  });
  const origin = await server.listen({ port: 0, host: '127.0.0.1' });
  const profile = mkdtempSync(join(tmpdir(), 'efficientecg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { origin, context, page, close };
}

/** Files as the file input or a drop gives them; `text` replaces a file's bytes. */
export function fileParts(dir: string, names: string[], text: Record<string, string> = {}) {
  return names.map((name) => ({
    name,
    mimeType: 'application/octet-stream',
    buffer: name in text ? Buffer.from(text[name]!) : readFileSync(dir + name),
  }));
}

/** A route handler that answers `ms` later (a large record on a slow network). */
export const delayed = (ms: number) => async (route: Route) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await route.continue().catch(() => undefined); // the page may be gone by then
};

/** Waits until the text of element `id` matches `pattern`. */
export function textMatches(page: Page, id: string, pattern: RegExp, timeout = 30_000) {
  return page.waitForFunction(
    ([id, source]) => new RegExp(source!).test(document.getElementById(id!)!.textContent ?? ''),
    [id, pattern.source],
    { timeout },
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
