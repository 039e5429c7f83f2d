/** LUDB header comments and ludb.csv (pure): rhythm class, diagnoses, the ">89" age flag. */
import { parseCsvObjects } from '../csv.js';

/** LUDB's rhythms as its headers write them (without the final period), in a fixed saved order. */
export const LUDB_RHYTHMS = [
  'Sinus rhythm',
  'Sinus bradycardia',
  'Sinus tachycardia',
  'Sinus arrhythmia',
  'Irregular sinus rhythm',
  'Atrial fibrillation',
  'Atrial flutter, typical',
] as const;

/** The 12 per-lead delineation files of a record, in lead order. */
export const LUDB_LEAD_FILES = [
  'i',
  'ii',
  'iii',
  'avr',
  'avl',
  'avf',
  'v1',
  'v2',
  'v3',
  'v4',
  'v5',
  'v6',
] as const;

export interface LudbHeaderInfo {
  rhythm: string | null;
  /** Diagnosis lines after "<diagnoses>:", trimmed, final period removed (the rhythm line included). */
  diagnoses: string[];
}

const withoutPeriod = (text: string) => text.trim().replace(/\.$/, '').trim();

export function ludbHeaderInfo(comments: readonly string[]): LudbHeaderInfo {
  const start = comments.findIndex((line) => line.trim().startsWith('<diagnoses>'));
  const diagnoses =
    start < 0
      ? []
      : comments
          .slice(start + 1)
          .map(withoutPeriod)
          .filter((line) => line !== '');
  const rhythmLine = diagnoses.find((line) => line.startsWith('Rhythm:'));
  return {
    rhythm: rhythmLine === undefined ? null : withoutPeriod(rhythmLine.slice('Rhythm:'.length)),
    diagnoses,
  };
}

/** ID -> row of ludb.csv (cells may hold embedded newlines). */
export function parseLudbCsv(text: string, source: string): Map<string, Record<string, string>> {
  return new Map(
    parseCsvObjects(text, source, ['ID', 'Sex', 'Age', 'Rhythms']).map((row) => [(row.ID ?? '').trim(), row]),
  );
}

/** ludb.csv writes ">89" where the header gives 90. */
export function ludbAgeCapped(row: Record<string, string> | undefined): boolean {
  return (row?.Age ?? '').trim().startsWith('>');
}
