/**
 * `predict` output, all from the one result schema (src/infer/result.ts): a streaming terminal table (one block per
 * record as it completes: the diagnosis or why there is none, every class's probability beside its threshold with
 * the passing ones marked, heart rate and intervals, the quality warnings and notices), JSON Lines (the EcgResult
 * itself), or CSV with one column per class, plus an HTML report (src/infer/prediction-report.ts).
 */
import { classLegend } from './legend.js';
import { diagnosisLine, type ClassScore, type EcgResult, type FileResult } from './result.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * "AF 0.912 >= 0.639 *": probability, the threshold it is held against, * when it passed. Both to the same 3
 * decimals: a threshold rounded coarser could read above a probability that passed it (0.676 >= 0.68). The sign
 * is `passed` (decided on unrounded values): the rounded ones can tie (0.4846 and 0.4846 for 0.48461 < 0.48464).
 */
export function classText(c: ClassScore): string {
  const against = c.threshold === null ? '' : ` ${c.passed ? '>=' : '<'} ${c.threshold.toFixed(3)}`;
  return `${c.label} ${c.probability.toFixed(3)}${against}${c.passed ? ' *' : ''}`;
}

const INTERVAL_NAMES = { pr: 'PR', qrs: 'QRS', qt: 'QT', qtc: 'QTc' } as const;

/** "HR 72/min  PR 160 ms  QRS 92 ms  QT 380 ms  QTc 416 ms  axis 45°" (what was measured). */
export function measurementText(result: EcgResult): string {
  const m = result.measurements;
  if (m === null) return '';
  const parts = [
    m.heartRate === null ? null : `HR ${m.heartRate}/min`,
    ...(['pr', 'qrs', 'qt', 'qtc'] as const).map((key) =>
      m[key] === null ? null : `${INTERVAL_NAMES[key]} ${m[key]} ms`,
    ),
    m.axis === null ? null : `axis ${m.axis}°`,
  ].filter((p) => p !== null);
  return parts.join('  ');
}

function clipLeft(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `…${text.slice(text.length - width + 1)}`;
}

/** Printed once before the first record. */
export function tableHeader(): string {
  return (
    'Probabilities: * passed (multi-label: at or above the threshold chosen on validation; single-label: most ' +
    'probable; beat models: the share of beats in each class, * when at least one)\n\n'
  );
}

