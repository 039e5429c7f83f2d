/**
 * BatchNorm folded into the convolution it directly follows (eval mode):
 * scale = gamma / sqrt(var + eps), W' = W * scale (per output channel), b' = (b - mean) * scale + beta.
 * Computed in float64, stored in the weight's own precision.
 */
import type { TypedArray } from '../../engine/binding.js';

export interface BatchNormValues {
  weight: TypedArray | null;
  bias: TypedArray | null;
  runningMean: TypedArray;
  runningVar: TypedArray;
  eps: number;
}

export function foldBatchNorm(
  convWeight: Float32Array | Float64Array,
  convBias: TypedArray | null,
  outChannels: number,
  bn: BatchNormValues,
): { weight: Float32Array | Float64Array; bias: Float32Array | Float64Array } {
  const perChannel = convWeight.length / outChannels;
  const weight =
    convWeight instanceof Float64Array
      ? new Float64Array(convWeight.length)
      : new Float32Array(convWeight.length);
  const bias =
    convWeight instanceof Float64Array ? new Float64Array(outChannels) : new Float32Array(outChannels);
  const at = (array: TypedArray | null, i: number, fallback: number): number =>
    array === null ? fallback : Number(array[i]!);
  for (let c = 0; c < outChannels; c++) {
    const scale = at(bn.weight, c, 1) / Math.sqrt(Number(bn.runningVar[c]!) + bn.eps);
    for (let k = 0; k < perChannel; k++) weight[c * perChannel + k] = convWeight[c * perChannel + k]! * scale;
    bias[c] = (at(convBias, c, 0) - Number(bn.runningMean[c]!)) * scale + at(bn.bias, c, 0);
  }
  return { weight, bias };
}
