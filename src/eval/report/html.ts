/** Self-contained HTML report: tables and figures as inline SVG (no scripts, no external files). */
import { formatValue, type Cell, type Report, type ReportTable } from './model.js';
import { confusionSpec, prSpec, renderSvg, rocSpec } from './plots.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const cellHtml = (cell: Cell): string =>
  escapeHtml(typeof cell === 'number' ? formatValue(cell) : (cell ?? 'n/a'));

function tableHtml(table: ReportTable): string {
  const head = table.columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = table.rows.map(
    (row) => `<tr>${row.map((cell) => `<td>${cellHtml(cell)}</td>`).join('')}</tr>`,
  );
  return `<h2>${escapeHtml(table.title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** The report's figures as SVG text, keyed by name; figures without data are absent. */
export async function reportFigures(report: Report): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  if (report.roc && report.roc.length > 0) figures.roc = await renderSvg(rocSpec(report.roc));
  if (report.pr && report.pr.length > 0) figures.pr = await renderSvg(prSpec(report.pr));
  if (report.confusion) figures.confusion = await renderSvg(confusionSpec(report.confusion));
  return figures;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}`;

export async function renderHtml(report: Report, figures?: Record<string, string>): Promise<string> {
  const svgs = figures ?? (await reportFigures(report));
  const figureHtml = Object.entries(svgs).map(([name, svg]) => `<figure id="figure-${name}">${svg}</figure>`);
  const notes = report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(report.title)}</h1>`,
    ...report.tables.map(tableHtml),
    ...(figureHtml.length > 0 ? ['<h2>Figures</h2>', ...figureHtml] : []),
    ...(notes ? [`<h2>Notes</h2><ul>${notes}</ul>`] : []),
    '</body></html>',
    '',
  ].join('\n');
}
