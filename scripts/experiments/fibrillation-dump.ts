/**
 * Fibrillation features (src/signal/fibrillation.ts) of every beat window, for fitting and checking the rhythm gate:
 *   npx tsx scripts/experiments/fibrillation-dump.ts cinc2017 CINC_DIR OUT.json   (detected R peaks, record labels)
 *   npx tsx scripts/experiments/fibrillation-dump.ts cinc2017 CINC_DIR OUT.json --widths 8,10,...,22
 *     (the same, one row per record and window width: what a record of that many intervals shows, for the
 *     short-record model)
 *   npx tsx scripts/experiments/fibrillation-dump.ts cinc2017 CINC_DIR OUT.json --crops 10
 *     (one row per non-overlapping 10 s piece of each record, read as `predict` reads a 10 s record: R peaks
 *     detected in the piece, every beat's window = all its intervals; with the share of its beats that have a P wave)
 *   npx tsx scripts/experiments/fibrillation-dump.ts mitdb MITDB_DIR OUT.json     (annotated beats of DS1, with the
 *     reference rhythm at each beat: the check, never the fit)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCinc2017 } from '../../src/datasets/cinc2017.js';
import { openMitdb } from '../../src/datasets/mitdb/index.js';
import { readAnnotations } from '../../src/io/index.js';
import { fibrillationWindows } from '../../src/signal/fibrillation.js';
import { delineateBeats } from '../../src/signal/delineate.js';
import { detectQrs } from '../../src/signal/qrs.js';

const [source, root, out, optionFlag, optionValue] = process.argv.slice(2);
const widths = optionFlag === '--widths' ? optionValue!.split(',').map(Number) : [undefined];
const cropSeconds = optionFlag === '--crops' ? Number(optionValue) : undefined;
const rows: {
  record: string;
  label: string | number;
  width?: number;
  crop?: number;
  pWaveShare?: number;
  features: number[][];
}[] = [];

if (source === 'cinc2017') {
  const dataset = await openCinc2017(root!);
  let done = 0;
  for (const entry of dataset.entries) {
    const { record } = await dataset.load(entry.id);
    if (cropSeconds !== undefined) {
      for (let crop = 0; (crop + 1) * cropSeconds * record.fs <= record.signals[0]!.length; crop++) {
        const start = Math.round(crop * cropSeconds * record.fs);
        const piece = record.signals[0]!.subarray(start, start + Math.round(cropSeconds * record.fs));
        const inCrop = detectQrs(piece, record.fs).rPeaks;
        const windows = fibrillationWindows(Array.from(inCrop, (p) => p / record.fs));
        if (windows === null) continue;
        const beats = delineateBeats(piece, record.fs, { rPeaks: inCrop });
        const pWaveShare = beats.filter((b) => b.p !== null).length / beats.length;
        rows.push({ record: entry.id, label: entry.labels[0]!, crop, pWaveShare, features: split(windows) });
      }
      if (++done % 500 === 0) console.error(`${done}/${dataset.entries.length}`);
      continue;
    }
    const peaks = detectQrs(record.signals[0]!, record.fs).rPeaks;
    for (const width of widths) {
      const windows = fibrillationWindows(
        Array.from(peaks, (p) => p / record.fs),
        width,
      );
      if (windows === null) continue;
      rows.push({
        record: entry.id,
        label: entry.labels[0]!,
        ...(width ? { width } : {}),
        features: split(windows),
      });
    }
    if (++done % 500 === 0) console.error(`${done}/${dataset.entries.length}`);
  }
} else if (source === 'mitdb') {
  const dataset = await openMitdb(root!);
  for (const entry of dataset.entries.filter((e) => e.split !== 'test')) {
    const beats = dataset.beats.get(entry.id)!;
    const fs = (await dataset.load(entry.id)).record.fs;
    const windows = fibrillationWindows(beats.map((b) => b.sample / fs))!;
    const annotations = await readAnnotations(join(root!, `${entry.id}.atr`));
    const changes = annotations.filter((a) => a.aux?.startsWith('('));
    const rhythm = beats.map((b) => {
      let current = '(N';
      for (const change of changes) if (change.sample <= b.sample) current = change.aux!.trim();
      return current;
    });
    rows.push({
      record: entry.id,
      label: JSON.stringify({ rhythm, aami: beats.map((b) => b.aami), samples: beats.map((b) => b.sample) }),
      features: split(windows),
    });
  }
} else throw new Error('usage: fibrillation-dump.ts cinc2017|mitdb DIR OUT.json');

function split(windows: Float32Array): number[][] {
  const k = 8;
  return Array.from({ length: windows.length / k }, (_, i) =>
    Array.from(windows.subarray(i * k, (i + 1) * k)),
  );
}

writeFileSync(out!, JSON.stringify(rows));
console.log(`${rows.length} records`);
