/** Reading one entry's record (Node I/O through src/io) and completing the entry from what the file says. */
import { readRecord } from '../io/index.js';
import type { EcgRecord } from '../io/record.js';
import type { DatasetEntry, LoadedExample } from './types.js';

/**
 * Pairs a record with its entry. When the dataset index did not know the patient (e.g. CPSC 2018 keeps age and
 * sex inside the .mat), the record's own age/sex fill the returned entry (the stored entry is not changed).
 */
export function withRecord(entry: DatasetEntry, record: EcgRecord): LoadedExample {
  const patient = { ...entry.patient };
  if (patient.age === null && record.age !== null) patient.age = record.age;
  if (patient.sex === 'unknown') patient.sex = record.sex;
  return { entry: { ...entry, patient }, record };
}

export async function loadWfdbEntry(headerPath: string, entry: DatasetEntry): Promise<LoadedExample> {
  return withRecord(entry, await readRecord(headerPath));
}
