/** Dataset-level figures (pure): class counts per split and per fold, skipped records by reason. */
import type { Dataset, DatasetEntry } from './types.js';
import { classCounts, skippedByReason } from './types.js';

export interface DatasetSummary {
  name: string;
  classes: readonly string[];
  entries: number;
  bySplit: Record<string, { entries: number; counts: Record<string, number> }>;
  byFold: Record<string, { entries: number; counts: Record<string, number> }>;
  total: Record<string, number>;
  skipped: Record<string, string[]>;
  split: Dataset['split'];
}

function groupCounts(dataset: Dataset, key: (entry: DatasetEntry) => string | null) {
  const groups = new Map<string, DatasetEntry[]>();
  for (const entry of dataset.entries) {
    const name = key(entry);
    if (name !== null) groups.set(name, [...(groups.get(name) ?? []), entry]);
  }
  return Object.fromEntries(
    [...groups]
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
      .map(([name, entries]) => [name, { entries: entries.length, counts: classCounts(dataset, entries) }]),
  );
}

export function summarizeDataset(dataset: Dataset): DatasetSummary {
  return {
    name: dataset.name,
    classes: dataset.classes,
    entries: dataset.entries.length,
    bySplit: groupCounts(dataset, (entry) => entry.split),
    byFold: groupCounts(dataset, (entry) => (entry.fold === null ? null : String(entry.fold))),
    total: classCounts(dataset, dataset.entries),
    skipped: skippedByReason(dataset.skipped),
    split: dataset.split,
  };
}

/** A plain-text table: one row per group, one column per class. */
export function formatCountTable(
  title: string,
  groups: DatasetSummary['bySplit'],
  classes: readonly string[],
): string {
  const header = [title, 'n', ...classes];
  const rows = Object.entries(groups).map(([name, group]) => [
    name,
    String(group.entries),
    ...classes.map((c) => String(group.counts[c] ?? 0)),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
