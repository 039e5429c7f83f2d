/**
 * `efficientecg serve` as a process: listens on 127.0.0.1 and answers health (one spawn: a CLI start costs seconds;
 * --models refusals are covered in catalog.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const CLI = root('src/cli/index.ts');
const DEV = root('test/server/fixtures/dev-1lead-untrained.onnx');

test('serve starts, warns about untrained models, answers /api/health and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--models', DEV], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let stderr = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /serve: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match && /WARNING: UNTRAINED/.test(stderr)) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    assert.match(stderr, /dev-1lead-untrained/);
    const health = (await (await fetch(`${address}/api/health`)).json()) as {
      status: string;
      models: number;
    };
    assert.deepEqual([health.status, health.models], ['ok', 1]);
  } finally {
    child.kill('SIGTERM');
  }
});
