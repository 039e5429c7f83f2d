/**
 * EfficientECG-Fusion: the EfficientECG feature sequence [N, C, L'] becomes L' ECG tokens (Linear to dModel plus a
 * position encoding); patient groups become one token each plus an always-present learned null token; the two
 * token sets meet through multi-head cross-attention (residual + LayerNorm, then a feed-forward) as the design
 * says, and an MLP reads the pooled result. Every forward returns the attention weights named by patient token.
 */
import { ConfigError, ShapeError } from '../../errors.js';
import * as F from '../../engine/ops.js';
import { keep } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import {
  Activation,
  Dropout,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  Sequential,
  type Parameter,
  type StoredTensor,
} from '../../nn/index.js';
import { normal } from '../../nn/init.js';
import { EfficientECG, type ConvBnAct } from '../efficientecg.js';
import {
  FUSION_DESIGNS,
  NULL_TOKEN,
  samplesPerPosition,
  validateFusionConfig,
  type FusionConfig,
  type TokenGroupSpec,
} from './config.js';
import {
  buildEmbedder,
  checkPatients,
  encodePatients,
  presence,
  rawFeatures,
  rawWidth,
  type PatientRow,
  type PatientTensors,
  type TokenEmbedder,
} from './patients.js';

/** One direction of attention, with the weights by patient token. */
export interface AttentionMap {
  /** patientToEcg: [N, heads, tokens, positions]; ecgToPatient: [N, heads, positions, tokens]. */
  weights: Tensor;
  /**
   * [N, heads, positions] per token name: for patientToEcg, the distribution of that token's attention over ECG
   * positions; for ecgToPatient, the share of each ECG position's attention that went to that token.
   */
  byToken: Record<string, Tensor>;
}

export interface FusionAttention {
  /** Patient token names in weight order: the null token first, then the groups. */
  tokens: string[];
  /** [N, tokens], 1 where the token was present (attended / pooled), 0 where its data was missing. */
  present: Tensor | null;
  patientToEcg: AttentionMap | null;
  ecgToPatient: AttentionMap | null;
  /** Input samples per ECG position (position p starts at sample p * samplesPerPosition). */
  samplesPerPosition: number;
}

export interface FusionOutput {
  /** [N, classes] */
  logits: Tensor;
  attention: FusionAttention;
}

/** EfficientECG without its pooled classifier: stem -> MBConv blocks -> head conv, state-dict names unchanged. */
export class EcgEncoder extends Module {
  readonly stem: ConvBnAct;
  readonly blocks: Sequential;
  readonly head: ConvBnAct;
  readonly channels: number;

  constructor(readonly config: FusionConfig['backbone']) {
    super();
    if (config.amplitude)
      throw new ConfigError('the amplitude side-channel is built for the plain EfficientECG, not the fusion backbone');
    // Built through EfficientECG so the blocks and their initialisation are the same; its classifier is dropped.
    const full = new EfficientECG(config);
    this.stem = this.registerModule('stem', full.stem);
    this.blocks = this.registerModule('blocks', full.blocks);
    this.head = this.registerModule('head', full.head);
    this.channels = full.classifier.inFeatures;
    full.classifier.dispose();
  }

  /** [N, leads, samples] -> [N, channels, ceil(samples / 32)] */
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[1] !== this.config.leads) {
      throw new ShapeError(
        `EfficientEcgFusion: ecg must be [batch, ${this.config.leads} leads, samples], got [${x.shape.join(', ')}]`,
      );
    }
    return this.head.forward(this.blocks.forward(this.stem.forward(x)));
  }
}

/** Post-norm transformer cross-attention: x = LN(q + Attn(q, kv)); x = LN(x + FFN(x)). */
export class CrossAttentionBlock extends Module {
  readonly attention: MultiheadAttention;
  readonly norm1: LayerNorm;
  readonly ffn: Sequential | null;
  readonly norm2: LayerNorm | null;
  readonly dropout: Dropout;

  constructor(dModel: number, heads: number, ffnMultiplier: number, dropout: number) {
    super();
    this.attention = this.registerModule('attention', new MultiheadAttention(dModel, heads, { dropout }));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel));
    const hidden = Math.round(dModel * ffnMultiplier);
    this.ffn =
      hidden > 0
        ? this.registerModule(
            'ffn',
            new Sequential(new Linear(dModel, hidden), new Activation('gelu'), new Linear(hidden, dModel)),
          )
        : null;
    this.norm2 = this.ffn ? this.registerModule('norm2', new LayerNorm(dModel)) : null;
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
  }

  /** query [N, Lq, d], keyValue [N, Lk, d], ignore [N, Lk] bool (true = masked key). */
  forward(query: Tensor, keyValue: Tensor, ignore?: Tensor): { output: Tensor; weights: Tensor } {
    const { output, weights } = this.attention.forward(query, keyValue, keyValue, ignore);
    let x = this.norm1.forward(F.add(query, this.dropout.forward(output)));
    if (this.ffn && this.norm2) x = this.norm2.forward(F.add(x, this.dropout.forward(this.ffn.forward(x))));
    return { output: x, weights };
  }
}

