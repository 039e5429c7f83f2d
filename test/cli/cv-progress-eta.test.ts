/**
 * `efficientecg cv` progress lines: a fold left to train in under a minute is "<1 min left" (not "~0 min left"), and
 * a fold process of `cv --parallel` whose folds are done says the summary comes when the last fold ends (its
 * launcher writes it), not that the user must run the others. A tiny CV: the custom fixture, 2 folds, 1 epoch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../infer/cli-harness.js';
import { TINY_MODEL } from '../train/helpers.js';

const data = fileURLToPath(new URL('../fixtures/custom/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eecg-cv-eta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cv(out: string, extra: string[], env: Record<string, string> = {}) {
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ modelOverrides: TINY_MODEL, cacheDir: null }));
  const run = await runCli(
    [
      ...['cv', '--folds', '2', '--config', config, '--dataset', 'custom', '--data', data, '--out', out],
      ...['--model', 'efficientecg-w0.25', '--epochs', '1', '--window', '5', '--batch-size', '2'],
      ...['--workers', '0', '--threads', '1', '--no-augment'],
      ...extra,
    ],
    env,
  );
  assert.equal(run.error, null, String(run.error));
  return run.stderr;
}

test('cv of 2 tiny folds: the second fold is "<1 min left", never "~0 min left"', async () => {
  const stderr = await cv(join(dir, 'both'), []);
  // A tiny fold takes seconds; on a very loaded machine it may round to a minute.
  assert.match(stderr, /cv: fold 1\/2 finished, 1 more to train here, (<1|~1) min left\n/);
  assert.match(stderr, /cv: fold 2\/2 started, 1 more to train here, (<1|~1) min left\n/);
  assert.match(stderr, /cv: fold 2\/2 finished, 0 more to train here\n/);
  assert.doesNotMatch(stderr, /~0 min/);
});

test("a fold process of cv --parallel: the summary is written when the last fold ends (the launcher's)", async () => {
  const launched = await cv(join(dir, 'launched'), ['--parallel', '1', '--only', '1'], {
    EFFICIENTECG_CV_FOLD_PROCESS: '1',
  });
  assert.match(launched, /cv: these folds are done; the summary is written when the last fold ends\n/);
  assert.doesNotMatch(launched, /run them, or the same command again/);
  // Run by hand, the other folds are the user's to run.
  const alone = await cv(join(dir, 'alone'), ['--only', '1']);
  assert.match(alone, /the summary waits for the others \(run them, or the same command again\)/);
});

test('Ctrl-C during cv: "run the same command again" (cv has no --resume), and it resumes to the summary', async () => {
  const out = join(dir, 'interrupted');
  assert.equal(process.listenerCount('SIGINT'), 0);
  let finished = false;
  const run = cv(out, []).finally(() => (finished = true));
  // Emitted until cv's handler takes it (no listener: nothing happens): it stops after the step then running.
  while (!finished && process.listenerCount('SIGINT') === 0)
    await new Promise((resolve) => setTimeout(resolve, 10));
  process.emit('SIGINT');
  const stderr = await run;
  assert.match(stderr, /stopping after this step \(resume: run the same command again\)/);
  assert.match(
    stderr,
    /cv: stopped: finished folds are kept, the interrupted one resumes from its last saved epoch/,
  );
  assert.doesNotMatch(stderr, /--resume|these folds are done/);
  // The same command again finishes the CV (a fold stopped before its first epoch ended starts over).
  assert.match(await cv(out, []), /cv: fold 2\/2 finished, 0 more to train here\n/);
});
