/**
 * Parameters and MACs of every registered architecture for one 10 s record at 100 Hz (12 leads and 1 lead,
 * 5 classes), from the op trace (src/models/macs.ts: convolutions, linear, matmul; elementwise ops not counted).
 * Usage: npx tsx bench/efficiency.ts [--length 1000] [--classes 5]
 */
import { Command } from 'commander';
import { noGrad, ops as F, scope } from '../src/engine/index.js';
import { countMacsOf } from '../src/models/macs.js';
import { architectureNames, buildModel, defaultConfig, type EcgModel } from '../src/models/registry.js';

const options = new Command()
  .option('--length <n>', 'samples per lead', '1000')
  .option('--classes <n>', 'outputs', '5')
  .parse()
  .opts<{ length: string; classes: string }>();
const length = Number(options.length);
const classes = Number(options.classes);

function measure(model: EcgModel, leads: number): number {
  model.eval();
  const patients =
    'encodePatients' in model
      ? (model as unknown as { encodePatients(rows: object[]): unknown }).encodePatients([
          { age: 60, sex: 'male' },
        ])
      : undefined;
  return noGrad(() => countMacsOf(() => scope(() => model.forward(F.zeros([1, leads, length]), patients))))
    .total;
}

const rows: string[][] = [];
for (const name of architectureNames()) {
  const cells: string[] = [name];
  for (const leads of [12, 1]) {
    const model = buildModel(name, defaultConfig(name, leads, classes));
    cells.push(model.numParameters().toLocaleString('en-US'), (measure(model, leads) / 1e6).toFixed(1));
    model.dispose();
  }
  rows.push(cells);
}
const header = [
  'architecture',
  'params (12 leads)',
  'MMACs (12x' + length + ')',
  'params (1 lead)',
  'MMACs (1x' + length + ')',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const row of rows) console.log(line(row));