/** Named token embedders (a module dict: state-dict keys tokens.<group>.*). */
class TokenEmbedders extends Module {
  readonly byName = new Map<string, TokenEmbedder>();

  constructor(groups: readonly TokenGroupSpec[], dModel: number) {
    super();
    for (const spec of groups) this.byName.set(spec.name, this.registerModule(spec.name, buildEmbedder(spec, dModel)));
  }
}

/** Patient token set: [N, 1 + groups, d] with presence [N, 1 + groups] and the attention mask (true = missing). */
interface PatientTokens {
  tokens: Tensor;
  present: Tensor;
  ignore: Tensor;
}

/** The fusion part alone: backbone features + encoded patients -> logits and attention (gradchecked in float64). */
export class FusionHead extends Module {
  readonly ecgProjection: Linear;
  readonly ecgDropout: Dropout;
  readonly positionTable: Parameter | null;
  readonly nullToken: Parameter | null;
  readonly tokens: TokenEmbedders | null;
  readonly patientToEcg: CrossAttentionBlock | null;
  readonly ecgToPatient: CrossAttentionBlock | null;
  readonly classifier: Sequential;
  readonly shortcutDropout: Dropout | null = null;
  readonly shortcut: Linear | null = null;

  constructor(
    readonly config: FusionConfig,
    readonly ecgChannels: number,
  ) {
    super();
    validateFusionConfig(config);
    const { dModel, heads, ffnMultiplier, dropout } = config;
    const design = FUSION_DESIGNS[config.design];
    const attends = design.patientQueriesEcg || design.ecgQueriesPatient;
    this.ecgProjection = this.registerModule('ecg_proj', new Linear(ecgChannels, dModel));
    this.ecgDropout = this.registerModule('ecg_dropout', new Dropout(dropout));
    // Positions only matter to attention: mean pooling (the concat baseline) would turn them into a constant.
    this.positionTable =
      attends && config.position === 'learned'
        ? this.registerParameter('position', normal([config.maxPositions, dModel], 0.02), { decay: false })
        : null;
    if (attends && config.position === 'sinusoidal') {
      this.#sinusoid = {
        divisors: keep(F.tensor(sinusoidDivisors(dModel), [1, dModel])),
        sine: keep(F.tensor(Uint8Array.from({ length: dModel }, (_, i) => (i % 2 === 0 ? 1 : 0)), [1, dModel])),
      };
    }
    this.nullToken = attends ? this.registerParameter('null_token', normal([dModel], 0.02), { decay: false }) : null;
    this.tokens = attends ? this.registerModule('tokens', new TokenEmbedders(config.groups, dModel)) : null;
    const block = (): CrossAttentionBlock => new CrossAttentionBlock(dModel, heads, ffnMultiplier, dropout);
    this.patientToEcg = design.patientQueriesEcg ? this.registerModule('patient_to_ecg', block()) : null;
    this.ecgToPatient = design.ecgQueriesPatient ? this.registerModule('ecg_to_patient', block()) : null;
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(
        new Linear(this.readoutWidth(), config.classifierHidden),
        new Activation('gelu'),
        new Dropout(dropout),
        new Linear(config.classifierHidden, config.classes),
      ),
    );
    if (config.shortcut) {
      // Registered after the classifier: both are output layers (rows per class; src/train/init.ts).
      this.shortcutDropout = this.registerModule('shortcut_dropout', new Dropout(config.backbone.dropout));
      this.shortcut = this.registerModule('shortcut', new Linear(ecgChannels, config.classes));
      zeroLinear(this.classifier.layers.at(-1) as Linear);
    }
  }

  /** Token names in the order of the attention weights' token axis. */
  tokenNames(): string[] {
    return [NULL_TOKEN, ...this.config.groups.map((g) => g.name)];
  }

  /** features [N, C, L'] from the backbone; patients from encodePatients(config.groups, rows). */
  forward(features: Tensor, patients: PatientTensors): FusionOutput {
    if (features.rank !== 3 || features.shape[1] !== this.ecgChannels) {
      throw new ShapeError(
        `FusionHead: features must be [batch, ${this.ecgChannels}, positions], got [${features.shape.join(', ')}]`,
      );
    }
    const batch = features.shape[0]!;
    checkPatients(this.config.groups, patients, batch);
    const projected = this.ecgDropout.forward(this.ecgProjection.forward(F.permute(features, [0, 2, 1])));
    // The pooled ECG vector is taken before positions: their mean would be a length-dependent offset.
    const pooled = F.mean(projected, 1);
    const attention: FusionAttention = {
      tokens: this.tokenNames(),
      present: null,
      patientToEcg: null,
      ecgToPatient: null,
      samplesPerPosition: samplesPerPosition(this.config.backbone),
    };
    const readout = this.tokens
      ? this.attend(this.withPositions(projected), pooled, this.patientTokens(patients, batch), attention)
      : [pooled, ...this.config.groups.map((g) => this.rawFeatures(g, patients))];
    const fused = this.classifier.forward(F.cat(readout, 1));
    return { logits: this.shortcut ? F.add(fused, this.shortcutLogits(features)) : fused, attention };
  }

  /** The plain EfficientECG classifier over the globally pooled backbone features. */
  private shortcutLogits(features: Tensor): Tensor {
    return this.shortcut!.forward(this.shortcutDropout!.forward(F.mean(features, 2)));
  }

  /** ECG tokens [N, L', d] + the position encoding. */
  private withPositions(tokens: Tensor): Tensor {
    if (this.config.position === 'none') return tokens;
    return F.add(tokens, this.positions(tokens.shape[1]!, tokens));
  }

  private positions(length: number, like: Tensor): Tensor {
    if (this.positionTable) {
      if (length > this.config.maxPositions) {
        throw new ShapeError(
          `FusionHead: ${length} ECG positions exceed the learned position table (maxPositions ${this.config.maxPositions}); use a shorter window or a sinusoidal encoding`,
        );
      }
      return F.slice(this.positionTable, 0, 0, length);
    }
    // Computed from the length with ops (in float64, then cast), so that an ONNX export computes it in the graph
    // for whatever length it is given: the encoding has no maximum length (maxPositions is the learned table's).
    const { divisors, sine } = this.#sinusoid!;
    const angles = F.div(F.unsqueeze(F.arange(0, length, 1, 'float64'), 1), divisors);
    const table = F.where(sine, F.sin(angles), F.cos(angles));
    return like.dtype === table.dtype ? table : F.toDtype(table, like.dtype);
  }

  /** Sinusoidal encoding: each channel's divisor of the position [1, d], and whether it takes the sine (else cos). */
  #sinusoid: { divisors: Tensor; sine: Tensor } | null = null;

  override dispose(): void {
    this.#sinusoid?.divisors.dispose();
    this.#sinusoid?.sine.dispose();
    super.dispose();
  }

  private patientTokens(patients: PatientTensors, batch: number): PatientTokens {
    const d = this.config.dModel;
    const embedded = [F.expand(F.reshape(this.nullToken!, [1, d]), [batch, d])];
    const present = [F.ones([batch], embedded[0]!.dtype)];
    for (const spec of this.config.groups) {
      const group = patients[spec.name]!;
      embedded.push(this.tokens!.byName.get(spec.name)!.embed(group));
      present.push(F.toDtype(presence(group), embedded[0]!.dtype));
    }
    const presentMatrix = F.stack(present, 1);
    return { tokens: F.stack(embedded, 1), present: presentMatrix, ignore: F.eq(presentMatrix, 0) };
  }

  /** Runs the design's attention blocks, fills `attention`, and returns the vectors the classifier reads. */
  private attend(ecg: Tensor, pooled: Tensor, patient: PatientTokens, attention: FusionAttention): Tensor[] {
    attention.present = patient.present;
    const names = attention.tokens;
    let ecgReadout = pooled;
    const readout: Tensor[] = [];
    if (this.ecgToPatient) {
      const { output, weights } = this.ecgToPatient.forward(ecg, patient.tokens, patient.ignore);
      attention.ecgToPatient = { weights, byToken: byToken(weights, names, 3) };
      ecgReadout = F.mean(output, 1);
    }
    readout.push(ecgReadout);
    if (this.patientToEcg) {
      const { output, weights } = this.patientToEcg.forward(patient.tokens, ecg);
      attention.patientToEcg = { weights, byToken: byToken(weights, names, 2) };
      readout.push(maskedMean(output, patient.present));
    }
    return readout;
  }

  private rawFeatures(spec: TokenGroupSpec, patients: PatientTensors): Tensor {
    return F.toDtype(rawFeatures(spec, patients[spec.name]!), this.ecgProjection.weight.dtype);
  }

  private readoutWidth(): number {
    const { dModel, groups, design } = this.config;
    const spec = FUSION_DESIGNS[design];
    if (!spec.patientQueriesEcg && !spec.ecgQueriesPatient) {
      return dModel + groups.reduce((sum, g) => sum + rawWidth(g), 0);
    }
    return spec.patientQueriesEcg ? 2 * dModel : dModel;
  }
}

