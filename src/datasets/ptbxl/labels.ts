/**
 * PTB-XL index parsing and label aggregation (pure: text in, typed values out), following the PTB-XL
 * benchmark (Strodthoff et al. 2020): every SCP code listed for a record counts whatever its likelihood,
 * diagnostic codes map to their diagnostic_subclass / diagnostic_class through scp_statements.csv, and
 * records left without a label for the chosen task are dropped (and counted).
 */
import { excerpt, FormatError } from '../../errors.js';
import type { Sex } from '../../io/record.js';
import { parseCsvObjects, parsePythonNumberDict } from '../csv.js';
import type { PatientFeatures, SplitName } from '../types.js';

export const PTBXL_LABEL_SETS = [
  'all',
  'diagnostic',
  'subdiagnostic',
  'superdiagnostic',
  'form',
  'rhythm',
] as const;
export type PtbxlLabelSet = (typeof PTBXL_LABEL_SETS)[number];

/** The five superclasses in the order of the PTB-XL paper. */
export const PTBXL_SUPERCLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'] as const;

/** PTB-XL writes 300 for "older than 89" (HIPAA); we map it to 90 and keep a flag. */
const PTBXL_AGE_CAP_CODE = 300;
const PTBXL_CAPPED_AGE = 90;

export interface ScpStatement {
  code: string;
  diagnostic: boolean;
  form: boolean;
  rhythm: boolean;
  diagnosticClass: string | null;
  diagnosticSubclass: string | null;
}

export interface PtbxlRow {
  ecgId: number;
  patientId: string | null;
  patient: PatientFeatures;
  /** SCP code -> likelihood (0-100; 0 for form/rhythm codes and unknown likelihoods). */
  scpCodes: Map<string, number>;
  stratFold: number | null;
  filenameLr: string;
  filenameHr: string;
}

const DATABASE_COLUMNS = [
  'ecg_id',
  'patient_id',
  'age',
  'sex',
  'scp_codes',
  'strat_fold',
  'filename_lr',
  'filename_hr',
];

/**
 * scp_statements.csv as a map code -> statement. A diagnostic_class must be one of PTBXL_SUPERCLASSES (or empty,
 * as on every non-diagnostic row of the official file), and a diagnostic statement must have one: anything else would
 * be a superdiagnostic label without a class (index -1) or a diagnosis silently dropped. A code listed twice is refused.
 */
export function parseScpStatements(text: string, source: string): Map<string, ScpStatement> {
  const rows = parseCsvObjects(text, source, [
    '',
    'diagnostic',
    'form',
    'rhythm',
    'diagnostic_class',
    'diagnostic_subclass',
  ]);
  const flag = (value: string | undefined) => value !== undefined && value !== '' && Number(value) === 1;
  const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
  const superclasses: readonly string[] = PTBXL_SUPERCLASSES;
  const lineOf = new Map<string, number>();
  return new Map(
    rows.map((row, index) => {
      const line = index + 2;
      const code = row[''] ?? '';
      if (code === '') throw new FormatError(source, `row ${line}: a statement row has no SCP code`);
      const previous = lineOf.get(code);
      if (previous !== undefined)
        throw new FormatError(source, `row ${line}: statement ${code} is already listed on row ${previous}`);
      lineOf.set(code, line);
      const diagnosticClass = orNull(row.diagnostic_class);
      if (diagnosticClass !== null && !superclasses.includes(diagnosticClass))
        throw new FormatError(
          source,
          `row ${line}: statement ${code} has diagnostic_class ${JSON.stringify(excerpt(diagnosticClass))}, not one of ${superclasses.join(', ')}`,
        );
      if (flag(row.diagnostic) && diagnosticClass === null)
        throw new FormatError(source, `row ${line}: diagnostic statement ${code} has no diagnostic_class`);
      const statement: ScpStatement = {
        code,
        diagnostic: flag(row.diagnostic),
        form: flag(row.form),
        rhythm: flag(row.rhythm),
        diagnosticClass,
        diagnosticSubclass: orNull(row.diagnostic_subclass),
      };
      return [code, statement];
    }),
  );
}

/** Parses a float column value ("56.0") or null when empty; FormatError when not a number. */
function optionalNumber(
  value: string | undefined,
  column: string,
  rowLabel: string,
  source: string,
): number | null {
  if (value === undefined || value.trim() === '') return null;
  const number = Number(value);
  if (!Number.isFinite(number))
    throw new FormatError(source, `${rowLabel}: ${column} is not a number: ${JSON.stringify(value)}`);
  return number;
}

