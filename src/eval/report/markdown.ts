/** Markdown report: pipe tables, figures linked as SVG files written beside it (see write.ts). */
import { formatValue, type Cell, type Report, type ReportTable } from './model.js';

const cellMarkdown = (cell: Cell): string =>
  (typeof cell === 'number' ? formatValue(cell) : (cell ?? 'n/a')).replace(/\|/g, '\\|');

function tableMarkdown(table: ReportTable): string {
  return [
    `## ${table.title}`,
    '',
    `| ${table.columns.map(cellMarkdown).join(' | ')} |`,
    `|${table.columns.map((_, c) => (c === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(cellMarkdown).join(' | ')} |`),
  ].join('\n');
}

/** `figureFiles`: figure name (roc, pr, confusion) -> relative path of its SVG file. */
export function renderMarkdown(report: Report, figureFiles: Record<string, string> = {}): string {
  const figures = Object.entries(figureFiles).map(([name, file]) => `![${name}](${file})`);
  const confusion = report.confusion
    ? [
        tableMarkdown({
          title: 'Confusion matrix (rows: reference, columns: predicted)',
          columns: ['', ...report.confusion.classes],
          rows: report.confusion.counts.map((row, r) => [report.confusion!.classes[r]!, ...row.map(String)]),
        }),
      ]
    : [];
  const notes =
    report.notes.length > 0 ? ['## Notes\n\n' + report.notes.map((note) => `- ${note}`).join('\n')] : [];
  return (
    [
      `# ${report.title}`,
      ...report.tables.map(tableMarkdown),
      ...confusion,
      ...(figures.length > 0 ? ['## Figures\n\n' + figures.join('\n\n')] : []),
      ...notes,
    ].join('\n\n') + '\n'
  );
}
