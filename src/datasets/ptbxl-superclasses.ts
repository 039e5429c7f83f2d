/**
 * Other datasets seen through PTB-XL's superdiagnostic classes, for external validation of a PTB-XL model
 * (`evaluate --model <PTB-XL model> --dataset cpsc2018|code15|cinc2021`). Each source class is first named as the SCP-ECG
 * statement it is (a judgement, written here), and the statement's superclass is then PTB-XL's own
 * (`scp_statements.csv`, column diagnostic_class; the test checks this table against the whole file). Statements
 * without a diagnostic class there (rhythms such as AFIB, forms such as PVC or STD_) map to nothing.
 *
 * Only superclasses that some source class maps to are scored, and a record is negative for them when it carries
 * none of their source classes. That is exact for NORM (CPSC 2018's Normal excludes its other eight classes) and
 * approximate for CD: a conduction disturbance the source does not annotate (left anterior fascicular block, WPW...)
 * counts as absent.
 */
import { CINC2021_SCORED } from './cinc2021-classes.js';
import type { Dataset, DatasetEntry } from './types.js';

export const PTBXL_SUPERCLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'] as const;

/** SCP-ECG statement -> PTB-XL diagnostic_class (null: none), for the statements the sources below use. */
export const SCP_SUPERCLASS: Readonly<Record<string, string | null>> = {
  NORM: 'NORM',
  '1AVB': 'CD',
  CLBBB: 'CD',
  CRBBB: 'CD',
  IRBBB: 'CD',
  LAFB: 'CD',
  IVCD: 'CD',
  AFIB: null,
  PAC: null,
  PVC: null,
  STD_: null,
  STE_: null,
  SBRAD: null,
  STACH: null,
};

/**
 * CinC 2020/21's scored classes (by abbreviation) as statements. Prolonged QT (PTB-XL's LNGQT, an STTC statement) is
 * left out: the challenge scores no ST-segment class, so STTC's negatives would hold every unannotated ST change.
 */
const CINC2021_STATEMENTS: Readonly<Record<string, string>> = {
  'CLBBB|LBBB': 'CLBBB',
  'CRBBB|RBBB': 'CRBBB',
  IAVB: '1AVB',
  IRBBB: 'IRBBB',
  LAnFB: 'LAFB',
  NSIVCB: 'IVCD',
  AF: 'AFIB',
  SB: 'SBRAD',
  STach: 'STACH',
  'PAC|SVPB': 'PAC',
  'PVC|VPB': 'PVC',
};

/** Each source dataset's classes as SCP-ECG statements. */
export const SCP_STATEMENT_OF: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  cpsc2018: {
    Normal: 'NORM',
    AF: 'AFIB',
    'I-AVB': '1AVB',
    LBBB: 'CLBBB',
    RBBB: 'CRBBB',
    PAC: 'PAC',
    PVC: 'PVC',
    STD: 'STD_',
    STE: 'STE_',
  },
  code15: { '1dAVb': '1AVB', RBBB: 'CRBBB', LBBB: 'CLBBB', SB: 'SBRAD', ST: 'STACH', AF: 'AFIB' },
  cinc2021: Object.fromEntries(
    CINC2021_SCORED.filter(({ abbreviation }) => abbreviation in CINC2021_STATEMENTS).map((diagnosis) => [
      diagnosis.codes.join('|'),
      CINC2021_STATEMENTS[diagnosis.abbreviation]!,
    ]),
  ),
};

export interface SuperclassView {
  /** The source dataset with PTB-XL superclasses as its classes (multi-label) and its entries relabelled. */
  dataset: Dataset;
  /** Source class -> superclass, for the classes that have one. */
  classMap: Record<string, string>;
}

/**
 * `dataset` relabelled into the superclasses of `modelLabels` (a PTB-XL superdiagnostic model's outputs), or null
 * when the dataset has no such mapping or none of its classes reaches one of the model's.
 */
export function ptbxlSuperclassView(dataset: Dataset, modelLabels: readonly string[]): SuperclassView | null {
  // Own keys only: a cached dataset's name and classes come from its index file ("constructor" is no dataset).
  if (!Object.hasOwn(SCP_STATEMENT_OF, dataset.name)) return null;
  const statements = SCP_STATEMENT_OF[dataset.name]!;
  if (!modelLabels.every((label) => (PTBXL_SUPERCLASSES as readonly string[]).includes(label))) return null;
  const classMap: Record<string, string> = {};
  for (const name of dataset.classes) {
    const statement = Object.hasOwn(statements, name) ? statements[name]! : '';
    const superclass = Object.hasOwn(SCP_SUPERCLASS, statement) ? (SCP_SUPERCLASS[statement] ?? null) : null;
    if (superclass !== null && modelLabels.includes(superclass)) classMap[name] = superclass;
  }
  const classes = modelLabels.filter((label) => Object.values(classMap).includes(label));
  if (classes.length === 0) return null;
  const relabel = (entry: DatasetEntry): DatasetEntry => {
    const reached = new Set(entry.labels.map((index) => classMap[dataset.classes[index]!]));
    return { ...entry, labels: classes.flatMap((name, index) => (reached.has(name) ? [index] : [])) };
  };
  return {
    dataset: { ...dataset, classes, labelKind: 'multi-label', entries: dataset.entries.map(relabel) },
    classMap,
  };
}
