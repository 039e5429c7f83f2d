/**
 * Learning-rate schedules as pure functions of the step (0-based), so a resumed run continues on the same curve.
 */
import { EcgError } from '../errors.js';

export type Schedule = (step: number) => number;

function cosineBetween(start: number, end: number, fraction: number): number {
  return end + ((start - end) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, fraction))))) / 2;
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  /** Fraction of steps spent increasing the LR (PyTorch default 0.3). */
  pctStart?: number;
  /** Initial LR = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final LR = initial / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * The learning rate of torch.optim.lr_scheduler.OneCycleLR with cosine annealing (its default, two phases). Only the
 * rate: OneCycleLR's default also cycles the momentum (AdamW's beta1 0.95 -> 0.85 -> 0.95), which here stays fixed.
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const { maxLr, totalSteps } = options;
  if (totalSteps < 2) throw new EcgError(`oneCycle: totalSteps must be >= 2, got ${totalSteps}`);
  const initial = maxLr / (options.divFactor ?? 25);
  const final = initial / (options.finalDivFactor ?? 1e4);
  const peakStep = (options.pctStart ?? 0.3) * totalSteps - 1;
  const endStep = totalSteps - 1;
  return (step) => {
    if (step > peakStep) return cosineBetween(maxLr, final, (step - peakStep) / (endStep - peakStep));
    // A one-step warm-up (pctStart x totalSteps = 1) peaks at step 0, where step / peakStep is 0/0: NaN weights.
    return peakStep > 0 ? cosineBetween(initial, maxLr, step / peakStep) : maxLr;
  };
}

export interface CosineWarmupOptions {
  lr: number;
  totalSteps: number;
  warmupSteps: number;
  /** LR at the end, as a fraction of lr (default 0). */
  finalFraction?: number;
}

/**
 * A linear warm-up over the first warmupSteps (lr/W, 2 lr/W, ..., lr at step W - 1), then a cosine decay from lr at
 * step W towards lr * finalFraction at step totalSteps, one past the last step run (torch's CosineAnnealingLR
 * convention: the last step still moves the weights when finalFraction is 0).
 */
export function cosineWithWarmup(options: CosineWarmupOptions): Schedule {
  const { lr, totalSteps, warmupSteps } = options;
  if (warmupSteps >= totalSteps) throw new EcgError('cosineWithWarmup: warmupSteps must be < totalSteps');
  const final = lr * (options.finalFraction ?? 0);
  return (step) =>
    step < warmupSteps
      ? (lr * (step + 1)) / warmupSteps
      : cosineBetween(lr, final, (step - warmupSteps) / (totalSteps - warmupSteps));
}
