/**
 * The legend: what each bundled class abbreviation means, shown beside every probability (CLI table, CSV header
 * note, HTML report, page, JSON `classes[].name`). Pure data: runs in the browser too.
 */

/** Class label -> plain name, by the label sets of the bundled datasets (CinC 2017, PTB-XL superclasses, AAMI). */
const LEGENDS: ReadonlyArray<Readonly<Record<string, string>>> = [
  {
    N: 'normal sinus rhythm',
    A: 'atrial fibrillation (AF)',
    O: 'other rhythm',
    '~': 'noisy (too noisy to classify)',
  },
  {
    NORM: 'normal ECG',
    MI: 'myocardial infarction',
    STTC: 'ST/T change',
    CD: 'conduction disturbance',
    HYP: 'hypertrophy',
  },
  {
    N: 'normal or bundle branch block beat',
    S: 'supraventricular ectopic beat',
    V: 'ventricular ectopic beat',
    F: 'fusion of ventricular and normal beat',
    Q: 'unclassifiable or paced beat',
  },
];

/** Labels a model uses for "this record is noise, not ECG" (its own quality opinion). */
export const NOISE_LABELS: ReadonlySet<string> = new Set(['~', 'noise', 'Noisy']);

/**
 * The legend of one model's classes: the first known label set that contains all of them (so N means "normal sinus
 * rhythm" for a CinC 2017 model and "normal beat" for a beat model); a label not found keeps its own text. Own keys
 * only: a label such as `constructor` must not find Object.prototype's function.
 */
export function classLegend(labels: readonly string[]): Record<string, string> {
  const set = LEGENDS.find((legend) => labels.every((label) => Object.hasOwn(legend, label)));
  return Object.fromEntries(labels.map((label) => [label, set === undefined ? label : set[label]!]));
}

/** "N normal sinus rhythm; A atrial fibrillation (AF); ...": one line for tables and reports. */
export function legendLine(labels: readonly string[]): string {
  const legend = classLegend(labels);
  return labels.map((label) => `${label} ${legend[label]}`).join('; ');
}
