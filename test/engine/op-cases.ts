/**
 * The engine's side of each case in test/fixtures/engine/ops.json (made by make_op_fixtures.py with PyTorch):
 * how to compute the same op from the same named inputs. Shared by the value tests and the gradient checks.
 */
import { ops as F, type Tensor } from '../../src/engine/index.js';
import { fromFixture, type EncodedTensor } from '../helpers/tensors.js';

export type Inputs = Record<string, Tensor>;
export type Args = Record<string, unknown>;
export type OpCase = (v: Inputs, args: Args) => Tensor;

const num = (args: Args, key: string): number => args[key] as number;

function unary(fn: (x: Tensor) => Tensor): OpCase {
  return (v) => fn(v.x!);
}

export const OP_CASES: Record<string, OpCase> = {
  add: (v) => F.add(v.x!, v.y!),
  add_scalar: (v) => F.add(v.x!, 2.5),
  sub: (v) => F.sub(v.x!, v.y!),
  mul: (v) => F.mul(v.x!, v.y!),
  div: (v) => F.div(v.x!, v.y!),
  pow_scalar: (v) => F.pow(v.x!, 2.5),
  pow_tensor: (v) => F.pow(v.x!, v.y!),
  maximum: (v) => F.maximum(v.x!, v.y!),
  minimum: (v) => F.minimum(v.x!, v.y!),
  neg: unary(F.neg),
  exp: unary(F.exp),
  sigmoid: unary(F.sigmoid),
  tanh: unary(F.tanh),
  sin: unary(F.sin),
  cos: unary(F.cos),
  erf: unary(F.erf),
  abs: unary(F.abs),
  relu: unary(F.relu),
  silu: unary(F.silu),
  gelu: unary(F.gelu),
  log: unary(F.log),
  sqrt: unary(F.sqrt),
  rsqrt: unary(F.rsqrt),
  log1p: unary(F.log1p),
  clamp: (v, a) => F.clamp(v.x!, num(a, 'min'), num(a, 'max')),
  where: (v) => F.where(v.c!, v.x!, v.y!),
  softmax: (v, a) => F.softmax(v.x!, num(a, 'dim')),
  log_softmax: (v, a) => F.logSoftmax(v.x!, num(a, 'dim')),
  conv1d: (v, a) => F.conv1d(v.x!, v.w!, v.b ?? null, a),
  conv1d_grouped_dilated: (v, a) => F.conv1d(v.x!, v.w!, null, a),
  conv1d_depthwise: (v, a) => F.conv1d(v.x!, v.w!, v.b!, a),
  batch_norm_train: batchNormCase,
  batch_norm_eval: batchNormCase,
  layer_norm: (v, a) => F.layerNorm(v.x!, a.shape as number[], v.w!, v.b!, num(a, 'eps')),
  linear: (v) => F.linear(v.x!, v.w!, v.b!),
  matmul: (v) => F.matmul(v.x!, v.y!),
  bmm: (v) => F.bmm(v.x!, v.y!),
  avg_pool1d: (v, a) =>
    F.avgPool1d(v.x!, num(a, 'kernel'), { stride: num(a, 'stride'), padding: num(a, 'padding') }),
  max_pool1d: (v, a) =>
    F.maxPool1d(v.x!, num(a, 'kernel'), { stride: num(a, 'stride'), padding: num(a, 'padding') }),
  adaptive_avg_pool1d: (v, a) => F.adaptiveAvgPool1d(v.x!, num(a, 'size')),
  adaptive_max_pool1d: (v, a) => F.adaptiveMaxPool1d(v.x!, num(a, 'size')),
  cat: (v, a) => F.cat([v.x!, v.y!], num(a, 'dim')),
  stack: (v, a) => F.stack([v.x!, v.y!], num(a, 'dim')),
  reshape: (v, a) => F.reshape(v.x!, a.shape as number[]),
  transpose: (v, a) => F.transpose(v.x!, num(a, 'dim0'), num(a, 'dim1')),
  permute: (v, a) => F.permute(v.x!, a.dims as number[]),
  slice: (v, a) => F.slice(v.x!, num(a, 'dim'), num(a, 'start'), num(a, 'end'), num(a, 'step')),
  index_select: (v, a) => F.indexSelect(v.x!, num(a, 'dim'), v.i!),
  gather: (v, a) => F.gather(v.x!, num(a, 'dim'), v.i!),
  pad_constant: (v, a) => F.pad(v.x!, a.pads as number[], 'constant', num(a, 'value')),
  pad_reflect: (v, a) => F.pad(v.x!, a.pads as number[], 'reflect'),
  sum_all: (v) => F.sum(v.x!),
  sum_dim: (v, a) => F.sum(v.x!, a.dims as number[], a.keepdim as boolean),
  mean_dim: (v, a) => F.mean(v.x!, a.dims as number[], a.keepdim as boolean),
  var_dim: (v, a) => F.variance(v.x!, a.dims as number[], a.unbiased as boolean),
  max_dim: (v, a) => F.max(v.x!, num(a, 'dim')),
  argmax: (v, a) => F.argmax(v.x!, num(a, 'dim')),
  embedding: (v) => F.embedding(v.w!, v.i!),
  bce_with_logits: (v) => F.bceWithLogits(v.x!, v.y!, { posWeight: v.pw! }),
  cross_entropy: (v, a) =>
    F.crossEntropy(v.x!, v.y!, { weight: v.w!, labelSmoothing: num(a, 'label_smoothing') }),
  mse_loss: (v) => F.mseLoss(v.x!, v.y!),
  lstm: (v) =>
    F.lstm(v.x!, {
      h0: v.h0!,
      c0: v.c0!,
      weights: [v.weight_ih_l0!, v.weight_hh_l0!, v.bias_ih_l0!, v.bias_hh_l0!],
      hasBiases: true,
      numLayers: 1,
      dropout: 0,
      training: false,
      bidirectional: false,
      batchFirst: true,
    }).output,
  attention: (v) => {
    const split = (t: Tensor, length: number) => F.permute(F.reshape(t, [2, length, 2, 4]), [0, 2, 1, 3]);
    const scores = F.div(F.matmul(split(v.q!, 3), F.transpose(split(v.k!, 5), 2, 3)), 2);
    return F.matmul(F.softmax(scores, -1), split(v.v!, 5));
  },
};

/** Running statistics are fresh copies each call, so repeated evaluations (finite differences) agree. */
function batchNormCase(v: Inputs, a: Args): Tensor {
  return F.batchNorm(v.x!, {
    weight: v.w!,
    bias: v.b!,
    runningMean: fromFixture(a.running_mean as EncodedTensor),
    runningVar: fromFixture(a.running_var as EncodedTensor),
    training: a.training as boolean,
    momentum: num(a, 'momentum'),
    eps: num(a, 'eps'),
  });
}

export interface FixtureCase {
  name: string;
  args: Args;
  inputs: Record<string, EncodedTensor>;
  output: EncodedTensor;
  seed?: EncodedTensor;
  grads?: Record<string, EncodedTensor>;
}
