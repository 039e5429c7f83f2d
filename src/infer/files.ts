/**
 * `predict` inputs -> record files (Node): a file as given; a folder walked recursively for `.hea` records, `.mat`
 * files without a `.hea` beside them, and `.csv` tables; a glob (`*`, `?`, `[abc]`, `**`) matched under its fixed
 * prefix.
 * Sorted, without duplicates, so that output order does not depend on the file system.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MissingFileError } from '../errors.js';

const RECORD_EXTENSIONS = /\.(hea|mat|csv)$/i;
/** Dataset index tables that sit beside records in the official layouts (CinC, PTB-XL): not records. */
const INDEX_TABLES = /(^|[\\/])(REFERENCE[^\\/]*|ptbxl_database|scp_statements|ludb)\.csv$/i;

export function expandInputs(inputs: readonly string[]): string[] {
  const files = new Set<string>();
  for (const input of inputs) {
    if (/[*?[]/.test(input)) {
      for (const file of globFiles(input)) files.add(file);
    } else if (!existsSync(input)) {
      throw new MissingFileError(input, 'no such file or folder');
    } else if (statSync(input).isDirectory()) {
      for (const file of recordFiles(walk(input))) files.add(file);
    } else {
      files.add(input);
    }
  }
  return [...files].sort();
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** One file per record: the .hea of WFDB records (also CinC 2017's .hea + .mat), a lone .mat, a .csv. */
function recordFiles(paths: readonly string[]): string[] {
  const all = new Set(paths);
  return paths.filter((path) => {
    if (!RECORD_EXTENSIONS.test(path) || INDEX_TABLES.test(path)) return false;
    if (/\.mat$/i.test(path)) return !all.has(path.replace(/\.mat$/i, '.hea'));
    return true;
  });
}

function globFiles(pattern: string): string[] {
  const parts = pattern.split(/[\\/]/);
  const fixed: string[] = [];
  for (const part of parts) {
    if (/[*?[]/.test(part)) break;
    fixed.push(part);
  }
  const root = fixed.join(sep) || '.';
  if (!existsSync(root)) return [];
  const regex = globRegex(parts.slice(fixed.length).join('/'));
  return walk(root).filter((path) => regex.test(relative(root, path).split(sep).join('/')));
}

function globRegex(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      source += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[' && glob.indexOf(']', i + 2) > i) {
      const end = glob.indexOf(']', i + 2);
      const body = glob
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/[\\\]]/g, '\\$&');
      source += `[${body}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
