/**
 * The hostile inputs of issue 17 as records to read: the committed cases (test/fixtures/hostile, made by its
 * make-hostile.ts) plus the larger ones built here at test time from them. Shared by the reader, server and CLI tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HOSTILE_DIR = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));

export interface HostileCase {
  name: string;
  entry: string;
  why: string;
  /** Pattern the typed error's message must match. */
  error: RegExp;
  options: { fs?: number };
  /** The record's files, by name. */
  files: Map<string, Uint8Array>;
}

function folderFiles(name: string): Map<string, Uint8Array> {
  const dir = `${HOSTILE_DIR}${name}/`;
  return new Map(readdirSync(dir).map((file) => [file, new Uint8Array(readFileSync(dir + file))]));
}

/** The committed cases. */
export function committedCases(): HostileCase[] {
  const list = JSON.parse(readFileSync(`${HOSTILE_DIR}cases.json`, 'utf8')) as Array<
    Omit<HostileCase, 'error' | 'files' | 'options'> & { error: string; options?: { fs?: number } }
  >;
  return list.map((c) => ({
    ...c,
    error: new RegExp(c.error),
    options: c.options ?? {},
    files: folderFiles(c.name),
  }));
}

/** Cases too large to commit: a 16 MiB one-row CSV, a 1 MiB MAT-file of four zlib bombs. */
export function builtCases(): HostileCase[] {
  const bomb = folderFiles('mat-zlib-bomb').get('r.mat')!;
  const element = bomb.subarray(128);
  const fourBombs = new Uint8Array(128 + 4 * element.length);
  fourBombs.set(bomb.subarray(0, 128));
  for (let i = 0; i < 4; i++) fourBombs.set(element, 128 + i * element.length);
  return [
    {
      name: 'csv-one-row-16mib',
      entry: 'r.csv',
      why: 'a 16 MiB one-row CSV took 4.2 GB and 45 s and returned a 91 MB error body',
      error: /more than \d+ cells/,
      options: { fs: 250 },
      files: new Map([['r.csv', new TextEncoder().encode('1,'.repeat(8 * 2 ** 20))]]),
    },
    {
      name: 'mat-four-zlib-bombs',
      entry: 'r.mat',
      why: 'a 1 MiB MAT-file of zlib bombs took 1.5 GB',
      error: /budget|limit/,
      options: { fs: 250 },
      files: new Map([['r.mat', fourBombs]]),
    },
  ];
}
