/** Plain-text tables for the terminal: padded columns, numbers right-aligned, no colours. */
import { formatValue, type Cell, type Report, type ReportTable } from './model.js';

const cellText = (cell: Cell): string => (typeof cell === 'number' ? formatValue(cell) : (cell ?? 'n/a'));
const looksNumeric = (text: string): boolean => /^-?\d/.test(text) || text === 'n/a';

export function formatTable(table: ReportTable): string {
  const texts = table.rows.map((row) => row.map(cellText));
  const widths = table.columns.map((header, c) =>
    Math.max(header.length, ...texts.map((row) => (row[c] ?? '').length)),
  );
  // Columns after the first hold values: right-aligned, headers included, when every cell is numeric.
  const numericColumn = table.columns.map(
    (_, c) => c > 0 && texts.every((row) => looksNumeric(row[c] ?? '')),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, c) => (numericColumn[c] ? text.padStart(widths[c]!) : text.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [
    table.title,
    line(table.columns),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...texts.map(line),
  ].join('\n');
}

/** Title, every table and the notes, for printing. */
export function formatReport(report: Report): string {
  const confusion = report.confusion
    ? [
        formatTable({
          title: 'Confusion matrix (rows: reference, columns: predicted)',
          columns: ['', ...report.confusion.classes],
          rows: report.confusion.counts.map((row, r) => [report.confusion!.classes[r]!, ...row.map(String)]),
        }),
      ]
    : [];
  const notes = report.notes.length > 0 ? [report.notes.map((note) => `* ${note}`).join('\n')] : [];
  return [report.title, ...report.tables.map(formatTable), ...confusion, ...notes].join('\n\n') + '\n';
}
