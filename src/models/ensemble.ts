/**
 * An ensemble of models with the same inputs and classes: its logits are the mean of its members' logits (members
 * of a cross-validation, or seeds). It is one Module, so it is one checkpoint (`members.0.*`, `members.1.*`, ...)
 * and one ONNX graph traced by the same exporter; it is built from checkpoints, never trained.
 */
import * as F from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import { ConfigError } from '../errors.js';
import type { Checkpoint } from '../export/checkpoint.js';
import { ensembleDataset } from './ensemble-dataset.js';
import { Module, type StoredTensor } from '../nn/module.js';
import type { AttentionMap, EfficientEcgFusion, FusionOutput } from './fusion/model.js';
import type { PatientRow, PatientTensors } from './fusion/patients.js';

export const ENSEMBLE_MODEL_NAME = 'ensemble';

export interface EnsembleConfig {
  /** Each member's registry name and config, in `members.k` order. */
  members: Array<{ name: string; config: unknown }>;
  /**
   * Per-class logit offsets added after averaging (single-label decision offsets fitted on out-of-fold predictions,
   * src/eval/class-offsets.ts); stored as the `class_offsets` buffer so the ONNX graph carries them.
   */
  classOffsets?: number[];
}

/** State-dict key of the offsets buffer. */
export const CLASS_OFFSETS_KEY = 'class_offsets';

/** The part of a registry model an ensemble member needs. */
interface Member extends Module {
  forward(x: Tensor, ...rest: unknown[]): Tensor;
}

class MemberList extends Module {
  readonly items: Member[];

  constructor(members: readonly Member[]) {
    super();
    this.items = members.map((member, k) => this.registerModule(String(k), member));
  }
}

export class Ensemble extends Module {
  readonly members: MemberList;
  readonly classOffsets: Tensor | null;

  constructor(members: readonly Member[], classOffsets?: readonly number[]) {
    super();
    if (members.length < 1) throw new ConfigError('an ensemble needs at least one member');
    if (classOffsets !== undefined && !classOffsets.every(Number.isFinite))
      throw new ConfigError('ensemble classOffsets must be finite numbers');
    this.members = this.registerModule('members', new MemberList(members));
    this.classOffsets =
      classOffsets === undefined
        ? null
        : this.registerBuffer(CLASS_OFFSETS_KEY, F.tensor(Float32Array.from(classOffsets), [classOffsets.length]));
  }

  /** Mean of the members' logits (plus the class offsets); arguments after the ECG go to every member. */
  forward(x: Tensor, ...rest: unknown[]): Tensor {
    const mean = this.meanOfMembers(x, rest);
    if (this.classOffsets === null) return mean;
    const shifted = F.add(mean, this.classOffsets);
    mean.dispose();
    return shifted;
  }

  private meanOfMembers(x: Tensor, rest: unknown[]): Tensor {
    const members = this.members.items;
    let sum = members[0]!.forward(x, ...rest);
    for (const member of members.slice(1)) {
      const logits = member.forward(x, ...rest);
      const next = F.add(sum, logits);
      sum.dispose();
      logits.dispose();
      sum = next;
    }
    if (members.length === 1) return sum;
    const mean = F.mul(sum, 1 / members.length);
    sum.dispose();
    return mean;
  }
}

/**
 * An ensemble of EfficientECG-Fusion members (the fold models of a fusion CV): the patient inputs are encoded once,
 * with the first member's groups, and the attention it reports is the mean of the members' weights, token by token
 * (every member has the same token groups, so the weights line up), so the ensemble is as inspectable as one fusion
 * model. Members of a CV standardise numeric groups with their own training folds' mean and sd; the graph moves the
 * first member's standardised values onto each member's scale (an exact affine map), so no input is re-encoded.
 */
export class FusionEnsemble extends Ensemble {
  private readonly fusionMembers: EfficientEcgFusion[];

  constructor(members: readonly EfficientEcgFusion[], classOffsets?: readonly number[]) {
    super(members, classOffsets);
    const layout = (m: EfficientEcgFusion) =>
      JSON.stringify(m.config.groups.map((g) => ({ ...g, mean: undefined, std: undefined })));
    if (members.some((m) => layout(m) !== layout(members[0]!)))
      throw new ConfigError('fusion ensemble members must read the same patient token groups');
    this.fusionMembers = [...members];
  }

  private onScaleOf(member: EfficientEcgFusion, patients: PatientTensors): PatientTensors {
    return member === this.fusionMembers[0] ? patients : onScale(this.fusionMembers[0]!, member, patients);
  }

  get groups(): EfficientEcgFusion['config']['groups'] {
    return this.fusionMembers[0]!.config.groups;
  }

  encodePatients(rows: readonly PatientRow[], dtype: 'float32' | 'float64' = 'float32'): PatientTensors {
    return this.fusionMembers[0]!.encodePatients(rows, dtype);
  }

  /** Mean logits (plus class offsets), each member reading the patients on its own scale. */
  override forward(ecg: Tensor, patients?: unknown): Tensor {
    return this.forwardWithAttention(ecg, patients as PatientTensors | undefined).logits;
  }

  /** Mean logits (plus class offsets) and mean attention weights; call inside scope(). */
  forwardWithAttention(ecg: Tensor, patients?: PatientTensors): FusionOutput {
    const outputs = this.fusionMembers.map((member) =>
      member.forwardWithAttention(ecg, patients && this.onScaleOf(member, patients)),
    );
    const first = outputs[0]!.attention;
    const logits = meanOf(outputs.map((o) => o.logits));
    return {
      logits: this.classOffsets ? F.add(logits, this.classOffsets) : logits,
      attention: {
        ...first,
        patientToEcg: meanMap(outputs.map((o) => o.attention.patientToEcg)),
        ecgToPatient: meanMap(outputs.map((o) => o.attention.ecgToPatient)),
      },
    };
  }
}

