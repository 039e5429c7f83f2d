/**
 * An exported run is shown by its name, not its file's: the trainer names every checkpoint best/last.safetensors,
 * so `export` stores the run folder's name (else the file's stem) in the ONNX metadata, and `predict` (table, JSON
 * Lines, CSV) and `evaluate` (through resolveModel) show it. Before, every run was "best". Bundled models keep their
 * catalogue names.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportName } from '../../src/cli/export.js';
import { saveCheckpoint } from '../../src/export/checkpoint.js';
import { readOnnxSummary } from '../../src/export/onnx/index.js';
import { resolveModel } from '../../src/models/bundled.js';
import { buildModel } from '../../src/models/registry.js';
import { runCli } from '../infer/cli-harness.js';
import { devCheckpoint } from '../infer/dev-models.js';

const cinc = fileURLToPath(new URL('../fixtures/datasets/cinc2017/', import.meta.url));
const record = join(cinc, 'A05493.hea');
const dir = mkdtempSync(join(tmpdir(), 'ecg-export-name-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny checkpoint saved as `path`, as the trainer writes it. */
function saveDev(path: string): void {
  const checkpoint = devCheckpoint({
    leads: ['ECG'],
    labels: ['N', 'A', 'O', '~'],
    fs: 100,
    windowSamples: 300,
  });
  const model = buildModel(checkpoint.metadata.model.name, checkpoint.metadata.model.config);
  model.loadState(checkpoint.state);
  mkdirSync(join(path, '..'), { recursive: true });
  saveCheckpoint(path, model, checkpoint.metadata);
  model.dispose();
}

async function exported(checkpoint: string, out: string): Promise<string | undefined> {
  const run = await runCli(['export', '--model', checkpoint, '--out', out]);
  assert.equal(run.error, null, run.error?.message);
  return (readOnnxSummary(new Uint8Array(readFileSync(out))).metadata.model as { name?: string }).name;
}

test('export names a run after its folder (best/last.safetensors) or its file; predict and evaluate show that name', async () => {
  const best = join(dir, 'runs', 'af-ft', 'best.safetensors');
  saveDev(best);
  const onnx = join(dir, 'runs', 'af-ft', 'best.onnx');
  assert.equal(await exported(best, onnx), 'af-ft');
  const own = join(dir, 'mine', 'rhythm-v2.safetensors');
  saveDev(own);
  assert.equal(await exported(own, join(dir, 'mine', 'best.onnx')), 'rhythm-v2');

  assert.equal(resolveModel(onnx).name, 'af-ft', 'evaluate and predict take the name from resolveModel');
  const json = await runCli(['predict', record, '--model', onnx, '--format', 'json', '--jobs', '0']);
  assert.equal(json.error, null, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { model: string }).model, 'af-ft');
  const table = await runCli(['predict', record, '--model', onnx, '--jobs', '0']);
  assert.match(table.stdout, /A05493\.hea {2}\[af-ft, UNTRAINED/);
  const csv = await runCli(['predict', record, '--model', onnx, '--format', 'csv', '--jobs', '0']);
  assert.match(csv.stdout.split('\n')[1]!, /,A05493,af-ft,records,/);
  const saved = join(dir, 'evaluation.json');
  const evaluation = await runCli([
    ...['evaluate', '--model', onnx, '--dataset', 'cinc2017', '--data', cinc, '--split', 'all'],
    ...['--json', saved, '--resamples', '0'],
  ]);
  assert.equal(evaluation.error, null, evaluation.error?.message);
  assert.equal((JSON.parse(readFileSync(saved, 'utf8')) as { model: { name: string } }).model.name, 'af-ft');
});

test('exportName: the run folder for best/last, else the stem; an ensemble by the folder its runs share', () => {
  assert.equal(exportName(['runs/af-ft/last.safetensors']), 'af-ft');
  assert.equal(exportName(['/x/rhythm.safetensors']), 'rhythm');
  const folds = ['runs/cv/ptbxl/fold-1/last.safetensors', 'runs/cv/ptbxl/fold-2/last.safetensors'];
  assert.equal(exportName(folds), 'ptbxl-ens2');
  assert.equal(exportName(['a/best.safetensors', 'elsewhere/b/best.safetensors']), 'a-ens2');
});

test('bundled models keep their catalogue names, by name or by the path of their ONNX file', () => {
  assert.equal(resolveModel('cinc2017-w0.25').name, 'cinc2017-w0.25');
  const path = resolveModel('ptbxl-w0.25').path;
  assert.equal(resolveModel(path).name, 'ptbxl-w0.25');
});
