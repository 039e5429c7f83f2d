/**
 * Naming the exams of an HDF5 file (`FILE#ID`), browser-safe: read.ts recognises the names without loading the
 * HDF5 reader (src/io/hdf5.ts, Node only).
 */
export const HDF5_EXTENSIONS = new Set(['hdf5', 'h5']);

/** `FILE.hdf5#ID` -> its parts; null for any other name. */
export function parseExamName(name: string): { file: string; exam: string } | null {
  const match = /^(.*\.(?:hdf5|h5))#([^#/\\]+)$/i.exec(name);
  return match ? { file: match[1]!, exam: match[2]! } : null;
}

export const examName = (file: string, exam: string): string => `${file}#${exam}`;