/**
 * `patients` (encoded with the first member's groups) on `member`'s scale: a numeric value standardised with
 * (mean0, std0) becomes (value * std0 + mean0 - mean) / std for the member's (mean, std). Missing slots are zeroed
 * by the embedder whatever they hold.
 */
function onScale(
  first: EfficientEcgFusion,
  member: EfficientEcgFusion,
  patients: PatientTensors,
): PatientTensors {
  const out: PatientTensors = { ...patients };
  member.config.groups.forEach((group, g) => {
    const reference = first.config.groups[g]!;
    if (group.kind !== 'numeric' || reference.kind !== 'numeric') return;
    const encoded = patients[group.name];
    if (!encoded || !group.mean || !group.std || !reference.mean || !reference.std) return;
    const same = group.mean.every((m, i) => m === reference.mean![i] && group.std![i] === reference.std![i]);
    if (same) return;
    const scale = group.std.map((s, i) => reference.std![i]! / s);
    const shift = group.std.map((s, i) => (reference.mean![i]! - group.mean![i]!) / s);
    const dtype = encoded.values.dtype as 'float32' | 'float64';
    const values = F.add(
      F.mul(encoded.values, F.tensor(Float64Array.from(scale), [scale.length], dtype)),
      F.tensor(Float64Array.from(shift), [shift.length], dtype),
    );
    out[group.name] = { values, missing: encoded.missing };
  });
  return out;
}

function meanOf(tensors: readonly Tensor[]): Tensor {
  let sum = tensors[0]!;
  for (const t of tensors.slice(1)) sum = F.add(sum, t);
  return tensors.length === 1 ? sum : F.mul(sum, 1 / tensors.length);
}

function meanMap(maps: ReadonlyArray<AttentionMap | null>): AttentionMap | null {
  if (maps.some((m) => m === null)) return null;
  const present = maps as AttentionMap[];
  const tokens = Object.keys(present[0]!.byToken);
  return {
    weights: meanOf(present.map((m) => m.weights)),
    byToken: Object.fromEntries(tokens.map((t) => [t, meanOf(present.map((m) => m.byToken[t]!))])),
  };
}

const datasetOf = (members: readonly Checkpoint[]) => {
  const dataset = ensembleDataset(members);
  return dataset === undefined ? {} : { dataset };
};

/**
 * One checkpoint holding several: member k's tensors under `members.k.`, the model spec an ensemble of the members'
 * specs, the metadata (labels, preprocessing, task) of the first member, which every member must share, and as its
 * dataset the union of the members' training records (ensembleDataset).
 * Optimiser state is dropped (an ensemble is not trained). `extra.ensemble` names the members' sources.
 */
export function ensembleCheckpoint(
  members: readonly Checkpoint[],
  sources: readonly string[],
  classOffsets?: readonly number[],
): Checkpoint {
  const first = members[0];
  if (first === undefined) throw new ConfigError('an ensemble needs at least one checkpoint');
  const same = (value: unknown) => JSON.stringify(value);
  members.forEach((member, k) => {
    const problems: string[] = [];
    if (same(member.metadata.labels) !== same(first.metadata.labels)) problems.push('labels');
    if (same(member.metadata.preprocessing) !== same(first.metadata.preprocessing)) problems.push('preprocessing');
    if (same(member.metadata.extra?.beats) !== same(first.metadata.extra?.beats)) problems.push('beat inputs');
    if (problems.length > 0)
      throw new ConfigError(`${sources[k]}: ${problems.join(', ')} differ from ${sources[0]} (members must agree)`);
  });
  const state = new Map<string, StoredTensor>();
  members.forEach((member, k) => {
    for (const [name, tensor] of member.state) state.set(`members.${k}.${name}`, tensor);
  });
  const config: EnsembleConfig = { members: members.map((member) => member.metadata.model) };
  // A member's thresholds and validation figures were chosen on and measured for that member alone, not the
  // averaged outputs: the caller (bundle-model) sets the ensemble's own; without them argmax / 0.5 decide.
  const {
    training: _training,
    thresholds: _thresholds,
    validation: _validation,
    ...extra
  } = first.metadata.extra ?? {};
  if (classOffsets !== undefined) {
    const labels = first.metadata.labels.length;
    if (classOffsets.length !== labels)
      throw new ConfigError(`${classOffsets.length} class offsets for ${labels} labels`);
    if (extra.task === 'beats') {
      // Beat decisions have a rule after the model (the fibrillation gate, src/infer/beat-inputs.ts) that the
      // offsets were fitted after (the CV logits are gated): they ship in the beat metadata, applied after the gate.
      extra.beats = { ...(extra.beats as Record<string, unknown>), classOffsets: [...classOffsets] };
    } else {
      config.classOffsets = [...classOffsets];
      state.set(CLASS_OFFSETS_KEY, { shape: [labels], data: Float32Array.from(classOffsets) });
    }
  }
  return {
    metadata: {
      ...first.metadata,
      model: { name: ENSEMBLE_MODEL_NAME, config },
      extra: { ...extra, ...datasetOf(members), ensemble: { members: [...sources] } },
    },
    formatVersion: first.formatVersion,
    state,
    optimizerState: new Map(),
  };
}
