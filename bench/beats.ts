/**
 * Beat classification speed: `predictBeats` of a beat model on one MIT-BIH record's annotated beats, with several
 * onnxruntime batch sizes side by side in one run (rounds alternate between them; each size keeps its best round).
 *
 *   npx tsx bench/beats.ts <mitdb dir> [--record 208] [--model NAME|file.onnx] [--batches 64,256,16,1024]
 *     [--rounds 3] [--threads 1]
 *
 * Prints beats/s per batch size and its ratio to the first size (the last line, `ratio:`, is the second size's, by
 * default predictBeats' 256 against the 64 of record windows), then the time of the model's inputs alone
 * (preprocessing, windows, templates, rhythm context: `beatModelInputs` on the same beats) against the fastest call.
 */
import { readAnnotations, readRecord } from '../src/io/index.js';
import { loadModel } from '../src/infer/index.js';
import { beatModelInputs } from '../src/infer/beat-inputs.js';
import { prepareRecord } from '../src/infer/prepare.js';
import { beatsFromAnnotations } from '../src/datasets/mitdb/aami.js';
import { benchCommand, positiveInteger } from './options.js';

/** Comma-separated positive integers (the batch sizes). */
const positiveIntegers = (value: string) => value.split(',').map(positiveInteger);

const program = benchCommand()
  .argument('<dir>', 'MIT-BIH folder (a whole record: the repository example is a 20 s excerpt)')
  .option('--record <name>', 'record name', '208')
  .option(
    '--model <name>',
    'beat model: catalogue name or .onnx file',
    'mitdb-beat-2lead-local-gate-vote-ens11',
  )
  .option(
    '--batches <list>',
    'batch sizes to compare (the first is the reference)',
    positiveIntegers,
    [64, 256, 16, 1024],
  )
  .option('--rounds <n>', 'alternating rounds (best kept per size)', positiveInteger, 3)
  .option('--threads <n>', 'onnxruntime threads', positiveInteger, 1)
  .parse();
const options = program.opts<{
  record: string;
  model: string;
  batches: number[];
  rounds: number;
  threads: number;
}>();
const path = `${program.args[0]}/${options.record}`;
const batches = options.batches;
const record = await readRecord(path);
const beats = beatsFromAnnotations(await readAnnotations(`${path}.atr`), record.fs);
const model = await loadModel(options.model, { threads: options.threads });
console.log(`${options.model} on ${path}: ${beats.length} beats, ${options.threads} thread(s)`);

await model.predictBeats(record, beats, { batchSize: batches[0] }); // warm-up
const best = new Map<number, number>();
for (let round = 0; round < options.rounds; round++) {
  for (const size of batches) {
    const start = performance.now();
    await model.predictBeats(record, beats, { batchSize: size });
    const seconds = (performance.now() - start) / 1000;
    best.set(size, Math.min(best.get(size) ?? Infinity, seconds));
  }
}
const reference = best.get(batches[0]!)!;
for (const size of batches) {
  const seconds = best.get(size)!;
  console.log(
    `batch ${String(size).padStart(5)}: ${seconds.toFixed(2)} s, ${(beats.length / seconds).toFixed(0)} beats/s, ` +
      `x${(reference / seconds).toFixed(2)} vs batch ${batches[0]}`,
  );
}

const info = model.info;
const start = performance.now();
const prepared = prepareRecord(record, info);
beatModelInputs(
  prepared.signals,
  info.fs,
  beats.map((b) => b.sample),
  record.fs,
  info.beats!,
);
const inputs = (performance.now() - start) / 1000;
const fastest = Math.min(...best.values());
console.log(
  `inputs (preprocessing, windows, templates, context): ${inputs.toFixed(2)} s, ` +
    `${((100 * inputs) / fastest).toFixed(0)} % of the fastest call`,
);
const second = batches[1] ?? batches[0]!;
console.log(
  `ratio: ${(reference / best.get(second)!).toFixed(3)} (beats/s at batch ${second} over batch ${batches[0]})`,
);
await model.dispose();
