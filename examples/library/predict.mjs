// Diagnose a record with a bundled model, through the package's public entry points only.
//   node examples/library/predict.mjs [record.hea] [model]
// (from a project that installed efficientecg; inside this repository after `npm run build`)
import { loadModel } from 'efficientecg/infer';
import { readRecord } from 'efficientecg/io';

const here = new URL('.', import.meta.url).pathname;
const path = process.argv[2] ?? `${here}../ptbxl/00008_lr.hea`;
const model = await loadModel(process.argv[3] ?? 'ptbxl-w0.25');
console.log(`${model.name}: ${model.task}, ${model.leads.length} leads at ${model.fs} Hz, ${model.windowSeconds} s windows`);

const record = await readRecord(path);
const result = await model.predict(record);
console.log(`${result.record.name}: quality ${result.quality.summary}`);
for (const c of result.classes) {
  const threshold = c.threshold === null ? '' : ` (threshold ${c.threshold.toFixed(2)})`;
  console.log(`  ${c.label.padEnd(5)} ${c.probability.toFixed(3)}${threshold}${c.passed ? '  <-' : ''}  ${c.name}`);
}
console.log(`labels: ${result.labels === null ? 'none (not diagnosable)' : result.labels.join(' ') || '(no class above its threshold)'}`);
for (const notice of result.notices) console.log(`notice: ${notice}`);
console.log(JSON.stringify({ record: result.record.name, probabilities: Object.fromEntries(result.classes.map((c) => [c.label, c.probability])) }));
await model.dispose();
