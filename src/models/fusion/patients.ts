/**
 * Patient tokens: rows of plain values (age, sex, rhythm features...) -> tensors with missing masks -> one d_model
 * token per group. Every group encodes to the same pair, so masks and pooling treat all kinds alike:
 *   numeric:     values [N, k] standardised (0 where missing), missing [N, k] (1 = unknown)
 *   categorical: values [N] int64 category index,              missing [N, 1] (1 = the unknown category)
 * A token is present when at least one of its features is known.
 */
import { ConfigError, ShapeError } from '../../errors.js';
import * as F from '../../engine/ops.js';
import type { DType } from '../../engine/binding.js';
import type { Tensor } from '../../engine/tensor.js';
import { Embedding, Linear, Module } from '../../nn/index.js';
import type { CategoricalGroupSpec, NumericGroupSpec, TokenGroupSpec, TokenKind } from './config.js';

export interface EncodedGroup {
  values: Tensor;
  missing: Tensor;
}

/** Encoded patient inputs by group name (what FusionHead.forward reads). */
export type PatientTensors = Record<string, EncodedGroup>;

/**
 * One patient's values by group name. A numeric group reads a number (one feature), an array in feature order or
 * an object with the feature names as keys (e.g. a RhythmFeatures); a categorical group reads a category name.
 * null, undefined and non-finite numbers are missing; keys that are not group names are ignored.
 */
export type PatientRow = Readonly<Record<string, unknown>>;

type FloatDType = Extract<DType, 'float32' | 'float64'>;

/** A token projection for one group. */
export abstract class TokenEmbedder extends Module {
  /** [N, dModel] */
  abstract embed(group: EncodedGroup): Tensor;
}

/** Linear([values with missing entries zeroed, missing flags]) -> dModel. */
export class NumericEmbedder extends TokenEmbedder {
  readonly proj: Linear;

  constructor(spec: NumericGroupSpec, dModel: number) {
    super();
    this.proj = this.registerModule('proj', new Linear(2 * spec.features.length, dModel));
  }

  embed(group: EncodedGroup): Tensor {
    return this.proj.forward(numericRaw(group));
  }
}

/** [values with missing entries zeroed, missing flags] [N, 2k]. */
function numericRaw(group: EncodedGroup): Tensor {
  // where() rather than a product so that NaN in a missing slot of a hand-made tensor cannot leak through.
  const known = F.where(F.gt(group.missing, 0.5), F.zeros(group.values.shape, group.values.dtype), group.values);
  return F.cat([known, group.missing], 1);
}

/** One-hot of the category index (unknown included) [N, categories], in the dtype of the missing flags. */
function categoricalRaw(spec: CategoricalGroupSpec, group: EncodedGroup): Tensor {
  const categories = F.arange(0, spec.categories.length, 1, 'int64');
  return F.toDtype(F.eq(F.unsqueeze(group.values, 1), categories), group.missing.dtype);
}

/** Embedding row per category (the unknown category has its own row; the mask decides whether it is attended). */
export class CategoricalEmbedder extends TokenEmbedder {
  readonly embedding: Embedding;

  constructor(spec: CategoricalGroupSpec, dModel: number) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(spec.categories.length, dModel));
  }

  embed(group: EncodedGroup): Tensor {
    return this.embedding.forward(group.values);
  }
}

interface TokenKindSpec<S extends TokenGroupSpec> {
  /** The group as a flat feature vector [N, rawWidth] (the concatenation baseline's input). */
  raw(spec: S, group: EncodedGroup): Tensor;
  rawWidth(spec: S): number;
  build(spec: S, dModel: number): TokenEmbedder;
  encode(spec: S, rows: readonly PatientRow[], dtype: FloatDType): EncodedGroup;
  /** Expected [values, missing] shapes for a batch of n (to check hand-made inputs). */
  shapes(spec: S, n: number): [number[], number[]];
  valuesDtype(dtype: DType): boolean;
}

const TOKEN_KINDS: { [K in TokenKind]: TokenKindSpec<Extract<TokenGroupSpec, { kind: K }>> } = {
  numeric: {
    raw: (_spec, group) => numericRaw(group),
    rawWidth: (spec) => 2 * spec.features.length,
    build: (spec, dModel) => new NumericEmbedder(spec, dModel),
    encode: encodeNumeric,
    shapes: (spec, n) => [
      [n, spec.features.length],
      [n, spec.features.length],
    ],
    valuesDtype: (dtype) => dtype === 'float32' || dtype === 'float64',
  },
  categorical: {
    raw: categoricalRaw,
    rawWidth: (spec) => spec.categories.length,
    build: (spec, dModel) => new CategoricalEmbedder(spec, dModel),
    encode: encodeCategorical,
    shapes: (_spec, n) => [[n], [n, 1]],
    valuesDtype: (dtype) => dtype === 'int64',
  },
};

function kindOf(spec: TokenGroupSpec): TokenKindSpec<TokenGroupSpec> {
  return TOKEN_KINDS[spec.kind] as TokenKindSpec<TokenGroupSpec>;
}

export function buildEmbedder(spec: TokenGroupSpec, dModel: number): TokenEmbedder {
  return kindOf(spec).build(spec, dModel);
}

export function rawFeatures(spec: TokenGroupSpec, group: EncodedGroup): Tensor {
  return kindOf(spec).raw(spec, group);
}

export function rawWidth(spec: TokenGroupSpec): number {
  return kindOf(spec).rawWidth(spec);
}