/** Zero weights and bias: the fused path adds nothing until it has learnt something. */
function zeroLinear(linear: Linear): void {
  const zeros = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const state = new Map([['weight', zeros([linear.outFeatures, linear.inFeatures])]]);
  if (linear.bias) state.set('bias', zeros([linear.outFeatures]));
  linear.loadState(state, 'zero init');
}

/** Mean over the token axis of [N, T, d], counting only present tokens (the null token always is). */
function maskedMean(x: Tensor, present: Tensor): Tensor {
  const weights = F.unsqueeze(present, 2);
  return F.div(F.sum(F.mul(x, weights), 1), F.sum(weights, 1));
}

/** Slices of attention weights along the token axis, by token name. */
function byToken(weights: Tensor, names: readonly string[], tokenAxis: number): Record<string, Tensor> {
  return Object.fromEntries(names.map((name, t) => [name, F.squeeze(F.slice(weights, tokenAxis, t, t + 1), tokenAxis)]));
}

/**
 * Transformer sinusoidal encoding: position p, channel i takes sin (even i) or cos (odd i) of p / 10000^(2*floor(i/2)/d)
 * (wavelengths 2pi..10000*2pi). These are the divisors, one per channel.
 */
function sinusoidDivisors(d: number): Float64Array {
  return Float64Array.from({ length: d }, (_, i) => 10000 ** ((2 * Math.floor(i / 2)) / d));
}

