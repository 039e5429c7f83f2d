/**
 * Report figures as SVG text: Vega-Lite specs compiled to Vega and rendered headless (`renderer: 'none'`,
 * `toSVG()`), so no canvas or browser is needed. Works the same in a browser.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ConfusionMatrix } from '../confusion.js';
import type { Numbers } from '../validate.js';

export interface RocSeries {
  class: string;
  fpr: Numbers;
  tpr: Numbers;
  auroc: number;
}

export interface PrSeries {
  class: string;
  recall: Numbers;
  precision: Numbers;
  averagePrecision: number;
}

const SIZE = { width: 360, height: 320 };

/** One row per point; `k` keeps each curve in its own point order (curves are not functions of x). */
function curveRows(series: { label: string; x: Numbers; y: Numbers }[]) {
  return series.flatMap(({ label, x, y }) =>
    Array.from(x, (xk, k) => ({ curve: label, k, x: xk, y: y[k]! })),
  );
}

function lineChart(
  title: string,
  axes: { x: string; y: string },
  rows: object[],
  interpolate: 'linear' | 'step-after',
  diagonal: boolean,
): TopLevelSpec {
  const scale = { domain: [0, 1] };
  const curves = {
    mark: { type: 'line', interpolate, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes.x, scale },
      y: { field: 'y', type: 'quantitative', title: axes.y, scale },
      color: { field: 'curve', type: 'nominal', title: null },
      order: { field: 'k', type: 'quantitative' },
    },
  } as const;
  const chance = {
    data: {
      values: [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
      ],
    },
    mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    ...SIZE,
    data: { values: rows },
    layer: diagonal ? [chance, curves] : [curves],
  } as TopLevelSpec;
}

export function rocSpec(series: readonly RocSeries[]): TopLevelSpec {
  const rows = curveRows(
    series.map((s) => ({ label: `${s.class} (AUROC ${s.auroc.toFixed(3)})`, x: s.fpr, y: s.tpr })),
  );
  return lineChart('ROC curves', { x: 'False positive rate', y: 'True positive rate' }, rows, 'linear', true);
}

/** Steps after each point, in sklearn's point order, so the drawn area is the average precision. */
export function prSpec(series: readonly PrSeries[]): TopLevelSpec {
  const rows = curveRows(
    series.map((s) => ({
      label: `${s.class} (AP ${s.averagePrecision.toFixed(3)})`,
      x: s.recall,
      y: s.precision,
    })),
  );
  return lineChart('Precision-recall curves', { x: 'Recall', y: 'Precision' }, rows, 'step-after', false);
}

export function confusionSpec(matrix: ConfusionMatrix): TopLevelSpec {
  const rows = matrix.counts.flatMap((row, r) =>
    row.map((count, c) => ({ reference: matrix.classes[r], predicted: matrix.classes[c], count })),
  );
  const order = [...matrix.classes];
  const position = {
    x: { field: 'predicted', type: 'ordinal', sort: order, title: 'Predicted' },
    y: { field: 'reference', type: 'ordinal', sort: order, title: 'Reference' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix',
    width: Math.max(160, 40 * order.length),
    height: Math.max(160, 40 * order.length),
    data: { values: rows },
    layer: [
      {
        mark: 'rect',
        encoding: {
          ...position,
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: { ...position, text: { field: 'count', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to standalone SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
