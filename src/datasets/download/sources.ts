/**
 * Where each dataset is published officially, in one table. PhysioNet projects are fetched file by file
 * from their SHA256SUMS.txt (the list of files and their checksums); archives are fetched whole and unpacked.
 */
import { FormatError } from '../../errors.js';

export const DOWNLOADABLE_DATASETS = ['ptbxl', 'cpsc2018', 'cinc2017', 'mitdb', 'ludb'] as const;
export type DownloadableDataset = (typeof DOWNLOADABLE_DATASETS)[number];

export interface SourceSpec {
  description: string;
  /** Official base URL (ends with "/"); a --mirror replaces it and must keep the same layout below it. */
  base: string;
  /** Checksum list relative to base (sha256sum format), or null when the source publishes none. */
  sums: string | null;
  /** Files to fetch, relative to base; null = every file listed in `sums`. */
  files: readonly string[] | null;
  /** Zip archives among `files` to unpack into the destination after download. */
  extract: readonly string[];
}

export const SOURCES: Record<DownloadableDataset, SourceSpec> = {
  ptbxl: {
    description: 'PTB-XL 1.0.3 (PhysioNet), 21,799 12-lead records at 100 and 500 Hz, CC BY 4.0',
    base: 'https://physionet.org/files/ptb-xl/1.0.3/',
    sums: 'SHA256SUMS.txt',
    files: null,
    extract: [],
  },
  mitdb: {
    description: 'MIT-BIH Arrhythmia Database 1.0.0 (PhysioNet), 48 records, ODC-By 1.0',
    base: 'https://physionet.org/files/mitdb/1.0.0/',
    sums: 'SHA256SUMS.txt',
    files: null,
    extract: [],
  },
  ludb: {
    description: 'Lobachevsky University ECG Database 1.0.1 (PhysioNet), 200 records, ODC-By 1.0',
    base: 'https://physionet.org/files/ludb/1.0.1/',
    sums: 'SHA256SUMS.txt',
    files: null,
    extract: [],
  },
  cinc2017: {
    description:
      'PhysioNet/CinC Challenge 2017 training set (8,528 records) and the relabelled REFERENCE-v3.csv, ODC-By 1.0; ' +
      'train with --data DEST/training2017 (the labels read are ../REFERENCE-v3.csv, not the 2017 ones in the zip)',
    base: 'https://physionet.org/files/challenge-2017/1.0.0/',
    sums: 'SHA256SUMS.txt',
    files: ['training2017.zip', 'REFERENCE-v3.csv'],
    extract: ['training2017.zip'],
  },
  cpsc2018: {
    description:
      'CPSC 2018 training set (6,877 records, MATLAB v5 + REFERENCE.csv) as distributed by the challenge',
    base: 'http://hhbucket.oss-cn-hongkong.aliyuncs.com/',
    sums: null,
    files: ['TrainingSet1.zip', 'TrainingSet2.zip', 'TrainingSet3.zip'],
    extract: ['TrainingSet1.zip', 'TrainingSet2.zip', 'TrainingSet3.zip'],
  },
};

/** Parses a sha256sum listing ("<64 hex>  <path>" or "<hex> *<path>"). */
export function parseSha256Sums(text: string, source: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (match === null)
      throw new FormatError(source, `line ${index + 1} is not "<sha256> <path>": ${JSON.stringify(line)}`);
    sums.set((match[2] as string).replace(/^\.\//, ''), (match[1] as string).toLowerCase());
  });
  return sums;
}

/** A relative path from a listing must stay inside the destination (no "..", no absolute paths). */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || /^[a-zA-Z]:/.test(path)) return false;
  return path.split('/').every((part) => part !== '..' && part !== '');
}
