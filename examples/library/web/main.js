/* global document, window, location, URL, performance, crossOriginIsolated */
// A plain page over the package's public entry points: `efficientecg/infer` and `efficientecg/io` resolve to their
// browser builds (the `browser` export condition), so the bundle holds onnxruntime-web and no Node code.
import { loadModel } from 'efficientecg/infer';
import { readRecord, readRecordFromFiles } from 'efficientecg/io';

const status = document.getElementById('status');
const table = document.getElementById('classes');

// The page's server provides models/<name>.onnx (here: the build copies the bundled model beside the page), and
// onnxruntime-web's .wasm and .mjs files (wasmPaths: its wasm threads start from that .mjs, not from this bundle).
const model = await loadModel('ptbxl-w0.25', {
  modelsUrl: new URL('models/', location.href),
  wasmPaths: new URL('ort/', location.href).href,
});
status.textContent = `${model.name} ready (${model.leads.length} leads, ${model.fs} Hz; ${crossOriginIsolated ? 'several wasm threads' : 'one wasm thread'})`;

async function show(record) {
  const started = performance.now();
  const result = await model.predict(record);
  const ms = performance.now() - started;
  table.replaceChildren(
    ...result.classes.map((c) => {
      const row = document.createElement('tr');
      row.className = c.passed ? 'passed' : '';
      for (const text of [c.label, c.name, c.probability.toFixed(3), c.threshold?.toFixed(2) ?? '']) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
  const labels = result.labels === null ? result.quality.summary : result.labels.join(' ') || 'no class above its threshold';
  status.textContent = `${result.record.name}: ${labels} (${ms.toFixed(0)} ms)`;
  window.lastResult = result; // for tests and the console
}

document.getElementById('example').addEventListener('click', async () => {
  await show(await readRecord(new URL('records/00008_lr.hea', location.href)));
});
document.getElementById('files').addEventListener('change', async (event) => {
  const files = new Map();
  for (const file of event.target.files) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
  try {
    await show(await readRecordFromFiles(files));
  } catch (error) {
    table.replaceChildren(); // not the previous record's classes under this one's error
    status.textContent = `cannot read: ${error.message}`;
  }
});
