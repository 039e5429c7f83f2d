/** Shared helpers for the WFDB tests: fixture paths and golden values written by wfdb_reference.py. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/wfdb/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}`));
}

export interface LeadGolden {
  head: Array<number | null>;
  length: number;
  nan_count: number;
  sum: number;
  sum_squares: number;
  min: number;
  max: number;
}

export interface Golden {
  records: Record<
    string,
    {
      fs: number;
      n_samples: number;
      leads: string[];
      checksums: number[];
      header_checksums: Array<number | null>;
      signals: LeadGolden[];
    }
  >;
  annotations: Record<
    string,
    {
      count: number;
      codes: Record<string, number>;
      samples: number[];
      aux: Array<[number, string]>;
      subtypes: Array<[number, number]>;
    }
  >;
  formats: Record<string, { values: number[]; hex: string; initial: number }>;
}

export const golden = JSON.parse(readFileSync(`${FIXTURES}golden.json`, 'utf8')) as Golden;

/** |actual - expected| within tol, relative for large magnitudes (float32 storage of physical values). */
export function close(actual: number, expected: number, tol = 1e-6): boolean {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}

export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}
