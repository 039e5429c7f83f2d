/**
 * Beat-by-beat comparison of detections against reference annotations (ANSI/AAMI EC57 style): a detection
 * matches a reference beat when they are at most `tolerance` samples apart; each side is matched at most once,
 * closest pairs first. Used by the validation scripts and tests.
 */
export interface MatchResult {
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
  /** Signed timing errors (detected - reference) in samples, one per matched pair, in reference order. */
  errors: number[];
  /** Reference indices that were missed, and detections that matched nothing. */
  missed: number[];
  extra: number[];
}

export function matchEvents(
  reference: ArrayLike<number>,
  detected: ArrayLike<number>,
  tolerance: number,
): MatchResult {
  const pairs: Array<[number, number, number]> = [];
  let start = 0;
  for (let r = 0; r < reference.length; r++) {
    const ref = reference[r]!;
    while (start < detected.length && detected[start]! < ref - tolerance) start++;
    for (let d = start; d < detected.length && detected[d]! <= ref + tolerance; d++) {
      pairs.push([Math.abs(detected[d]! - ref), r, d]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const refMatch = new Int32Array(reference.length).fill(-1);
  const detUsed = new Uint8Array(detected.length);
  for (const [, r, d] of pairs) {
    if (refMatch[r] !== -1 || detUsed[d]) continue;
    refMatch[r] = d;
    detUsed[d] = 1;
  }
  const errors: number[] = [];
  const missed: number[] = [];
  refMatch.forEach((d, r) =>
    d >= 0 ? errors.push(detected[d]! - reference[r]!) : missed.push(reference[r]!),
  );
  const extra: number[] = [];
  detUsed.forEach((used, d) => used || extra.push(detected[d]!));
  return {
    truePositives: errors.length,
    falseNegatives: missed.length,
    falsePositives: extra.length,
    errors,
    missed,
    extra,
  };
}

/**
 * Sample ranges of ventricular flutter/fibrillation episodes in MIT-format annotations: `[` ... `]` (open to
 * `length` if never closed). EC57 leaves them out of beat detection and classification (MIT-BIH record 207).
 */
export function flutterEpisodes(
  annotations: ReadonlyArray<{ sample: number; symbol: string }>,
  length: number,
): Array<[number, number]> {
  const episodes: Array<[number, number]> = [];
  let start = -1;
  for (const a of annotations) {
    if (a.symbol === '[') start = a.sample;
    if (a.symbol === ']' && start >= 0) {
      episodes.push([start, a.sample]);
      start = -1;
    }
  }
  if (start >= 0) episodes.push([start, length]);
  return episodes;
}
