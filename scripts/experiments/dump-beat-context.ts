/**
 * Dumps the context features, RR rows, labels and windows (OUT.json.windows.f32) of every DS1 beat (analysis of what the beat model's inputs can
 * separate; not part of training):
 *   npx tsx scripts/experiments/dump-beat-context.ts MITDB_DIR CONFIG_JSON OUT.json
 * CONFIG_JSON: a fold's config.json of a beat CV (its preprocessing and beats settings are used).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnnotations } from '../../src/io/index.js';
import { openMitdb } from '../../src/datasets/mitdb/index.js';
import { mergeConfig, parseTrainConfig, TRAIN_DEFAULTS } from '../../src/train/config.js';
import { beatGeometry, loadBeatSet } from '../../src/train/beats.js';

const [root, configPath, out] = process.argv.slice(2);
const config = parseTrainConfig(mergeConfig(TRAIN_DEFAULTS, JSON.parse(readFileSync(configPath!, 'utf8'))));
const dataset = await openMitdb(root!);
const ids = dataset.entries.filter((e) => e.split !== 'test').map((e) => e.id);
const first = await dataset.load(ids[0]!);
const set = await loadBeatSet(dataset, ids, config, beatGeometry(config, first.record.fs));
const rhythm = await annotatedRhythm(set.records, set.recordOf, set.samples);
writeFileSync(
  out!,
  JSON.stringify({
    features: set.contextFeatures,
    context: Array.from(set.context),
    rr: Array.from(set.rr),
    labels: Array.from(set.labels),
    record: Array.from(set.recordOf, (r) => set.records[r]),
    samples: Array.from(set.samples),
    rhythm,
    windows: { file: `${out}.windows.f32`, shape: [set.count, set.leads, set.width] },
  }),
);
writeFileSync(
  `${out}.windows.f32`,
  Buffer.from(set.windows.buffer, set.windows.byteOffset, set.windows.byteLength),
);
console.log(`${set.count} beats of ${ids.length} records`);

/** The reference rhythm (the last `+` annotation's aux text, e.g. "(AFIB") in force at each beat. */
async function annotatedRhythm(
  records: string[],
  recordOf: Int32Array,
  samples: Int32Array,
): Promise<string[]> {
  const changes = new Map<string, { time: number; rhythm: string }[]>();
  for (const id of records) {
    const annotations = await readAnnotations(join(root!, `${id}.atr`));
    changes.set(
      id,
      annotations
        .filter((a) => a.aux?.startsWith('('))
        .map((a) => ({ time: a.sample, rhythm: a.aux!.trim() })),
    );
  }
  return Array.from(samples, (sample, i) => {
    const list = changes.get(records[recordOf[i]!]!)!;
    let current = '(N';
    for (const change of list) if (change.time <= sample) current = change.rhythm;
    return current;
  });
}
