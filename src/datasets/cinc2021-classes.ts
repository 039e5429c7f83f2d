/**
 * The scored diagnoses of the PhysioNet/CinC Challenge 2021 (weights.csv of the official evaluation code), in
 * its column order. Four pairs of SNOMED-CT codes are scored as one class (the challenge's equivalent classes):
 * CLBBB|LBBB, CRBBB|RBBB, PAC|SVPB, PVC|VPB. Class names are the challenge's keys ("733534002|164909002").
 */
export interface ScoredDiagnosis {
  /** SNOMED-CT codes counted as this class; the first is the challenge's primary code. */
  codes: readonly string[];
  abbreviation: string;
  description: string;
}

export const CINC2021_SCORED: readonly ScoredDiagnosis[] = [
  { codes: ['164889003'], abbreviation: 'AF', description: 'atrial fibrillation' },
  { codes: ['164890007'], abbreviation: 'AFL', description: 'atrial flutter' },
  { codes: ['6374002'], abbreviation: 'BBB', description: 'bundle branch block' },
  { codes: ['426627000'], abbreviation: 'Brady', description: 'bradycardia' },
  {
    codes: ['733534002', '164909002'],
    abbreviation: 'CLBBB|LBBB',
    description: 'complete left bundle branch block | left bundle branch block',
  },
  {
    codes: ['713427006', '59118001'],
    abbreviation: 'CRBBB|RBBB',
    description: 'complete right bundle branch block | right bundle branch block',
  },
  { codes: ['270492004'], abbreviation: 'IAVB', description: '1st degree AV block' },
  { codes: ['713426002'], abbreviation: 'IRBBB', description: 'incomplete right bundle branch block' },
  { codes: ['39732003'], abbreviation: 'LAD', description: 'left axis deviation' },
  { codes: ['445118002'], abbreviation: 'LAnFB', description: 'left anterior fascicular block' },
  { codes: ['164947007'], abbreviation: 'LPR', description: 'prolonged PR interval' },
  { codes: ['251146004'], abbreviation: 'LQRSV', description: 'low QRS voltages' },
  { codes: ['111975006'], abbreviation: 'LQT', description: 'prolonged QT interval' },
  {
    codes: ['698252002'],
    abbreviation: 'NSIVCB',
    description: 'nonspecific intraventricular conduction disorder',
  },
  { codes: ['426783006'], abbreviation: 'NSR', description: 'sinus rhythm' },
  {
    codes: ['284470004', '63593006'],
    abbreviation: 'PAC|SVPB',
    description: 'premature atrial contraction | supraventricular premature beats',
  },
  { codes: ['10370003'], abbreviation: 'PR', description: 'pacing rhythm' },
  { codes: ['365413008'], abbreviation: 'PRWP', description: 'poor R wave progression' },
  {
    codes: ['427172004', '17338001'],
    abbreviation: 'PVC|VPB',
    description: 'premature ventricular contractions | ventricular premature beats',
  },
  { codes: ['164917005'], abbreviation: 'QAb', description: 'Q wave abnormal' },
  { codes: ['47665007'], abbreviation: 'RAD', description: 'right axis deviation' },
  { codes: ['427393009'], abbreviation: 'SA', description: 'sinus arrhythmia' },
  { codes: ['426177001'], abbreviation: 'SB', description: 'sinus bradycardia' },
  { codes: ['427084000'], abbreviation: 'STach', description: 'sinus tachycardia' },
  { codes: ['164934002'], abbreviation: 'TAb', description: 'T wave abnormal' },
  { codes: ['59931005'], abbreviation: 'TInv', description: 'T wave inversion' },
];

/** Class names as the challenge writes them: the codes joined by "|". */
export const CINC2021_CLASSES: readonly string[] = CINC2021_SCORED.map((diagnosis) =>
  diagnosis.codes.join('|'),
);

const CLASS_OF_CODE = new Map(
  CINC2021_SCORED.flatMap((diagnosis, index) => diagnosis.codes.map((code) => [code, index] as const)),
);

/** Scored class indices of a `#Dx` field ("59118001,164884008"); unscored codes are ignored. */
export function scoredClassesOfDx(dx: string): number[] {
  const indices = new Set<number>();
  for (const code of dx.split(',').map((part) => part.trim())) {
    const index = CLASS_OF_CODE.get(code);
    if (index !== undefined) indices.add(index);
  }
  return [...indices].sort((a, b) => a - b);
}

/**
 * CPSC 2018's nine classes in the CinC 2020 WFDB release: SNOMED codes -> CPSC class index (0-based, see
 * CPSC2018_CLASSES). PVC appears as 164884008 (ventricular ectopics) in that release; equivalent codes included.
 */
export const CPSC2018_CLASS_OF_SNOMED: Readonly<Record<string, number>> = {
  '426783006': 0,
  '164889003': 1,
  '270492004': 2,
  '164909002': 3,
  '733534002': 3,
  '59118001': 4,
  '713427006': 4,
  '284470004': 5,
  '63593006': 5,
  '164884008': 6,
  '427172004': 6,
  '17338001': 6,
  '429622005': 7,
  '164931005': 8,
};