/** Patient rows -> tensors for every group (call inside scope(); float64 for gradchecks). */
export function encodePatients(
  groups: readonly TokenGroupSpec[],
  rows: readonly PatientRow[],
  dtype: FloatDType = 'float32',
): PatientTensors {
  if (rows.length === 0) throw new ConfigError('encodePatients: rows is empty');
  return Object.fromEntries(groups.map((spec) => [spec.name, kindOf(spec).encode(spec, rows, dtype)]));
}

/** Present tokens: [N] float, 1 when at least one feature of the group is known. */
export function presence(group: EncodedGroup): Tensor {
  const features = group.missing.shape[1]!;
  return F.toDtype(F.lt(F.sum(group.missing, 1), features - 0.5), group.missing.dtype);
}

/** Checks a PatientTensors against the groups for a batch of n; ConfigError/ShapeError name the group. */
export function checkPatients(groups: readonly TokenGroupSpec[], patients: PatientTensors, n: number): void {
  for (const spec of groups) {
    const group = patients[spec.name];
    if (group === undefined) {
      throw new ConfigError(`patients: group "${spec.name}" is missing (encode rows with encodePatients)`);
    }
    const [valuesShape, missingShape] = kindOf(spec).shapes(spec, n);
    if (group.values.shape.join() !== valuesShape.join() || !kindOf(spec).valuesDtype(group.values.dtype)) {
      throw new ShapeError(
        `patients.${spec.name}.values: expected ${spec.kind === 'numeric' ? 'float' : 'int64'}[${valuesShape.join(', ')}], got ${group.values.dtype}[${group.values.shape.join(', ')}]`,
      );
    }
    if (group.missing.shape.join() !== missingShape.join()) {
      throw new ShapeError(
        `patients.${spec.name}.missing: expected [${missingShape.join(', ')}], got [${group.missing.shape.join(', ')}]`,
      );
    }
  }
}

/**
 * A numeric group with mean/std refitted on rows (e.g. the training split), over known values only (sample SD).
 * A feature with fewer than two known values, or a constant one, keeps its previous statistics.
 */
export function fitStandardisation(spec: NumericGroupSpec, rows: readonly PatientRow[]): NumericGroupSpec {
  const columns = spec.features.map(() => [] as number[]);
  rows.forEach((row, r) => {
    readNumeric(spec, row[spec.name], r).forEach((v, i) => {
      if (v !== null) columns[i]!.push(v);
    });
  });
  const mean = [...spec.mean];
  const std = [...spec.std];
  columns.forEach((values, i) => {
    if (values.length < 2) return;
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
    if (!(sd > 0)) return;
    mean[i] = m;
    std[i] = sd;
  });
  return { ...spec, features: [...spec.features], mean, std };
}

function encodeNumeric(spec: NumericGroupSpec, rows: readonly PatientRow[], dtype: FloatDType): EncodedGroup {
  const k = spec.features.length;
  const values = new Float64Array(rows.length * k);
  const missing = new Float64Array(rows.length * k);
  rows.forEach((row, r) => {
    readNumeric(spec, row[spec.name], r).forEach((v, i) => {
      if (v === null) missing[r * k + i] = 1;
      else values[r * k + i] = (v - spec.mean[i]!) / spec.std[i]!;
    });
  });
  return {
    values: F.tensor(values, [rows.length, k], dtype),
    missing: F.tensor(missing, [rows.length, k], dtype),
  };
}

function encodeCategorical(spec: CategoricalGroupSpec, rows: readonly PatientRow[], dtype: FloatDType): EncodedGroup {
  const unknown = spec.categories.indexOf(spec.unknown);
  const index = new BigInt64Array(rows.length);
  const missing = new Float64Array(rows.length);
  rows.forEach((row, r) => {
    const value = row[spec.name];
    let i = unknown;
    if (value !== null && value !== undefined) {
      i = typeof value === 'string' ? spec.categories.indexOf(value) : -1;
      if (i < 0) {
        throw new ConfigError(
          `patients[${r}].${spec.name}: ${JSON.stringify(value)} is not one of ${spec.categories.join(', ')}`,
        );
      }
    }
    index[r] = BigInt(i);
    missing[r] = i === unknown ? 1 : 0;
  });
  return { values: F.tensor(index, [rows.length]), missing: F.tensor(missing, [rows.length, 1], dtype) };
}

/** One row's raw (unstandardised) values of a numeric group, null where missing. */
function readNumeric(spec: NumericGroupSpec, value: unknown, row: number): Array<number | null> {
  const where = `patients[${row}].${spec.name}`;
  const k = spec.features.length;
  if (value === null || value === undefined) return spec.features.map(() => null);
  if (typeof value === 'number') {
    if (k !== 1) throw new ConfigError(`${where}: a single number, but the group has ${k} features`);
    return [finiteOrNull(value, where)];
  }
  if (Array.isArray(value)) {
    if (value.length !== k) throw new ConfigError(`${where}: ${value.length} values, the group has ${k} features`);
    return value.map((v: unknown, i) => finiteOrNull(v, `${where}[${i}]`));
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return spec.features.map((name) => finiteOrNull(record[name], `${where}.${name}`));
  }
  throw new ConfigError(`${where}: expected a number, an array or an object, got ${typeof value}`);
}

function finiteOrNull(value: unknown, where: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') throw new ConfigError(`${where}: expected a number or null, got ${typeof value}`);
  return Number.isFinite(value) ? value : null;
}
