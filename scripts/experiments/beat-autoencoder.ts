/**
 * Beat-level embeddings on CinC 2017, LSTM autoencoder vs PCA (issue 6 item 4). Reads the trainer's own data
 * (src/train/data.ts: 100 Hz, 0.5-40 Hz band-pass, z-score, the seeded train/val split, rhythm features), cuts
 * beats around detected R peaks, fits both models on train-split beats only, and writes:
 *   OUT/beat-ae.safetensors   the LSTM autoencoder checkpoint (src/export/checkpoint.ts)
 *   OUT/summary.json          reconstruction MSE on validation beats, parameters, times
 *   OUT/embeddings.csv        per record: split, label, rhythm features, PCA and LSTM-AE record embeddings
 * The probe classifier (beat-autoencoder-probe.py) reads the CSV. Run both with beat-autoencoder.sh.
 *
 *   npx tsx scripts/experiments/beat-autoencoder.ts DATA_DIR OUT_DIR [--epochs 6] [--beats-per-record 8]
 *     [--embedding 16] [--hidden 32] [--seed 0] [--cache-dir DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DATASETS } from '../../src/datasets/index.js';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import { saveCheckpoint } from '../../src/export/checkpoint.js';
import {
  autoencoderEmbed,
  autoencoderReconstruct,
  BEAT_AUTOENCODER_NAME,
  BeatAutoencoder,
  concatBeats,
  DEFAULT_BEAT_WINDOW,
  fitBeatPca,
  meanSquaredError,
  pcaEmbed,
  pcaReconstruct,
  poolRecordEmbedding,
  recordBeats,
  selectBeats,
  trainBeatAutoencoder,
  type BeatMatrix,
} from '../../src/models/beat-autoencoder.js';
import { loadTrainingData, splitIndices, type TrainingData } from '../../src/train/data.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '6' },
    'beats-per-record': { type: 'string', default: '8' },
    embedding: { type: 'string', default: '16' },
    hidden: { type: 'string', default: '32' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '0' },
    'cache-dir': {
      type: 'string',
      default: join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'efficientecg'),
    },
  },
});
const [dataDir, outDir] = positionals;
if (!dataDir || !outDir) throw new Error('usage: beat-autoencoder.ts DATA_DIR OUT_DIR [options]');
const embedding = Number(values.embedding);
const seed = Number(values.seed);
/** The fusion runs' preprocessing (scripts/experiments/cinc2017-rhythm.sh: --fs 100, default band-pass). */
const PREPROCESS = { resampleTo: 100, bandpass: [0.5, 40] as [number, number], standardize: true };

setNumThreads(1);
mkdirSync(outDir, { recursive: true });
const seconds = (from: number) => (performance.now() - from) / 1000;

let started = performance.now();
const dataset = await DATASETS.cinc2017.open(dataDir);
const data = await loadTrainingData(dataset, {
  preprocess: PREPROCESS,
  cacheDir: values['cache-dir'],
  rhythm: true,
});
console.error(
  `loaded ${data.entries.length} records (+ rhythm features) in ${seconds(started).toFixed(1)} s`,
);

started = performance.now();
const beats = data.entries.map((_, i) => recordBeats(leadOf(data, i), data.fs, DEFAULT_BEAT_WINDOW));
const detectSeconds = seconds(started);
const width = beats[0]!.width;
const train = splitIndices(data, 'train');
const validation = splitIndices(data, 'val');
const trainBeats = concatBeats(
  train.map((i) => evenlySpaced(beats[i]!, Number(values['beats-per-record']))),
  width,
);
const validationBeats = concatBeats(
  validation.map((i) => beats[i]!),
  width,
);
console.error(
  `beats: ${beats.reduce((n, b) => n + b.count, 0)} in ${detectSeconds.toFixed(1)} s; training on ${trainBeats.count} ` +
    `(<= ${values['beats-per-record']} per train record), validation ${validationBeats.count}`,
);

started = performance.now();
const pca = fitBeatPca(trainBeats, embedding);
const pcaFitSeconds = seconds(started);

// Seeded before the weights are drawn, so that the whole run (not only the batch order) is reproducible.
manualSeed(seed);
const model = new BeatAutoencoder({ width, hidden: Number(values.hidden), embedding });
started = performance.now();
const losses = trainEpochs(model, trainBeats);
const aeTrainSeconds = seconds(started);
const checkpointPath = join(outDir, 'beat-ae.safetensors');
saveCheckpoint(checkpointPath, model, {
  model: { name: BEAT_AUTOENCODER_NAME, config: model.config },
  labels: [],
  preprocessing: { fs: data.fs, ...PREPROCESS, window: DEFAULT_BEAT_WINDOW, leads: data.leadNames },
  extra: { dataset: 'cinc2017', split: data.split, seed, losses, trainBeats: trainBeats.count },
});

const rebuilt = {
  meanBeat: pcaReconstruct(pca, new Float32Array(validationBeats.count * embedding)),
  pca: pcaReconstruct(pca, pcaEmbed(pca, validationBeats)),
  lstmAe: autoencoderReconstruct(model, validationBeats),
};
/** Mean over all values, and the median beat's MSE (a few noise bursts dominate the mean: z-scores of 20+). */
const reconstruction = {
  meanBeat: meanSquaredError(validationBeats, rebuilt.meanBeat),
  pca: meanSquaredError(validationBeats, rebuilt.pca),
  lstmAe: meanSquaredError(validationBeats, rebuilt.lstmAe),
  medianBeat: {
    meanBeat: medianBeatMse(validationBeats, rebuilt.meanBeat),
    pca: medianBeatMse(validationBeats, rebuilt.pca),
    lstmAe: medianBeatMse(validationBeats, rebuilt.lstmAe),
  },
};
console.error(`validation beat MSE: ${JSON.stringify(reconstruction)}`);

