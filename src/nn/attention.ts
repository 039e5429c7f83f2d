/**
 * Multi-head attention with separate query and key/value inputs (cross-attention), returning the attention
 * weights so that a user can inspect what each query attended to.
 * Projections are four Linear children (q_proj, k_proj, v_proj, out_proj) rather than PyTorch's packed
 * in_proj_weight, because query and key/value may have different widths (kdim/vdim) in fusion models.
 */
import { ShapeError } from '../errors.js';
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { Dropout, Linear } from './layers.js';
import { Module } from './module.js';

export interface MultiheadAttentionOptions {
  /** Width of the key input (default embedDim). */
  kdim?: number;
  /** Width of the value input (default kdim). */
  vdim?: number;
  dropout?: number;
  bias?: boolean;
}

export interface AttentionResult {
  /** [batch, queryLength, embedDim] */
  output: Tensor;
  /** Softmax weights per head: [batch, heads, queryLength, keyLength]; rows sum to 1. */
  weights: Tensor;
}

export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly outProj: Linear;
  readonly attnDropout: Dropout;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (embedDim % numHeads !== 0) {
      throw new ShapeError(
        `MultiheadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`,
      );
    }
    this.headDim = embedDim / numHeads;
    const kdim = options.kdim ?? embedDim;
    const vdim = options.vdim ?? kdim;
    const bias = options.bias ?? true;
    this.qProj = this.registerModule('q_proj', new Linear(embedDim, embedDim, bias));
    this.kProj = this.registerModule('k_proj', new Linear(kdim, embedDim, bias));
    this.vProj = this.registerModule('v_proj', new Linear(vdim, embedDim, bias));
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, bias));
    this.attnDropout = this.registerModule('attn_dropout', new Dropout(options.dropout ?? 0));
  }

  /**
   * query [B, Lq, embedDim], key [B, Lk, kdim], value [B, Lk, vdim];
   * keyPaddingMask [B, Lk] (bool, true = ignore that key position) optional.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask?: Tensor): AttentionResult {
    this.checkInputs(query, key, value);
    const [batch, queryLength] = query.shape as [number, number, number];
    const keyLength = key.shape[1]!;
    const q = this.splitHeads(this.qProj.forward(query), batch, queryLength);
    const k = this.splitHeads(this.kProj.forward(key), batch, keyLength);
    const v = this.splitHeads(this.vProj.forward(value), batch, keyLength);
    let scores = F.mul(F.matmul(q, F.transpose(k, 2, 3)), 1 / Math.sqrt(this.headDim));
    if (keyPaddingMask) scores = F.add(scores, this.maskBias(keyPaddingMask, batch, keyLength));
    const weights = F.softmax(scores, -1);
    const attended = F.matmul(this.attnDropout.forward(weights), v);
    const merged = F.reshape(F.permute(attended, [0, 2, 1, 3]), [batch, queryLength, this.embedDim]);
    return { output: this.outProj.forward(merged), weights };
  }

  /** [B, L, E] -> [B, heads, L, headDim] */
  private splitHeads(x: Tensor, batch: number, length: number): Tensor {
    return F.permute(F.reshape(x, [batch, length, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** A large negative bias on masked keys; finite (not -inf) so that a fully masked row stays NaN-free. */
  private maskBias(mask: Tensor, batch: number, keyLength: number): Tensor {
    if (mask.shape.join() !== [batch, keyLength].join()) {
      throw new ShapeError(
        `MultiheadAttention: keyPaddingMask must be [${batch}, ${keyLength}], got [${mask.shape.join(', ')}]`,
      );
    }
    return F.reshape(F.mul(F.toDtype(mask, 'float32'), -1e9), [batch, 1, 1, keyLength]);
  }

  private checkInputs(query: Tensor, key: Tensor, value: Tensor): void {
    for (const [name, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (t.rank !== 3)
        throw new ShapeError(
          `MultiheadAttention: ${name} must be [batch, length, features], got [${t.shape.join(', ')}]`,
        );
    }
    if (
      query.shape[0] !== key.shape[0] ||
      key.shape[0] !== value.shape[0] ||
      key.shape[1] !== value.shape[1]
    ) {
      throw new ShapeError(
        `MultiheadAttention: batch/length mismatch: query [${query.shape.join(', ')}], key [${key.shape.join(', ')}], value [${value.shape.join(', ')}]`,
      );
    }
  }
}
