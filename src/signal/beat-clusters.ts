/**
 * A record's beats grouped by QRS shape (browser-safe, no engine), for the cluster vote on ventricular origin
 * (src/infer/beat-inputs.ts `voteLogits`): a PVC looks like the patient's other PVCs, an atrial premature beat like
 * their normal beats, so beats of one shape should mostly agree on "ventricular or not".
 *
 * Greedy and in time order, as a Holter system groups beats into templates: a beat joins the cluster whose first
 * beat its QRS (peak +- `halfWidthSeconds`, every raw lead, each lead's mean over that span removed) correlates best
 * with, if that correlation is at least `correlation` and its norm is within `amplitudeRange` of that first beat's;
 * otherwise it starts a cluster. Record-level and label-free: training (annotated peaks) and `predict` (detected
 * peaks) call it on the same windows. Reference: scripts/experiments/beats-cluster-vote.py (numpy), the golden
 * values in test/fixtures/beat-clusters-golden.json.
 */
import { ShapeError } from '../errors.js';

export interface ClusterOptions {
  /** Minimum correlation with a cluster's first beat. */
  correlation: number;
  /** The beat's QRS norm over the first beat's must lie in [low, high]. */
  amplitudeRange: [number, number];
  /** QRS span either side of the R peak (s). */
  halfWidthSeconds: number;
}

/** The values the cluster vote was measured with (docs/beats.md, "Morphology clusters vote"). */
export const CLUSTER_DEFAULTS: ClusterOptions = {
  correlation: 0.9,
  amplitudeRange: [0.7, 1.4],
  halfWidthSeconds: 0.1,
};

/**
 * How many clusters a beat is compared with (the most recently joined). DS1's records form at most 279 clusters over
 * 30 minutes, so the cap never acts there; it bounds the cost of a day-long or very noisy recording.
 */
export const MAX_ACTIVE_CLUSTERS = 512;

export interface BeatWindows {
  /** [count, channels, width], the raw leads first. */
  data: Float32Array;
  count: number;
  channels: number;
  width: number;
}

/**
 * Cluster index (0, 1, ... in order of first appearance) of each beat of one record. `leads` raw lead channels are
 * read (residual channels after them are not); the R peak sits at `peakAt` in every window; `fs` is the windows' rate.
 */
export function qrsClusters(
  windows: BeatWindows,
  leads: number,
  peakAt: number,
  fs: number,
  options: ClusterOptions = CLUSTER_DEFAULTS,
): Int32Array {
  const { data, count, channels, width } = windows;
  const half = Math.round(options.halfWidthSeconds * fs);
  if (
    leads < 1 ||
    leads > channels ||
    peakAt - half < 0 ||
    peakAt + half >= width ||
    data.length !== count * channels * width
  )
    throw new ShapeError(
      `qrsClusters: ${count} windows of ${channels} x ${width} (${data.length} values), ${leads} lead(s), QRS ${peakAt} +- ${half}`,
    );
  const span = 2 * half + 1;
  const dims = leads * span;
  const units = new Float64Array(count * dims);
  const norms = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    const vector = units.subarray(b * dims, (b + 1) * dims);
    for (let l = 0; l < leads; l++) {
      const from = (b * channels + l) * width + peakAt - half;
      let mean = 0;
      for (let i = 0; i < span; i++) mean += data[from + i]!;
      mean /= span;
      for (let i = 0; i < span; i++) vector[l * span + i] = data[from + i]! - mean;
    }
    let squares = 0;
    for (const v of vector) squares += v * v;
    // The epsilon keeps a flat window (a missing lead, a gap) finite; it is the reference's.
    norms[b] = Math.sqrt(squares) + 1e-9;
    for (let i = 0; i < dims; i++) vector[i]! /= norms[b]!;
  }
  // Cluster c's first beat is heads[c]; `active` holds the clusters a beat is compared with, least recently joined
  // first, at most MAX_ACTIVE_CLUSTERS of them, so a long noisy recording costs O(beats), not O(beats^2).
  const heads: number[] = [];
  let active: number[] = [];
  const of = new Int32Array(count);
  const [low, high] = options.amplitudeRange;
  for (let b = 0; b < count; b++) {
    const unit = units.subarray(b * dims, (b + 1) * dims);
    let best = -1;
    let bestCorrelation = -Infinity;
    for (const c of active) {
      const head = heads[c]!;
      const ratio = norms[b]! / norms[head]!;
      if (ratio < low || ratio > high) continue;
      const other = units.subarray(head * dims, (head + 1) * dims);
      let correlation = 0;
      for (let i = 0; i < dims; i++) correlation += unit[i]! * other[i]!;
      const better = correlation > bestCorrelation || (correlation === bestCorrelation && c < best);
      if (correlation >= options.correlation && better) {
        best = c;
        bestCorrelation = correlation;
      }
    }
    if (best < 0) {
      heads.push(b);
      best = heads.length - 1;
    }
    active = [...active.filter((c) => c !== best), best];
    if (active.length > MAX_ACTIVE_CLUSTERS) active = active.slice(1);
    of[b] = best;
  }
  return of;
}