function ptbxlSex(value: number | null, rowLabel: string, source: string): Sex {
  if (value === null) return 'unknown';
  if (value === 0) return 'male';
  if (value === 1) return 'female';
  throw new FormatError(source, `${rowLabel}: sex must be 0 (male) or 1 (female), got ${value}`);
}

export function ptbxlPatientFeatures(age: number | null, sex: Sex): PatientFeatures {
  if (age === PTBXL_AGE_CAP_CODE) return { age: PTBXL_CAPPED_AGE, sex, ageCapped: true };
  return { age, sex, ageCapped: false };
}

/** ptbxl_database.csv's rows. An ecg_id listed twice is refused (it could put one record in two splits). */
export function parsePtbxlDatabase(text: string, source: string): PtbxlRow[] {
  const rowOf = new Map<number, number>();
  return parseCsvObjects(text, source, DATABASE_COLUMNS).map((row, index) => {
    const rowLabel = `row ${index + 2}`;
    const ecgId = optionalNumber(row.ecg_id, 'ecg_id', rowLabel, source);
    if (ecgId === null || !Number.isInteger(ecgId))
      throw new FormatError(source, `${rowLabel}: missing or non-integer ecg_id`);
    const previous = rowOf.get(ecgId);
    if (previous !== undefined)
      throw new FormatError(source, `${rowLabel}: ecg_id ${ecgId} is already listed on row ${previous}`);
    rowOf.set(ecgId, index + 2);
    const label = `ecg_id ${ecgId}`;
    const patientId = optionalNumber(row.patient_id, 'patient_id', label, source);
    const sex = ptbxlSex(optionalNumber(row.sex, 'sex', label, source), label, source);
    const fold = optionalNumber(row.strat_fold, 'strat_fold', label, source);
    if (fold !== null && !(Number.isInteger(fold) && fold >= 1 && fold <= 10)) {
      throw new FormatError(source, `${label}: strat_fold must be 1-10, got ${fold}`);
    }
    const scpText = row.scp_codes ?? '';
    return {
      ecgId,
      patientId: patientId === null ? null : String(patientId),
      patient: ptbxlPatientFeatures(optionalNumber(row.age, 'age', label, source), sex),
      scpCodes:
        scpText.trim() === '' ? new Map() : parsePythonNumberDict(scpText, `${source} (${label} scp_codes)`),
      stratFold: fold,
      filenameLr: row.filename_lr ?? '',
      filenameHr: row.filename_hr ?? '',
    };
  });
}

/** The official PTB-XL recommendation: folds 1-8 train, 9 validation, 10 test. */
export function ptbxlSplit(fold: number): SplitName {
  if (fold === 10) return 'test';
  if (fold === 9) return 'val';
  return 'train';
}

/** What one SCP statement contributes to a label set (null: nothing). */
function labelOf(statement: ScpStatement | undefined, code: string, set: PtbxlLabelSet): string | null {
  switch (set) {
    case 'all':
      return statement === undefined ? null : code;
    case 'diagnostic':
      return statement?.diagnostic ? code : null;
    case 'subdiagnostic':
      return statement?.diagnostic ? statement.diagnosticSubclass : null;
    case 'superdiagnostic':
      return statement?.diagnostic ? statement.diagnosticClass : null;
    case 'form':
      return statement?.form ? code : null;
    case 'rhythm':
      return statement?.rhythm ? code : null;
  }
}

/**
 * The label names of one record for a label set. `minLikelihood` (default 0: every listed code counts)
 * applies to diagnostic statements only: PTB-XL gives form and rhythm statements likelihood 0 by convention.
 */
export function aggregatePtbxlLabels(
  scpCodes: ReadonlyMap<string, number>,
  statements: ReadonlyMap<string, ScpStatement>,
  set: PtbxlLabelSet,
  minLikelihood = 0,
): string[] {
  const labels = new Set<string>();
  for (const [code, likelihood] of scpCodes) {
    const statement = statements.get(code);
    if (statement?.diagnostic && likelihood < minLikelihood) continue;
    const label = labelOf(statement, code, set);
    if (label !== null) labels.add(label);
  }
  return [...labels].sort();
}

/**
 * The class list of a label set, taken from scp_statements.csv (not from the records, so that a subset of
 * PTB-XL yields the same class order as the full data): superdiagnostic in the paper's order, the others sorted
 * as the benchmark's MultiLabelBinarizer sorts them.
 */
export function ptbxlClasses(statements: ReadonlyMap<string, ScpStatement>, set: PtbxlLabelSet): string[] {
  if (set === 'superdiagnostic') return [...PTBXL_SUPERCLASSES];
  const names = new Set<string>();
  for (const statement of statements.values()) {
    const label = labelOf(statement, statement.code, set);
    if (label !== null) names.add(label);
  }
  return [...names].sort();
}
