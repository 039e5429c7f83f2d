/**
 * `predict` output: a streaming terminal table (fixed column widths, one line per record as it completes), JSON
 * Lines, or CSV, plus an HTML report (src/eval/report) with one row per record.
 */
import type { Report } from '../eval/report/model.js';
import type { FileResult } from './predict-file.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const TOP = 3;

function topText(result: Extract<FileResult, { ok: true }>): string {
  if (result.beats) {
    const counts = Object.entries(result.beats.counts)
      .filter(([, n]) => n > 0)
      .map(([label, n]) => `${label} ${n}`);
    return `${result.beats.total} beats: ${counts.join(', ') || 'none'}`;
  }
  return result.top
    .slice(0, TOP)
    .map((t) => `${t.label} ${t.probability.toFixed(3)}`)
    .join(', ');
}

function clip(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`;
}

/** The end of a path, which names the record. */
function clipLeft(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `…${text.slice(text.length - width + 1)}`;
}

const WIDTHS = { record: 22, model: 20, labels: 16, top: 38 };

export function tableHeader(): string {
  const head = [
    clip('record', WIDTHS.record),
    clip('model', WIDTHS.model),
    clip('labels', WIDTHS.labels),
    clip(`top ${TOP} (probability)`, WIDTHS.top),
    'notes',
  ];
  return `${head.join('  ')}\n${'-'.repeat(WIDTHS.record + WIDTHS.model + WIDTHS.labels + WIDTHS.top + 16)}\n`;
}

export function tableLine(result: FileResult): string {
  if (!result.ok) return `${clipLeft(result.file, WIDTHS.record)}  ERROR ${result.error}\n`;
  const notes = [
    ...(result.untrained ? ['UNTRAINED MODEL'] : []),
    ...result.notices
      .filter((n) => !n.startsWith('UNTRAINED'))
      .map((n) => (n.startsWith('resampled') ? n.replace(/ to the model's.*/, '') : n.split(' (')[0]!)),
  ].join('; ');
  const cells = [
    clip(result.record, WIDTHS.record),
    clip(result.model, WIDTHS.model),
    clip(result.labels.join(' ') || '-', WIDTHS.labels),
    clip(topText(result), WIDTHS.top),
    notes,
  ];
  return `${cells.join('  ').trimEnd()}\n`;
}

export const CSV_HEADER =
  'file,record,model,task,labels,top_label,top_probability,probabilities,notices,error\n';

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(result: FileResult): string {
  const cells = result.ok
    ? [
        result.file,
        result.record,
        result.model,
        result.task,
        result.labels.join(' '),
        result.top[0]?.label ?? '',
        result.top[0]?.probability.toFixed(6) ?? '',
        result.top.map((t) => `${t.label}=${t.probability.toFixed(6)}`).join(' '),
        result.notices.join(' | '),
        '',
      ]
    : [result.file, '', '', '', '', '', '', '', '', result.error];
  return `${cells.map(csvCell).join(',')}\n`;
}

export function jsonLine(result: FileResult): string {
  return `${JSON.stringify(result)}\n`;
}

export const LINE_FORMATS: Record<
  OutputFormat,
  { header: () => string; line: (result: FileResult) => string }
> = {
  table: { header: tableHeader, line: tableLine },
  json: { header: () => '', line: jsonLine },
  csv: { header: () => CSV_HEADER, line: csvLine },
};

/** One row per record (top labels and probabilities), failed files listed with their error. */
export function predictionReport(results: readonly FileResult[]): Report {
  const ok = results.filter((r): r is Extract<FileResult, { ok: true }> => r.ok);
  const failed = results.filter((r): r is Extract<FileResult, { ok: false }> => !r.ok);
  const untrained = ok.some((r) => r.untrained);
  return {
    title: `EfficientECG predictions — ${ok.length} record(s)${failed.length ? `, ${failed.length} failed` : ''}`,
    tables: [
      {
        title: 'Predictions',
        columns: ['record', 'file', 'model', 'labels', `top ${TOP} (probability)`, 'notes'],
        rows: ok.map((r) => [
          r.record,
          r.file,
          r.model,
          r.labels.join(' ') || '-',
          topText(r),
          r.notices.join('; '),
        ]),
      },
      ...(failed.length
        ? [
            {
              title: 'Files that could not be predicted',
              columns: ['file', 'error'],
              rows: failed.map((r) => [r.file, r.error]),
            },
          ]
        : []),
    ],
    notes: [
      ...(untrained ? ['UNTRAINED development model(s): random weights, the numbers are NOT diagnoses'] : []),
      'Single-label models: the most probable class. Multi-label models: classes at or above the threshold chosen on validation. Beat models: beat counts per class.',
      'Record probabilities: window logits averaged, then the output activation (unless the model says otherwise).',
      'Research software, not a medical device: not for clinical decisions.',
    ],
  };
}
