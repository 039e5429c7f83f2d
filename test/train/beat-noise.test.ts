import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  beatContext,
  MORPHOLOGY_CONTEXT,
  morphologyContext,
  qrsAmplitude,
} from '../../src/signal/beat-context.js';
import { corruptLead, LEAD_NOISE, leadArtefact } from '../../src/train/beat-noise.js';
import { seededRandom } from '../../src/train/random.js';

const FS = 180;
const WIDTH = 130;
const PEAK = 49;

/** A narrow QRS (Gaussian, sd 12 ms) of height `height` at the peak, plus a T wave. */
function beatShape(height: number): Float32Array {
  return Float32Array.from({ length: WIDTH }, (_, k) => {
    const t = (k - PEAK) / FS;
    return height * Math.exp(-0.5 * (t / 0.012) ** 2) + 0.3 * Math.exp(-0.5 * ((t - 0.25) / 0.04) ** 2);
  });
}

/** Two raw leads and their residual channels against `templates` ([2, WIDTH]). */
function twoLeadBeat(templates: Float32Array): Float32Array {
  const data = new Float32Array(4 * WIDTH);
  data.set(templates, 0);
  return data; // the beat equals its template: residuals 0
}

test('a lead artefact scales with the QRS amplitude and stays within its stated ranges', () => {
  const small = leadArtefact(WIDTH, FS, 1, seededRandom(7));
  const large = leadArtefact(WIDTH, FS, 3, seededRandom(7));
  small.forEach((v, k) => assert.ok(Math.abs(large[k]! - 3 * v) < 1e-4, `sample ${k}`));
  const maxTransients = LEAD_NOISE.transients[1] * LEAD_NOISE.transientAmplitude;
  for (let seed = 0; seed < 50; seed++) {
    const artefact = leadArtefact(WIDTH, FS, 1, seededRandom(seed));
    const peak = Math.max(...Array.from(artefact, Math.abs));
    assert.ok(peak > 0 && peak < maxTransients + 6 * LEAD_NOISE.muscleRms[1], `seed ${seed}: peak ${peak}`);
  }
  assert.equal(qrsAmplitude(beatShape(2), PEAK, FS).toFixed(3), (2 - beatShape(2)[PEAK - 18]!).toFixed(3));
});

test('corrupting a lead moves its residual channel with it, leaves the other lead, and remeasures its context', () => {
  const templates = new Float32Array(2 * WIDTH);
  templates.set(beatShape(2), 0);
  templates.set(beatShape(-1), WIDTH);
  const beat = twoLeadBeat(templates);
  const rows = { data: beat, leads: 2, residualChannels: true, width: WIDTH, peakAt: PEAK, fs: FS };
  const [features] = corruptLead(rows, 0, [templates.subarray(0, WIDTH)], seededRandom(3));
  const added = beat.subarray(0, WIDTH).map((v, k) => v - templates[k]!);
  assert.ok(
    added.some((v) => Math.abs(v) > 0.01),
    'lead 0 changed',
  );
  // The residual (beat minus template) of lead 0 is exactly the added artefact; lead 1 and its residual are intact.
  beat.subarray(2 * WIDTH, 3 * WIDTH).forEach((v, k) => assert.ok(Math.abs(v - added[k]!) < 1e-6));
  assert.deepEqual(
    Array.from(beat.subarray(WIDTH, 2 * WIDTH)),
    Array.from(templates.subarray(WIDTH, 2 * WIDTH)),
  );
  assert.ok(beat.subarray(3 * WIDTH).every((v) => v === 0));
  // The features are what inference measures on a beat recorded that way, and the beat no longer equals its template.
  const measured = morphologyContext(
    { data: beat.slice(0, WIDTH), count: 1, leads: 1, width: WIDTH, peakAt: PEAK },
    templates.subarray(0, WIDTH),
    FS,
  );
  assert.deepEqual(Array.from(features!), Array.from(measured));
  const correlation = MORPHOLOGY_CONTEXT.indexOf('templateCorrelation');
  const residual = MORPHOLOGY_CONTEXT.indexOf('residualRatio');
  assert.ok(features![correlation]! < 0.999 && features![residual]! > 0.01, `${Array.from(features!)}`);
});

test('lead noise makes normal beats read as less like their template, as in a noisy record', () => {
  // 200 identical beats: clean, every one correlates 1 with the template; corrupted, the correlation spreads.
  const count = 200;
  const data = new Float32Array(count * WIDTH);
  for (let b = 0; b < count; b++) data.set(beatShape(2), b * WIDTH);
  const windows = { data, count, leads: 1, width: WIDTH, peakAt: PEAK };
  const times = Array.from({ length: count }, (_, b) => b * 0.8);
  const template = beatContext(windows, times, FS).templates[0]!.data;
  const random = seededRandom(11);
  const correlations = Array.from({ length: count }, (_, b) => {
    const beat = data.slice(b * WIDTH, (b + 1) * WIDTH);
    const rows = { data: beat, leads: 1, residualChannels: false, width: WIDTH, peakAt: PEAK, fs: FS };
    return corruptLead(rows, 0, [template], random)[0]![0]!;
  }).sort((a, b) => a - b);
  const median = correlations[count >> 1]!;
  assert.ok(median < 0.99 && median > 0.3, `median correlation ${median}`);
  assert.ok(correlations[0]! < median - 0.1, `spread ${correlations[0]} .. ${median}`);
});

test('with two templates (beats.template both) the artefact moves both residual channels and both contexts', () => {
  // One lead; channels: the lead, its residual against a local template, its residual against a record template.
  const local = beatShape(2);
  const record = beatShape(-1.5);
  const beat = new Float32Array(3 * WIDTH);
  beat.set(local, 0);
  record.forEach((v, k) => (beat[2 * WIDTH + k] = local[k]! - v));
  const clean = Float32Array.from(beat);
  const rows = { data: beat, leads: 1, residualChannels: true, width: WIDTH, peakAt: PEAK, fs: FS };
  const features = corruptLead(rows, 0, [local, record], seededRandom(5));
  const added = beat.subarray(0, WIDTH).map((v, k) => v - clean[k]!);
  assert.ok(added.some((v) => Math.abs(v) > 0.01));
  for (const channel of [1, 2])
    for (let k = 0; k < WIDTH; k++)
      assert.ok(Math.abs(beat[channel * WIDTH + k]! - clean[channel * WIDTH + k]! - added[k]!) < 1e-6);
  assert.equal(features.length, 2);
  [local, record].forEach((template, t) =>
    assert.deepEqual(
      Array.from(features[t]!),
      Array.from(
        morphologyContext(
          { data: beat.slice(0, WIDTH), count: 1, leads: 1, width: WIDTH, peakAt: PEAK },
          template,
          FS,
        ),
      ),
    ),
  );
});