export function tableLine(result: FileResult): string {
  if (!result.ok) return `${clipLeft(result.file, 40).trimEnd()}: ERROR ${result.error}\n\n`;
  const lines = [
    `${result.file}  [${result.model}${result.untrained ? ', UNTRAINED MODEL: not a diagnosis' : ''}]`,
    result.quality.diagnosable
      ? `  Diagnosis: ${diagnosisLine(result)}`
      : `  NOT DIAGNOSABLE: ${result.quality.summary.replace(/^not diagnosable: /, '')}`,
  ];
  if (result.classes.length > 0) lines.push(`  ${result.classes.map(classText).join('  |  ')}`);
  if (result.noise && !result.noise.passed)
    lines.push(`  model's own noise class ${result.noise.label}: ${result.noise.probability.toFixed(3)}`);
  const measured = measurementText(result);
  if (measured) lines.push(`  ${measured}`);
  if (result.quality.diagnosable && result.quality.flags.length > 0)
    lines.push(`  quality: ${result.quality.flags.map((f) => f.message).join('; ')}`);
  lines.push(...result.notices.map((n) => `  note: ${n}`));
  const legend = shownLegend(result.classes.map((c) => c.label));
  if (legend !== '') lines.push(`  legend: ${legend}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * The class columns of the CSV: those of the bundled models (a batch may route records to several), each class
 * once; a model with other classes puts them in `other_probabilities`.
 */
export const CSV_CLASSES = ['N', 'A', 'O', '~', 'NORM', 'MI', 'STTC', 'CD', 'HYP', 'S', 'V', 'F', 'Q'];

const CSV_FIXED = [
  'file',
  'record',
  'model',
  'task',
  'diagnosable',
  'labels',
  'quality',
  'heart_rate',
  'pr_ms',
  'qrs_ms',
  'qt_ms',
  'qtc_ms',
  'axis_deg',
];

export function csvHeader(classes: readonly string[] = CSV_CLASSES): string {
  const columns = [...CSV_FIXED, ...classes.map((c) => `p_${c}`), 'other_probabilities', 'notices', 'error'];
  return `${columns.map(csvCell).join(',')}\n`;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(result: FileResult, classes: readonly string[] = CSV_CLASSES): string {
  const empty = (n: number) => new Array<string>(n).fill('');
  if (!result.ok) {
    const cells = [result.file, ...empty(CSV_FIXED.length - 1 + classes.length + 2), result.error];
    return `${cells.map(csvCell).join(',')}\n`;
  }
  const m = result.measurements;
  const number = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  const byLabel = new Map(result.classes.map((c) => [c.label, c.probability]));
  const others = result.classes.filter((c) => !classes.includes(c.label));
  const cells = [
    result.file,
    result.record.name,
    result.model,
    result.task,
    String(result.quality.diagnosable),
    result.labels?.join(' ') ?? '',
    result.quality.summary,
    number(m?.heartRate),
    number(m?.pr),
    number(m?.qrs),
    number(m?.qt),
    number(m?.qtc),
    number(m?.axis),
    ...classes.map((c) => (byLabel.has(c) ? byLabel.get(c)!.toFixed(6) : '')),
    others.map((c) => `${c.label}=${c.probability.toFixed(6)}`).join(' '),
    result.notices.join(' | '),
    '',
  ];
  return `${cells.map(csvCell).join(',')}\n`;
}

export function jsonLine(result: FileResult): string {
  return `${JSON.stringify(result)}\n`;
}

/**
 * The CSV columns for a batch whose model is known: the bundled classes, then that model's other labels in its own
 * columns (a fine-tuned model's AF or other would otherwise share one other_probabilities cell).
 */
export function csvClasses(modelLabels: readonly string[] | null): string[] {
  return [...CSV_CLASSES, ...(modelLabels ?? []).filter((label) => !CSV_CLASSES.includes(label))];
}

/** The CSV line format over `classes` (csvClasses). */
export function csvFormat(classes: readonly string[]): {
  header: () => string;
  line: (result: FileResult) => string;
} {
  return { header: () => csvHeader(classes), line: (result) => csvLine(result, classes) };
}

export const LINE_FORMATS: Record<
  OutputFormat,
  { header: () => string; line: (result: FileResult) => string }
> = {
  table: { header: tableHeader, line: tableLine },
  json: { header: () => '', line: jsonLine },
  csv: { header: () => csvHeader(), line: (result) => csvLine(result) },
};

/**
 * "N normal sinus rhythm; A atrial fibrillation (AF); ...": the legend of `labels` (legend.ts legendLine) without
 * the labels that are their own name (a trained model's "AF" or "other": "AF AF" says nothing); empty when every
 * label is.
 */
function shownLegend(labels: readonly string[]): string {
  const legend = classLegend(labels);
  return labels
    .filter((label) => legend[label] !== label)
    .map((label) => `${label} ${legend[label]}`)
    .join('; ');
}

/** The legend of every class a result shows (labels that are their own name left out), for reports. */
export function legendOf(results: readonly FileResult[]): Array<{ label: string; name: string }> {
  const seen = new Map<string, string>();
  for (const r of results) {
    if (!r.ok) continue;
    const legend = classLegend(r.classes.map((c) => c.label));
    for (const c of r.classes)
      if (legend[c.label] !== c.label && !seen.has(`${c.label} ${legend[c.label]}`))
        seen.set(`${c.label} ${legend[c.label]}`, c.label);
  }
  return [...seen].map(([key, label]) => ({ label, name: key.slice(label.length + 1) }));
}
