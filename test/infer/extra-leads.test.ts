/**
 * A record with more leads than the model reads (a 15-lead PTB record, a 12-lead file with a RESP channel): when
 * every model lead has its own record lead by name or alias, those are read and the others ignored with a notice
 * naming them; a partial or absent name match stays a ConfigError.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { selectLeads } from '../../src/infer/prepare.js';
import { readRecord } from '../../src/io/read.js';
import { runCli } from './cli-harness.js';

const TWELVE = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
const dir = mkdtempSync(join(tmpdir(), 'ecg-extra-leads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('more record leads than model leads, all found by name: those leads, the rest ignored with a notice', () => {
  const three = selectLeads(['I', 'II', 'III'], ['I', 'II']);
  assert.deepEqual(three.indices, [0, 1]);
  assert.deepEqual(three.notices.length, 1);
  assert.match(three.notices[0]!, /^record lead\(s\) III ignored/);

  const ptb15 = [...TWELVE.map((l) => l.toLowerCase()), 'vx', 'vy', 'vz'];
  const fifteen = selectLeads(ptb15, TWELVE);
  assert.deepEqual(
    fifteen.indices,
    TWELVE.map((_, i) => i),
  );
  assert.match(fifteen.notices[0]!, /record lead\(s\) vx, vy, vz ignored/);

  const withResp = selectLeads(['RESP', 'MLII', 'D1'], ['I', 'II']);
  assert.deepEqual(withResp.indices, [2, 1], 'by name or alias, in the model order');
  assert.match(withResp.notices[0]!, /record lead\(s\) RESP ignored/);
});

test('more record leads but a model lead missing or no names matching: still a ConfigError', () => {
  assert.throws(
    () => selectLeads(['I', 'V1', 'III'], ['I', 'II']),
    (e: unknown) =>
      e instanceof ConfigError &&
      /record has 3 lead\(s\) but the model expects 2/.test(e.message) &&
      /no lead named II or an alias of it/.test(e.message),
  );
  assert.throws(
    () => selectLeads(['ECG1', 'ECG2', 'ECG3'], ['I', 'II']),
    /record has 3 lead\(s\) but the model expects 2.*no lead named I, II/,
  );
  assert.throws(() => selectLeads(['I'], ['I', 'II']), /record has 1 lead\(s\) but the model expects 2/);
});

test('predict: a 12-lead CSV with an extra RESP column is diagnosed by the 12-lead model, RESP named as ignored', async () => {
  const record = await readRecord(
    fileURLToPath(new URL('../fixtures/datasets/ptbxl/records100/00000/00001_lr.hea', import.meta.url)),
  );
  const csv = join(dir, 'thirteen.csv');
  const rows = Array.from(record.signals[0]!, (_, k) => [...record.signals.map((s) => s[k]!), 0].join(','));
  writeFileSync(csv, `${[...record.leads, 'RESP'].join(',')}\n${rows.join('\n')}\n`);
  const run = await runCli([
    'predict',
    csv,
    '--fs',
    '100',
    '--model',
    'ptbxl-w0.25',
    '--format',
    'json',
    '--jobs',
    '0',
  ]);
  assert.equal(run.error, null, run.stderr);
  const line = JSON.parse(run.stdout) as { ok: boolean; error?: string; notices?: string[] };
  assert.equal(line.ok, true, line.error);
  assert.ok(
    line.notices!.some((n) => /record lead\(s\) RESP ignored/.test(n)),
    JSON.stringify(line.notices),
  );
});
