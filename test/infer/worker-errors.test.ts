/**
 * A class label named like an Object.prototype member (`constructor`) is a plain label, also on worker threads;
 * a result a worker cannot post fails that file with the error's name; the pool names an error event that is not
 * an Error, and a crashed worker's late message does not make it idle again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { onnx } from '../../src/export/onnx/graph.js';
import { WorkerPool, workerErrorText } from '../../src/infer/batch.js';
import { classLegend } from '../../src/infer/legend.js';
import type { FileResult, ModelTarget } from '../../src/infer/predict-file.js';
import { postResult } from '../../src/infer/predict-worker.js';
import { runCli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ecg-worker-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The bundled CinC 2017 model with its labels renamed N, A, O, constructor. */
function constructorModel(): string {
  const bytes = readFileSync(new URL('../../models/cinc2017-w0.25.onnx', import.meta.url));
  const model = onnx.ModelProto.decode(new Uint8Array(bytes));
  model.metadataProps.find((p) => p.key === 'labels')!.value = JSON.stringify(['N', 'A', 'O', 'constructor']);
  const path = join(dir, 'ctor.onnx');
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

test('legend: labels named like Object.prototype members keep their own text', () => {
  assert.deepEqual(classLegend(['N', 'A', 'O', 'constructor']), {
    N: 'N',
    A: 'A',
    O: 'O',
    constructor: 'constructor',
  });
  assert.deepEqual(classLegend(['toString']), { toString: 'toString' });
  assert.equal(classLegend(['N', 'A', 'O', '~']).A, 'atrial fibrillation (AF)');
});

test('predict --jobs 1 with a class named constructor: answered on the worker thread, the label as its name', async () => {
  const record = fileURLToPath(new URL('../fixtures/datasets/cinc2017/A05493.hea', import.meta.url));
  const run = await runCli([
    'predict',
    record,
    '--model',
    constructorModel(),
    '--format',
    'json',
    '--jobs',
    '1',
  ]);
  assert.equal(run.error, null, run.stderr);
  const line = JSON.parse(run.stdout) as FileResult;
  assert.ok(line.ok, JSON.stringify(line));
  assert.deepEqual(
    line.classes.map((c) => [c.label, c.name]),
    [
      ['N', 'N'],
      ['A', 'A'],
      ['O', 'O'],
      ['constructor', 'constructor'],
    ],
  );
});

test('worker: a result that cannot be posted fails that file with the error name and message', async () => {
  const posted: unknown[] = [];
  let tries = 0;
  const post = (message: unknown) => {
    if (tries++ === 0) throw new DOMException('function f() {} could not be cloned.', 'DataCloneError');
    posted.push(message);
  };
  const result = { ok: false, file: 'f.hea', error: 'unused' } as const;
  await postResult(7, Promise.resolve(result), 'f.hea', post);
  assert.deepEqual(posted, [
    {
      id: 7,
      result: { ok: false, file: 'f.hea', error: 'DataCloneError: function f() {} could not be cloned.' },
    },
  ]);
});

test('pool: an error event that is not an Error is named, not "undefined"', () => {
  assert.equal(workerErrorText(new Error('boom')), 'boom');
  assert.equal(workerErrorText('text'), 'text');
  assert.match(workerErrorText({}), /could not pass back/);
});

/** A stand-in worker: records what it is sent, exits when asked to close. */
class FakeWorker extends EventEmitter {
  readonly sent: unknown[] = [];
  postMessage(message: unknown): void {
    this.sent.push(message);
    if ((message as { close?: boolean }).close) setImmediate(() => this.emit('exit', 0));
  }
  terminate(): Promise<number> {
    return Promise.resolve(0);
  }
}

test('pool: a crashed worker fails its file, is replaced, and its late message does not make it idle', async () => {
  const workers: FakeWorker[] = [];
  const start = () => {
    workers.push(new FakeWorker());
    return workers.at(-1)! as unknown as Worker;
  };
  const target = { kind: 'fixed', model: { name: 'm', path: 'm.onnx', leads: ['ECG'] } } as ModelTarget;
  const pool = new WorkerPool(target, 1, start);
  const first = pool.predict('a.hea');
  workers[0]!.emit('error', {});
  const failed = await first;
  assert.ok(!failed.ok);
  assert.match(failed.error, /^WorkerError: .*could not pass back/);
  assert.equal(workers.length, 2, 'replaced');
  workers[0]!.emit('message', { id: 0, result: { ok: false, file: 'a.hea', error: 'late' } });
  const second = pool.predict('b.hea');
  assert.deepEqual(workers[0]!.sent, [{ id: 0, file: 'a.hea' }], 'nothing more sent to the crashed worker');
  assert.deepEqual(workers[1]!.sent, [{ id: 1, file: 'b.hea' }]);
  const answered: FileResult = { ok: false, file: 'b.hea', error: 'E' };
  workers[1]!.emit('message', { id: 1, result: answered });
  assert.deepEqual(await second, answered);
  await pool.close();
});
