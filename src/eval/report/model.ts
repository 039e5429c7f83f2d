/**
 * A report: tables, optional curves and a confusion matrix, and notes. Built from the JSON results, then
 * rendered as a terminal table (table.ts), HTML with inline SVG (html.ts) or Markdown (markdown.ts).
 */
import { SCORED_AAMI_CLASSES } from '../beats.js';
import { averagePrecision, precisionRecallCurve, rocCurve, trapezoid } from '../binary.js';
import type { ConfusionMatrix } from '../confusion.js';
import type { Cinc2017Result, Cpsc2018Result, MitbihResult, PtbxlResult } from '../results.js';
import { column, type Numbers } from '../validate.js';
import type { PrSeries, RocSeries } from './plots.js';

export type Cell = string | number | null;
export type Interval = readonly [number, number] | null | undefined;

export interface ReportTable {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface Report {
  title: string;
  tables: ReportTable[];
  roc?: RocSeries[];
  pr?: PrSeries[];
  confusion?: ConfusionMatrix;
  notes: string[];
}

/** "0.9123 [0.8990, 0.9251]"; "n/a" for an undefined value. */
export function formatValue(value: number | null, interval?: Interval, digits = 4): string {
  if (value === null) return 'n/a';
  const text = value.toFixed(digits);
  return interval ? `${text} [${interval[0].toFixed(digits)}, ${interval[1].toFixed(digits)}]` : text;
}

/** ROC and PR series for every class where they are defined (others are skipped, as in the metrics). */
export function curvesOf(
  labels: readonly Numbers[],
  scores: readonly Numbers[],
  classes: readonly string[],
): { roc: RocSeries[]; pr: PrSeries[] } {
  const roc: RocSeries[] = [];
  const pr: PrSeries[] = [];
  classes.forEach((name, c) => {
    const y = column(labels, c);
    const s = column(scores, c);
    const positives = y.reduce((a, b) => a + b, 0);
    if (positives > 0 && positives < y.length) {
      const curve = rocCurve(y, s);
      roc.push({ class: name, fpr: curve.fpr, tpr: curve.tpr, auroc: trapezoid(curve.fpr, curve.tpr) });
    }
    if (positives > 0) {
      const curve = precisionRecallCurve(y, s);
      pr.push({
        class: name,
        recall: curve.recall,
        precision: curve.precision,
        averagePrecision: averagePrecision(y, s),
      });
    }
  });
  return { roc, pr };
}

export function cinc2017Report(result: Cinc2017Result): Report {
  const ci = result.ci95;
  return {
    title: `CinC 2017 — ${result.records} records`,
    tables: [
      {
        title: 'Challenge score',
        columns: ['metric', 'value'],
        rows: [['F1 (N, A, O)', formatValue(result.f1, ci?.f1)]],
      },
      {
        title: 'Per class',
        columns: ['class', 'F1'],
        rows: Object.entries(result.f1_per_class).map(([name, f1]) => [
          name,
          formatValue(f1, ci?.f1_per_class[name]),
        ]),
      },
    ],
    confusion: result.confusion,
    notes: result.notes,
  };
}

export function cpsc2018Report(result: Cpsc2018Result): Report {
  const ci = result.ci95;
  const groups = (['faf', 'fblock', 'fpc', 'fst'] as const).map((key) => [
    key,
    formatValue(result[key], ci?.[key]),
  ]);
  return {
    title: `CPSC 2018 — ${result.records} records`,
    tables: [
      {
        title: 'Challenge scores',
        columns: ['metric', 'value'],
        rows: [['F1', formatValue(result.f1, ci?.f1)], ...groups],
      },
      {
        title: 'Per class',
        columns: ['class', 'F1'],
        rows: Object.entries(result.f1_per_class).map(([name, f1]) => [
          name,
          formatValue(f1, (ci?.f1_per_class as Record<string, Interval> | undefined)?.[name]),
        ]),
      },
    ],
    confusion: result.confusion,
    notes: result.notes,
  };
}

export function mitbihReport(result: MitbihResult): Report {
  const ci = result.ci95;
  const fields = ['se', 'ppv', 'f1', 'specificity', 'fpr'] as const;
  return {
    title: `MIT-BIH (AAMI classes) — ${result.beats} beats scored, ${result.excluded_q} Q beats excluded`,
    tables: [
      {
        title: 'Overall',
        columns: ['metric', 'value'],
        rows: [['accuracy', formatValue(result.accuracy, ci?.accuracy)]],
      },
      {
        title: 'Per class',
        columns: ['class', 'Se', '+P', 'F1', 'Sp', 'FPR'],
        rows: SCORED_AAMI_CLASSES.map((name) => [
          name,
          ...fields.map((field) => formatValue(result[name][field], ci?.[name][field])),
        ]),
      },
    ],
    confusion: result.confusion,
    notes: result.notes,
  };
}

/** PTB-XL style multi-label report; pass the labels and scores to draw ROC and PR curves. */
export function ptbxlReport(
  result: PtbxlResult,
  curves?: { labels: readonly Numbers[]; scores: readonly Numbers[]; classes: readonly string[] },
): Report {
  const ci = result.ci95;
  const classes = Object.keys(result.auroc);
  return {
    title: `PTB-XL — ${result.records} records, ${classes.length} classes`,
    tables: [
      {
        title: 'Summary',
        columns: ['metric', 'value'],
        rows: [
          ['macro AUROC', formatValue(result.macro_auroc, ci?.macro_auroc)],
          ['micro AUROC', formatValue(result.micro_auroc, ci?.micro_auroc)],
          ['macro AUPRC', formatValue(result.macro_auprc, ci?.macro_auprc)],
          ['Fmax', formatValue(result.fmax, ci?.fmax)],
        ],
      },
      {
        title: 'Per class',
        columns: ['class', 'AUROC', 'AUPRC'],
        rows: classes.map((name) => [
          name,
          formatValue(result.auroc[name] ?? null, ci?.auroc[name]),
          formatValue(result.auprc[name] ?? null, ci?.auprc[name]),
        ]),
      },
    ],
    ...(curves ? curvesOf(curves.labels, curves.scores, curves.classes) : {}),
    notes: result.notes,
  };
}
