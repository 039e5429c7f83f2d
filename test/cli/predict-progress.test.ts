/**
 * `predict` progress on stderr (docs/batch-inference.md: records done of the total, records/s and the ETA). When
 * stderr is not a terminal cli-progress draws nothing, so a plain line is printed every 10 s and at the end; the
 * rate counts the records this run predicted, from the first one (before: `first ??= done` took the first record
 * as the start, "1/5 records | 0.0 records/s") and not those skipped by --resume; folder inputs (no total counted)
 * say "N records done".
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progressReporter } from '../../src/cli/predict.js';
import { runCli } from '../infer/cli-harness.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-predict-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A progress reporter writing to an array, on a clock the test moves. */
function fakeReporter(total: number | null) {
  let clock = 0;
  const lines: string[] = [];
  const reporter = progressReporter(total, { err: (text) => lines.push(text) }, false, () => clock);
  return { reporter, lines, at: (ms: number) => (clock = ms) };
}

test('not a terminal: a plain line every 10 s and at the end; the first record counts towards the rate', () => {
  const { reporter, lines, at } = fakeReporter(5);
  at(2_000);
  reporter.update({ predicted: 1, resumed: 0 });
  assert.deepEqual(lines, [], 'nothing before 10 s');
  at(10_000);
  reporter.update({ predicted: 1, resumed: 0 });
  assert.deepEqual(lines, ['predict 1/5 records | 0.1 records/s | ETA 40s\n']);
  at(12_000);
  reporter.update({ predicted: 2, resumed: 0 });
  assert.equal(lines.length, 1, 'the next line 10 s after the last one');
  at(20_000);
  reporter.update({ predicted: 5, resumed: 0 });
  reporter.stop();
  assert.deepEqual(
    lines.slice(1),
    ['predict 5/5 records | 0.3 records/s | ETA 0s\n'],
    'at the end, a line already saying the last count is not repeated',
  );
});

test('--resume: the records read back count as done, the rate and ETA count from them on', () => {
  const { reporter, lines, at } = fakeReporter(10);
  at(5_000); // the output read back
  reporter.update({ predicted: 0, resumed: 6 });
  at(15_000);
  reporter.update({ predicted: 2, resumed: 6 });
  assert.deepEqual(lines, ['predict 8/10 records | 0.2 records/s | ETA 10s\n']);
});

test('no total (a folder): "N records done" with the rate; the end prints the last count', () => {
  const { reporter, lines, at } = fakeReporter(null);
  at(4_000);
  reporter.update({ predicted: 2, resumed: 0 });
  reporter.stop();
  assert.deepEqual(lines, ['predict 2 records done | 0.5 records/s\n']);
});

const MODEL = ['--model', 'cinc2017-w0.25', '--format', 'json', '--jobs', '0'];

test('predict with stderr not a terminal: files give "2/2 records", a folder "2 records done", before the summary', async () => {
  const folder = join(dir, 'records');
  mkdirSync(folder);
  for (const name of ['A05493', 'A07615'])
    for (const ext of ['hea', 'mat'])
      copyFileSync(join(cinc, `${name}.${ext}`), join(folder, `${name}.${ext}`));
  const files = await runCli(['predict', join(folder, 'A05493.hea'), join(folder, 'A07615.hea'), ...MODEL]);
  assert.equal(files.error, null, files.stderr);
  assert.match(
    files.stderr,
    /^predict 2\/2 records \| \d+\.\d records\/s \| ETA 0s\n2 record\(s\) predicted/m,
  );
  const walked = await runCli(['predict', folder, ...MODEL]);
  assert.equal(walked.error, null, walked.stderr);
  assert.match(walked.stderr, /^predict 2 records done \| \d+\.\d records\/s\n2 record\(s\) predicted/m);
});