const embeddedRecords = data.entries.map((_, i) => i).filter((i) => beats[i]!.count > 0);
started = performance.now();
const pcaRecords = embeddedRecords.map((i) => poolRecordEmbedding(pcaEmbed(pca, beats[i]!), embedding));
const pcaEmbedSeconds = seconds(started);
started = performance.now();
const aeRecords = embeddedRecords.map((i) =>
  poolRecordEmbedding(autoencoderEmbed(model, beats[i]!), embedding),
);
const aeEmbedSeconds = seconds(started);

writeCsv(
  join(outDir, 'embeddings.csv'),
  new Map(embeddedRecords.map((record, j) => [record, { pca: pcaRecords[j]!, ae: aeRecords[j]! }])),
);
const summary = {
  records: data.entries.length,
  recordsWithBeats: embeddedRecords.length,
  beatWidth: width,
  fs: data.fs,
  window: DEFAULT_BEAT_WINDOW,
  embedding,
  trainBeats: trainBeats.count,
  validationBeats: validationBeats.count,
  reconstructionMse: reconstruction,
  /** Share of the validation beats' variance about the mean beat that PCA keeps. */
  pcaExplainedVariance: 1 - reconstruction.pca / reconstruction.meanBeat,
  lstmAeExplainedVariance: 1 - reconstruction.lstmAe / reconstruction.meanBeat,
  parameters: { lstmAe: model.numParameters(), pca: pca.components.length + pca.mean.length },
  seconds: {
    beatDetectionAllRecords: detectSeconds,
    pcaFit: pcaFitSeconds,
    lstmAeTrain: aeTrainSeconds,
    pcaEmbedPerRecordMs: (1000 * pcaEmbedSeconds) / embeddedRecords.length,
    lstmAeEmbedPerRecordMs: (1000 * aeEmbedSeconds) / embeddedRecords.length,
  },
  lstmAeEpochLosses: losses,
  options: values,
};
writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary));
model.dispose();

function leadOf(data: TrainingData, record: number): Float32Array {
  const slot = data.store.slots[record]!;
  return data.store.samples.subarray(slot.offset, slot.offset + slot.length);
}

/** Up to `max` beats spread over the record (no randomness: the subsample is the same in every run). */
function evenlySpaced(beats: BeatMatrix, max: number): BeatMatrix {
  const take = Math.min(max, beats.count);
  return selectBeats(
    beats,
    Array.from({ length: take }, (_, j) => Math.floor((j * beats.count) / take)),
  );
}

function trainEpochs(model: BeatAutoencoder, beats: BeatMatrix): number[] {
  const epochs = Number(values.epochs);
  const batchSize = Number(values['batch-size']);
  const lr = Number(values.lr);
  const begin = performance.now();
  return trainBeatAutoencoder(model, beats, {
    epochs,
    batchSize,
    lr,
    seed,
    onEpoch: (epoch, loss) =>
      console.error(
        `epoch ${epoch + 1}/${epochs}: train MSE ${loss.toFixed(4)} (${seconds(begin).toFixed(0)} s)`,
      ),
  });
}

function medianBeatMse(beats: BeatMatrix, rebuilt: Float32Array): number {
  const perBeat = Array.from({ length: beats.count }, (_, i) => {
    const rows = {
      data: beats.data.subarray(i * beats.width, (i + 1) * beats.width),
      count: 1,
      width: beats.width,
    };
    return meanSquaredError(rows, rebuilt.subarray(i * beats.width, (i + 1) * beats.width));
  }).sort((a, b) => a - b);
  return perBeat[Math.floor(perBeat.length / 2)]!;
}

function writeCsv(
  path: string,
  embeddings: Map<number, { pca: Float32Array | null; ae: Float32Array | null }>,
) {
  const rhythmKeys = ['rrMeanMs', 'sdnnMs', 'rmssdMs', 'rrCv', 'rrSampleEntropy', 'pWaveRatio'] as const;
  const dims = (prefix: string) => [
    ...Array.from({ length: embedding }, (_, d) => `${prefix}_mean_${d}`),
    ...Array.from({ length: embedding }, (_, d) => `${prefix}_sd_${d}`),
  ];
  const header = [
    'id',
    'split',
    'label',
    'beats',
    ...rhythmKeys.map((k) => `rhythm_${k}`),
    ...dims('pca'),
    ...dims('ae'),
  ];
  const blank = Array.from({ length: 2 * embedding }, () => '');
  const rows = data.entries.map((entry, i) => {
    const rhythm = data.rhythm?.[i] ?? null;
    const own = embeddings.get(i);
    return [
      entry.id,
      entry.split,
      data.classes[entry.labels[0]!] ?? '',
      String(beats[i]!.count),
      ...rhythmKeys.map((k) => String(rhythm?.[k] ?? '')),
      ...(own?.pca ? Array.from(own.pca, String) : blank),
      ...(own?.ae ? Array.from(own.ae, String) : blank),
    ].join(',');
  });
  writeFileSync(path, [header.join(','), ...rows].join('\n') + '\n');
}
