/**
 * `train --resume` of a run whose command differs names each setting with both values (as the CV's recipe check
 * does), the init with the flag that restores it; resuming a finished run prints the run's metric name, not null.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CINC2017_FIXTURE, tempDir, trainCli } from './helpers.js';

const cinc2017 = CINC2017_FIXTURE;
const train = trainCli;

const { dir, dispose } = tempDir();
after(dispose);
const base = [
  ...['--dataset', 'cinc2017', '--data', cinc2017, '--model', 'efficientecg-w0.25'],
  ...['--out', join(dir, 'run'), '--cache-dir', join(dir, 'cache'), '--window', '5', '--batch-size', '2'],
  ...['--workers', '1', '--threads', '1'],
];
// One run of 1 epoch, fine-tuned from a bundled model.
before(() => {
  const first = train([...base, '--init', 'cinc2017-w0.25', '--epochs', '1']);
  assert.equal(first.status, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { metric: string }).metric, 'cinc2017_f1');
});

test("a finished run resumed prints the run's metric name, not null", () => {
  const finished = train([...base, '--init', 'cinc2017-w0.25', '--epochs', '1', '--resume']);
  assert.equal(finished.status, 0, finished.stderr);
  const summary = JSON.parse(finished.stdout) as { epochs: number; metric: string | null };
  assert.deepEqual([summary.epochs, summary.metric], [1, 'cinc2017_f1']);
});

test('train --resume with other settings: each setting with both values, the init with the flag that restores it', () => {
  const epochs = train([...base, '--init', 'cinc2017-w0.25', '--epochs', '2', '--resume']);
  assert.equal(epochs.status, 1);
  assert.match(
    epochs.stderr,
    /--resume: this command differs from the run in .*last\.safetensors: epochs: 1 in the run, 2 in this command \(only threads/,
  );
  const init = train([...base, '--epochs', '1', '--resume']);
  assert.equal(init.status, 1);
  assert.match(
    init.stderr,
    /: init: the run used cinc2017-w0\.25, this command none \(add --init cinc2017-w0\.25\) \(only threads/,
  );
});
