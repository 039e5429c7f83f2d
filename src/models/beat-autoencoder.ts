/**
 * Beat-level embeddings of a record (issue 6 item 4): single beats cut around detected R peaks are compressed to
 * `embedding` numbers, either by a sequence autoencoder (LSTM encoder -> final hidden state -> linear; LSTM decoder
 * fed the embedding at every step -> linear; MSE) or by PCA of the same beats (the optimal linear autoencoder, the
 * baseline it must beat). A record's embedding is the mean and SD of its beats' embeddings: the mean says what the
 * typical beat looks like, the SD how much the morphology varies (ectopic beats, noise).
 *
 * Beats are read from the signal the trainer prepares (src/train/data.ts: resampled, band-passed, z-scored per
 * lead), so the embedding could join the fusion tokens the way `rhythm` does. See docs/beat-autoencoder.md.
 */
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/ops.js';
import { manualSeed } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError, ShapeError } from '../errors.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { LSTM } from '../nn/recurrent.js';
import { AdamW, clipGradNorm, weightDecayGroups } from '../optim/index.js';
import { checkBeats, type BeatMatrix } from '../signal/beat-embedding.js';

// The beats and their PCA live in src/signal/beat-embedding.ts (browser-safe, used by the fusion `beats` token).
export * from '../signal/beat-embedding.js';

/** Registry-style name stored in checkpoints. */
export const BEAT_AUTOENCODER_NAME = 'beat-autoencoder';

// ---------------------------------------------------------------------------------------------------------------
// LSTM autoencoder

export interface BeatAutoencoderConfig {
  /** Samples per beat. */
  width: number;
  /** LSTM hidden size of the encoder and the decoder. */
  hidden: number;
  /** Embedding size E. */
  embedding: number;
}

/** Weights are drawn from libtorch's generator: call manualSeed first for a reproducible model. */
export class BeatAutoencoder extends Module {
  readonly encoder: LSTM;
  readonly toEmbedding: Linear;
  readonly decoder: LSTM;
  readonly toSample: Linear;

  constructor(readonly config: BeatAutoencoderConfig) {
    super();
    for (const key of ['width', 'hidden', 'embedding'] as const) {
      if (!(Number.isInteger(config[key]) && config[key] > 0)) {
        throw new ConfigError(`beat autoencoder: ${key} must be a positive integer, got ${config[key]}`);
      }
    }
    this.encoder = this.registerModule('encoder', new LSTM(1, config.hidden));
    this.toEmbedding = this.registerModule('to_embedding', new Linear(config.hidden, config.embedding));
    this.decoder = this.registerModule('decoder', new LSTM(config.embedding, config.hidden));
    this.toSample = this.registerModule('to_sample', new Linear(config.hidden, 1));
  }

  /** beats [N, width] -> embeddings [N, E] (the encoder's last hidden state, projected). */
  encode(beats: Tensor): Tensor {
    this.checkInput(beats);
    const { h } = this.encoder.forward(F.unsqueeze(beats, 2));
    return this.toEmbedding.forward(F.squeeze(h, 0));
  }

  /** embeddings [N, E] -> beats [N, width]: the embedding is the decoder's input at every step. */
  decode(embeddings: Tensor): Tensor {
    const [n, e] = embeddings.shape as [number, number];
    const steps = F.contiguous(F.expand(F.unsqueeze(embeddings, 1), [n, this.config.width, e]));
    return F.squeeze(this.toSample.forward(this.decoder.forward(steps).output), 2);
  }

  forward(beats: Tensor): Tensor {
    return this.decode(this.encode(beats));
  }

  loss(beats: Tensor): Tensor {
    return F.mseLoss(this.forward(beats), beats);
  }

  private checkInput(beats: Tensor): void {
    if (beats.rank !== 2 || beats.shape[1] !== this.config.width || beats.shape[0] === 0) {
      throw new ShapeError(
        `beat autoencoder: beats must be [N > 0, ${this.config.width}], got [${beats.shape.join(', ')}]`,
      );
    }
  }
}

export interface BeatTrainingOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  weightDecay?: number;
  gradClip?: number;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Plain AdamW over shuffled mini-batches; libtorch is seeded so a run is reproducible. Returns epoch losses. */
export function trainBeatAutoencoder(
  model: BeatAutoencoder,
  beats: BeatMatrix,
  options: BeatTrainingOptions,
): number[] {
  checkBeats(beats, model.config.width, 'beat autoencoder training');
  if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
    throw new ConfigError(`beat autoencoder: batchSize must be a positive integer, got ${options.batchSize}`);
  }
  manualSeed(options.seed);
  const optimizer = new AdamW(weightDecayGroups(model, options.lr, options.weightDecay ?? 0), {});
  const all = F.tensor(beats.data, [beats.count, beats.width]);
  const losses: number[] = [];
  model.train();
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = F.randperm(beats.count);
      let total = 0;
      for (let start = 0; start < beats.count; start += options.batchSize) {
        const size = Math.min(options.batchSize, beats.count - start);
        total +=
          scope(() => {
            const batch = F.indexSelect(all, 0, F.slice(order, 0, start, start + size));
            optimizer.zeroGrad();
            const loss = model.loss(batch);
            loss.backward();
            clipGradNorm(model.parameters(), options.gradClip ?? 1);
            optimizer.step();
            return loss.item();
          }) * size;
      }
      order.dispose();
      losses.push(total / beats.count);
      options.onEpoch?.(epoch, total / beats.count);
    }
  } finally {
    all.dispose();
    optimizer.dispose();
  }
  model.eval();
  return losses;
}

/** Runs `fn` over batches of rows (no gradients) and joins the float rows it returns. */
function batched(beats: BeatMatrix, columns: number, fn: (batch: Tensor) => Tensor, batchSize = 1024): Float32Array {
  const out = new Float32Array(beats.count * columns);
  noGrad(() => {
    for (let start = 0; start < beats.count; start += batchSize) {
      const size = Math.min(batchSize, beats.count - start);
      scope(() => {
        const rows = beats.data.subarray(start * beats.width, (start + size) * beats.width);
        out.set(fn(F.tensor(rows, [size, beats.width])).data(), start * columns);
      });
    }
  });
  return out;
}

/** [count, E] embeddings of beats. */
export function autoencoderEmbed(model: BeatAutoencoder, beats: BeatMatrix): Float32Array {
  checkBeats(beats, model.config.width, 'beat autoencoder embedding');
  return batched(beats, model.config.embedding, (batch) => model.encode(batch));
}

/** [count, width] reconstructions of beats. */
export function autoencoderReconstruct(model: BeatAutoencoder, beats: BeatMatrix): Float32Array {
  checkBeats(beats, model.config.width, 'beat autoencoder reconstruction');
  return batched(beats, model.config.width, (batch) => model.forward(batch));
}

