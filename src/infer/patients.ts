/**
 * Patient rows -> the fusion model's patient inputs, without the tensor engine: the same encoding as
 * src/models/fusion/patients.ts encodePatients (numeric: standardised values + missing flags; categorical: category
 * index + missing flag), written into plain typed arrays for onnxruntime.
 */
import { ConfigError } from '../errors.js';
import type { EcgRecord } from '../io/record.js';
import type { PatientGroup } from './metadata.js';

/** One patient's values by group name (e.g. { age: 63, sex: 'female' }); null/undefined = unknown. */
export type PatientValues = Readonly<Record<string, unknown>>;

export interface PatientFeed {
  name: string;
  data: Float32Array | BigInt64Array;
  dims: number[];
}

/**
 * Ages in years a model is given: what the server takes from a client, the page from its field. A record header's age
 * outside (the readers keep up to 149) is read as unknown, with a notice, rather than fed to a fusion model.
 */
export const AGE_RANGE = { min: 0, max: 130 } as const;

export function isAcceptedAge(age: number): boolean {
  return age >= AGE_RANGE.min && age <= AGE_RANGE.max;
}

/** Age and sex as the record's header gives them; an age outside AGE_RANGE is unknown, and `notice` says so. */
export function patientOfRecord(record: EcgRecord): { patient: PatientValues; notice: string | null } {
  const { age, sex } = record;
  if (age === null || isAcceptedAge(age)) return { patient: { age, sex }, notice: null };
  return {
    patient: { age: null, sex },
    notice: `the header's age ${age} is outside ${AGE_RANGE.min}-${AGE_RANGE.max} years: read as unknown`,
  };
}

/** The feeds of every group for `count` copies of one patient (one per window). */
export function patientFeeds(
  groups: readonly PatientGroup[],
  patient: PatientValues,
  count: number,
): PatientFeed[] {
  return groups.flatMap((group) => {
    const value = patient[group.name];
    if (group.kind === 'categorical') {
      const index = categoryIndex(group, value);
      const missing = index === group.categories.indexOf(group.unknown) ? 1 : 0;
      return [
        { name: group.inputs.values, data: new BigInt64Array(count).fill(BigInt(index)), dims: [count] },
        { name: group.inputs.missing, data: new Float32Array(count).fill(missing), dims: [count, 1] },
      ];
    }
    const raw = numericValues(group, value);
    const k = group.features.length;
    const values = new Float32Array(count * k);
    const missing = new Float32Array(count * k);
    for (let r = 0; r < count; r++) {
      raw.forEach((v, i) => {
        if (v === null) missing[r * k + i] = 1;
        else values[r * k + i] = (v - group.mean[i]!) / group.std[i]!;
      });
    }
    return [
      { name: group.inputs.values, data: values, dims: [count, k] },
      { name: group.inputs.missing, data: missing, dims: [count, k] },
    ];
  });
}

function categoryIndex(group: Extract<PatientGroup, { kind: 'categorical' }>, value: unknown): number {
  if (value === null || value === undefined) return group.categories.indexOf(group.unknown);
  const index = typeof value === 'string' ? group.categories.indexOf(value) : -1;
  if (index < 0) {
    throw new ConfigError(
      `patient.${group.name}: ${JSON.stringify(value)} is not one of ${group.categories.join(', ')}`,
    );
  }
  return index;
}

function numericValues(
  group: Extract<PatientGroup, { kind: 'numeric' }>,
  value: unknown,
): Array<number | null> {
  const k = group.features.length;
  const finite = (v: unknown, where: string): number | null => {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'number') throw new ConfigError(`${where}: expected a number or null, got ${typeof v}`);
    return Number.isFinite(v) ? v : null;
  };
  const where = `patient.${group.name}`;
  if (value === null || value === undefined) return group.features.map(() => null);
  if (typeof value === 'number') {
    if (k !== 1) throw new ConfigError(`${where}: a single number, but the group has ${k} features`);
    return [finite(value, where)];
  }
  if (Array.isArray(value)) {
    if (value.length !== k)
      throw new ConfigError(`${where}: ${value.length} values, the group has ${k} features`);
    return value.map((v: unknown, i) => finite(v, `${where}[${i}]`));
  }
  if (typeof value === 'object') {
    return group.features.map((name) => finite((value as Record<string, unknown>)[name], `${where}.${name}`));
  }
  throw new ConfigError(`${where}: expected a number, an array or an object, got ${typeof value}`);
}
