/**
 * NaN gaps for the detectors (R peaks, delineation, quality): invalid samples bridged by straight lines, so that
 * filters see no step where a gap meets a lead with a baseline offset, and a mask of where the gaps were, so that
 * nothing is placed on them. Pure computation: runs in Node and in the browser.
 */

export interface BridgedSignal {
  /** The signal with each run of NaN (or infinite) samples replaced by a straight line between its neighbours. */
  filled: Float64Array;
  /** 1 where the sample was NaN or infinite. */
  nanMask: Uint8Array;
  nanCount: number;
}

/**
 * Replaces runs of NaN (or infinite) samples by straight lines between their valid neighbours (a run at an end holds
 * the edge value; a signal without any valid sample becomes 0).
 */
export function bridgeNans(signal: Float32Array): BridgedSignal {
  const n = signal.length;
  const filled = new Float64Array(n);
  const nanMask = new Uint8Array(n);
  let nanCount = 0;
  let lastValid = -1;
  for (let i = 0; i <= n; i++) {
    const value = i < n ? signal[i]! : NaN;
    if (i < n && !Number.isFinite(value)) {
      nanMask[i] = 1;
      nanCount++;
      continue;
    }
    if (i - lastValid > 1) fillGap(filled, lastValid, i, signal);
    if (i < n) filled[i] = value;
    lastValid = i;
  }
  return { filled, nanMask, nanCount };
}

function fillGap(filled: Float64Array, before: number, after: number, signal: Float32Array): void {
  const n = signal.length;
  const left = before >= 0 ? signal[before]! : after < n ? signal[after]! : 0;
  const right = after < n ? signal[after]! : left;
  for (let j = before + 1; j < after; j++) {
    const t = (j - before) / (after - before);
    filled[j] = left + t * (right - left);
  }
}