/** EfficientECG backbone + fusion head. State dict: backbone.* (EfficientECG names) and fusion.*. */
export class EfficientEcgFusion extends Module {
  readonly backbone: EcgEncoder;
  readonly fusion: FusionHead;

  constructor(readonly config: FusionConfig) {
    super();
    validateFusionConfig(config);
    this.backbone = this.registerModule('backbone', new EcgEncoder(config.backbone));
    this.fusion = this.registerModule('fusion', new FusionHead(config, this.backbone.channels));
  }

  /**
   * Logits [N, classes] from ecg [N, leads, samples] and the encoded patients (this.encodePatients(rows)); the
   * registry's EcgModel contract. Use forwardWithAttention to also get the attention weights.
   */
  forward(ecg: Tensor, patients?: PatientTensors): Tensor {
    return this.forwardWithAttention(ecg, patients).logits;
  }

  /** Logits and the attention weights named by patient token. */
  forwardWithAttention(ecg: Tensor, patients?: PatientTensors): FusionOutput {
    return this.fusion.forward(this.backbone.forward(ecg), this.requirePatients(patients));
  }

  /** The backbone's last feature sequence [N, channels, L'] (what the ECG tokens are projected from). */
  features(ecg: Tensor): Tensor {
    return this.backbone.forward(ecg);
  }

  /** Patient rows -> tensors for this model's groups (call inside scope()). */
  encodePatients(rows: readonly PatientRow[], dtype: 'float32' | 'float64' = 'float32'): PatientTensors {
    return encodePatients(this.config.groups, rows, dtype);
  }

  /** Patients are required unless the config has no groups: silently dropping them would train an ECG-only model. */
  private requirePatients(patients: PatientTensors | undefined): PatientTensors {
    if (patients !== undefined && (typeof patients !== 'object' || patients === null)) {
      throw new ConfigError(`EfficientEcgFusion: patients must be encodePatients(...) output, got ${String(patients)}`);
    }
    if (patients === undefined && this.config.groups.length > 0) {
      throw new ConfigError(
        `EfficientEcgFusion: patients are required for groups ${this.config.groups.map((g) => g.name).join(', ')} (model.encodePatients(rows); missing values are allowed)`,
      );
    }
    return patients ?? {};
  }

  /** Loads a trained EfficientECG's state (its classifier.* entries are ignored) into the backbone. */
  loadBackbone(state: Map<string, StoredTensor | Tensor>, source = 'EfficientECG state'): void {
    const kept = new Map([...state].filter(([name]) => !name.startsWith('classifier.')));
    this.backbone.loadState(kept, source);
  }
}
