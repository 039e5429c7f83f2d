/**
 * `predict --resume --report`: the report covers the records resumed from JSON Lines output too (read back from
 * their lines); CSV lines cannot be read back, so the report and the summary say how many resumed records it lacks.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../infer/cli-harness.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecg-resume-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const names = ['A05493', 'A07615', 'A08050'];
const list = join(dir, 'list.txt');
writeFileSync(list, `${names.map((name) => join(cinc, `${name}.hea`)).join('\n')}\n`);

const predict = (...args: string[]) =>
  runCli(['predict', '--model', 'cinc2017-w0.25', '--from-list', list, '--jobs', '0', ...args]);

/** A run cut after its first `keep` lines (the header counts as one for CSV), then resumed with a report. */
async function resumedWithReport(out: string, keep: number): Promise<{ stderr: string; html: string }> {
  const full = await predict('--out', out);
  assert.equal(full.error, null, full.stderr);
  const lines = readFileSync(out, 'utf8').split('\n');
  writeFileSync(out, `${lines.slice(0, keep).join('\n')}\n`);
  const report = join(dir, `${keep}-${out.endsWith('.csv') ? 'csv' : 'json'}.html`);
  const resumed = await predict('--out', out, '--resume', '--report', report);
  assert.equal(resumed.error, null, resumed.stderr);
  return { stderr: resumed.stderr, html: readFileSync(report, 'utf8') };
}

test('--resume --report with JSON Lines: the resumed records are in the report', async () => {
  const { stderr, html } = await resumedWithReport(join(dir, 'out.jsonl'), 2);
  assert.match(stderr, /1 record\(s\) predicted, 0 failed, 2 already in .*out\.jsonl \(--resume\); report: /);
  assert.doesNotMatch(stderr, /not in the report/);
  assert.match(html, /<h1>EfficientECG predictions: 3 record\(s\)<\/h1>/);
  for (const name of names) assert.ok(html.includes(`${name}.hea`), name);
});

test('--resume --report with CSV: the report and the summary say the resumed records are not in it', async () => {
  const { stderr, html } = await resumedWithReport(join(dir, 'out.csv'), 3);
  const note = /2 record\(s\) resumed from .*out\.csv are not in the report \(CSV lines cannot be read back/;
  assert.match(
    stderr,
    /1 record\(s\) predicted, 0 failed, 2 already in .*; report: .*; 2 record\(s\) resumed/,
  );
  assert.match(stderr, note);
  assert.match(
    html,
    /<h1>EfficientECG predictions: 1 record\(s\)<\/h1>\n<p class="warn">2 record\(s\) resumed/,
  );
  assert.match(html, note);
});
