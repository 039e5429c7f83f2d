/**
 * Recording artefacts for beat training (`beats.leadNoise`). What makes one patient's lead noisy and another's clean
 * (muscle activity, electrode motion) must not read as an abnormal beat: in MIT-BIH record 108 the noisy MLII beats
 * correlate poorly with the record's median beat, and a model that never saw a noisy normal beat calls them V.
 *
 * One lead of a training beat gets muscle noise (smoothed white noise) and motion transients (Gaussian bumps),
 * both scaled to that lead's QRS amplitude in the (first) template. Its residual channels get the same noise (a
 * template is a median over many beats and does not move with one beat), and its morphology context is
 * measured again on the corrupted beat with `morphologyContext`, as a beat recorded that way would be measured at
 * inference. The label stays: a noisy N beat is an N beat.
 */
import { morphologyContext, qrsAmplitude } from '../signal/beat-context.js';
import type { Random } from './random.js';

/** The artefact's ranges (each drawn uniformly), relative to the template's QRS peak-to-peak amplitude. */
export const LEAD_NOISE = {
  /** RMS of the muscle noise. */
  muscleRms: [0.03, 0.25],
  /** Moving-average length of the muscle noise (s): keeps it below ~60 Hz, as the band-pass leaves real noise. */
  muscleSmoothingS: 0.015,
  /** Number of motion transients in the window. */
  transients: [1, 3],
  /** Standard deviation of a transient's Gaussian shape (s). */
  transientSigmaS: [0.02, 0.12],
  /** Largest |amplitude| of a transient. */
  transientAmplitude: 0.8,
} as const;

/** Where one beat's channels sit: [channels, width] with `leads` raw leads, then (if any) their residual channels. */
export interface BeatRows {
  data: Float32Array;
  leads: number;
  residualChannels: boolean;
  width: number;
  peakAt: number;
  fs: number;
}

const uniform = (random: Random, [lo, hi]: readonly [number, number]): number =>
  lo + (hi - lo) * random.next();

/** An artefact of `width` samples at `fs` Hz for a lead whose QRS is `amplitude` peak to peak. */
export function leadArtefact(width: number, fs: number, amplitude: number, random: Random): Float32Array {
  const out = new Float32Array(width);
  const white = Float32Array.from({ length: width }, () => random.normal());
  const smooth = Math.max(1, Math.round(LEAD_NOISE.muscleSmoothingS * fs));
  let power = 0;
  for (let k = 0; k < width; k++) {
    let sum = 0;
    for (let j = 0; j < smooth; j++) sum += white[Math.min(width - 1, k + j)]!;
    out[k] = sum;
    power += sum * sum;
  }
  const rms = Math.sqrt(power / Math.max(1, width));
  const muscle = (uniform(random, LEAD_NOISE.muscleRms) * amplitude) / Math.max(rms, 1e-6);
  for (let k = 0; k < width; k++) out[k] = out[k]! * muscle;
  const [fewest, most] = LEAD_NOISE.transients;
  const count = fewest + random.int(most - fewest + 1);
  for (let t = 0; t < count; t++) {
    const centre = random.next() * width;
    const sigma = uniform(random, LEAD_NOISE.transientSigmaS) * fs;
    const height = (2 * random.next() - 1) * LEAD_NOISE.transientAmplitude * amplitude;
    for (let k = 0; k < width; k++) out[k] = out[k]! + height * Math.exp(-0.5 * ((k - centre) / sigma) ** 2);
  }
  return out;
}

/**
 * Adds an artefact to raw lead `lead` of `beat` (in place) and to its residual channel against each template, and
 * returns that lead's morphology context (MORPHOLOGY_CONTEXT order) measured on the corrupted beat against each of
 * `templates` ([width] rows, one per template kind; none: no context, and the artefact scales to the beat itself).
 */
export function corruptLead(
  beat: BeatRows,
  lead: number,
  templates: readonly Float32Array[],
  random: Random,
): Float32Array[] {
  const { data, leads, residualChannels, width, peakAt, fs } = beat;
  const row = data.subarray(lead * width, (lead + 1) * width);
  const reference = templates[0] ?? row;
  const artefact = leadArtefact(width, fs, qrsAmplitude(reference, peakAt, fs), random);
  for (let k = 0; k < width; k++) row[k] = row[k]! + artefact[k]!;
  if (residualChannels)
    templates.forEach((_, set) => {
      const channel = leads + set * leads + lead;
      const residual = data.subarray(channel * width, (channel + 1) * width);
      for (let k = 0; k < width; k++) residual[k] = residual[k]! + artefact[k]!;
    });
  return templates.map((template) =>
    morphologyContext({ data: row, count: 1, leads: 1, width, peakAt }, template, fs),
  );
}
