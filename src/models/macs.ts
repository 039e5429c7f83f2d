/**
 * Multiply-accumulate count of one eval forward, from a trace of the engine ops it runs.
 * Counted (one MAC = one multiply + one add):
 *   conv1d  N * Cout * Lout * (Cin / groups) * K
 *   linear  (output elements) * inFeatures
 *   matmul  (output elements) * inner dimension
 *   lstm    per layer and direction: N * T * 4H * (input + H)
 * Not counted: elementwise ops (activations, residual adds, SE gating), normalisation (BatchNorm folds into the
 * convolution at export), pooling, softmax and shape ops; they are O(elements) against O(elements * channels).
 */
import { ShapeError } from '../errors.js';
import { noGrad } from '../engine/autograd.js';
import { full, randn, zeros } from '../engine/ops.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { CheckpointMetadata } from '../export/checkpoint.js';
import { traceOps, type OpRecord } from '../export/trace.js';
import type { Module } from '../nn/module.js';
import { beatChannelCount, type BeatTemplateMode } from '../signal/beat-context.js';

export interface MacCount {
  total: number;
  /** MACs per counted op name (conv1d, linear, matmul, lstm). */
  byOp: Record<string, number>;
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** MACs of one op call (0 for ops that are not counted). */
export function opMacs(record: OpRecord): number {
  const output = record.outputs[0]!;
  switch (record.op) {
    case 'conv1d': {
      const weight = record.inputs[1]!;
      return output.size * weight.shape[1]! * weight.shape[2]!;
    }
    case 'linear':
      return output.size * record.inputs[1]!.shape[1]!;
    case 'matmul':
    case 'bmm': {
      const x = record.inputs[0]!;
      return output.size * x.shape[x.rank - 1]!;
    }
    case 'lstm':
      return lstmMacs(record as Extract<OpRecord, { op: 'lstm' }>);
    default:
      return 0;
  }
}

function lstmMacs(record: Extract<OpRecord, { op: 'lstm' }>): number {
  const { numLayers, bidirectional, hasBiases } = record.attrs;
  const input = record.inputs[0]!;
  // N * T, whichever of the first two axes is the batch.
  const steps = product(input.shape.slice(0, 2));
  const directions = bidirectional ? 2 : 1;
  const perDirection = hasBiases ? 4 : 2;
  let total = 0;
  for (let i = 0; i < numLayers * directions; i++) {
    const wIh = record.inputs[3 + i * perDirection]!;
    const wHh = record.inputs[4 + i * perDirection]!;
    total += steps * wIh.shape[0]! * (wIh.shape[1]! + wHh.shape[1]!);
  }
  return total;
}

/** MACs of whatever ops `run` calls (it runs without gradients; tensors it makes are released). */
export function countMacsOf(run: () => unknown): MacCount {
  const byOp: Record<string, number> = {};
  scope(() => {
    noGrad(() =>
      traceOps((record) => {
        const macs = opMacs(record);
        if (macs > 0) byOp[record.op] = (byOp[record.op] ?? 0) + macs;
      }, run),
    );
  });
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}

/**
 * MACs of model.forward on one input of inputShape (including the batch axis, e.g. [1, 12, 1000]), in eval mode
 * (the model's train/eval flag is put back).
 */
export function countMacs(model: Module & { forward(x: Tensor): unknown }, inputShape: readonly number[]): MacCount {
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ShapeError(`countMacs: inputShape must be positive integers, got [${inputShape.join(', ')}]`);
  }
  const training = model.training;
  model.eval();
  try {
    return countMacsOf(() => model.forward(randn(inputShape)));
  } finally {
    model.train(training);
  }
}

/**
 * MACs of one window of a checkpoint's model (eval mode), the figure the catalogue lists (scripts/bundle-model.ts),
 * on the inputs it reads: a beat model its beat channels (each lead, then each lead minus each of its templates
 * with residual channels: beatChannelCount), 4 RR features and its context columns; a fusion model a patient with
 * nothing known.
 */
export function checkpointMacs(
  model: Module & { forward(...inputs: never[]): unknown },
  metadata: CheckpointMetadata,
): number {
  const pre = metadata.preprocessing as { leads?: string[]; windowSamples: number };
  const extra = metadata.extra ?? {};
  const beats = (extra.beats ?? {}) as { context?: string[]; residualChannels?: boolean; template?: BeatTemplateMode };
  const forward = model.forward.bind(model) as (...inputs: unknown[]) => unknown;
  const training = model.training;
  model.eval();
  try {
    return countMacsOf(() => {
      const leads = Math.max(1, pre.leads?.length ?? 0);
      const channels = beatChannelCount(leads, beats.residualChannels === true, beats.template);
      const x = zeros([1, channels, pre.windowSamples]);
      if (extra.task === 'beats') {
        const context = beats.context ?? [];
        return context.length > 0
          ? forward(x, full([1, 4], 0.8), zeros([1, context.length]))
          : forward(x, full([1, 4], 0.8));
      }
      const patients =
        'encodePatients' in model
          ? (model as unknown as { encodePatients(rows: object[]): unknown }).encodePatients([{}])
          : undefined;
      return forward(x, patients);
    }).total;
  } finally {
    model.train(training);
  }
}
