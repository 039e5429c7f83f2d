/**
 * Pure parsers of the label files of CinC 2017 (`REFERENCE.csv`: `record,label`, no header) and CPSC 2018
 * (`REFERENCE.csv`: `Recording,First_label,Second_label,Third_label`, classes 1-9).
 */
import { FormatError } from '../errors.js';
import { parseCsv } from './csv.js';

export const CINC2017_CLASSES = ['N', 'A', 'O', '~'] as const;
export const CINC2017_CLASS_NAMES: Record<(typeof CINC2017_CLASSES)[number], string> = {
  N: 'Normal sinus rhythm',
  A: 'Atrial fibrillation',
  O: 'Other rhythm',
  '~': 'Too noisy to classify',
};

/** CPSC 2018 label numbers 1-9, in order (label k is CPSC2018_CLASSES[k - 1]). */
export const CPSC2018_CLASSES = [
  'Normal',
  'AF',
  'I-AVB',
  'LBBB',
  'RBBB',
  'PAC',
  'PVC',
  'STD',
  'STE',
] as const;

/** record -> class index. A header line ("data_source,class" in some copies) is skipped. */
export function parseCinc2017Reference(text: string, source: string): Map<string, number> {
  const labels = new Map<string, number>();
  parseCsv(text, source).forEach((row, index) => {
    const [record = '', label = ''] = row.map((field) => field.trim());
    if (index === 0 && !/^[A-Z]\d+$/.test(record)) return;
    const classIndex = (CINC2017_CLASSES as readonly string[]).indexOf(label);
    if (row.length !== 2 || record === '' || classIndex < 0) {
      throw new FormatError(
        source,
        `line ${index + 1}: expected "record,label" with label N, A, O or ~, got ${JSON.stringify(row.join(','))}`,
      );
    }
    if (labels.has(record)) throw new FormatError(source, `line ${index + 1}: record ${record} listed twice`);
    labels.set(record, classIndex);
  });
  return labels;
}

/** record -> ascending class indices (0-based) from up to three labels per record. */
export function parseCpsc2018Reference(text: string, source: string): Map<string, number[]> {
  const [header, ...rows] = parseCsv(text, source);
  if (header?.[0]?.trim() !== 'Recording')
    throw new FormatError(source, 'expected the header "Recording,First_label,Second_label,Third_label"');
  const labels = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const [record = '', ...fields] = row.map((field) => field.trim());
    const numbers = fields.filter((field) => field !== '').map(Number);
    if (
      record === '' ||
      numbers.length === 0 ||
      numbers.some((n) => !Number.isInteger(n) || n < 1 || n > 9)
    ) {
      throw new FormatError(
        source,
        `line ${index + 2}: expected a record and 1-3 labels in 1-9, got ${JSON.stringify(row.join(','))}`,
      );
    }
    // A second row would silently replace the first one's labels.
    if (labels.has(record)) throw new FormatError(source, `line ${index + 2}: record ${record} listed twice`);
    // In REFERENCE.csv's order: the challenge's score counts a wrong prediction in the row of the FIRST label.
    labels.set(record, [...new Set(numbers.map((n) => n - 1))]);
  });
  return labels;
}
