/**
 * A worker thread running the module `name` beside the caller's: `name.js` once built, `name.ts` from the sources
 * (tests, tsx), where the worker registers tsx itself before importing it: Node 20 does not pass loader hooks given
 * on the command line to worker threads' entry points.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startSiblingWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const url = new URL(`./${name}${extname(fileURLToPath(callerUrl))}`, callerUrl);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = `import(${tsx}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(entry, { eval: true, workerData });
}
