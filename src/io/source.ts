/**
 * Byte sources: where a record's files come from. A path (Node only: node:fs is imported lazily, so this module
 * stays loadable in a browser), a URL (global fetch) or bytes already in memory (with the other files of the
 * record given as a name -> bytes map). `sibling` resolves a file named inside a header relative to it.
 */
import { FormatError, MissingFileError } from '../errors.js';

export interface ByteSource {
  /** Path, URL or "<bytes>"-style name, used in every error message. */
  readonly name: string;
  read(): Promise<Uint8Array>;
  /**
   * Bytes [start, end) only (fewer when the file ends first), for windowed reads of long records. Optional: a
   * source without it is read whole.
   */
  readRange?(start: number, end: number): Promise<Uint8Array>;
  /** The source of a file named relative to this one (e.g. a header's data file). */
  sibling(fileName: string): ByteSource;
}

/** Base name without directories ("a/b/100.hea" -> "100.hea"); works for URLs and both path separators. */
export function baseName(name: string): string {
  const clean = name.replace(/[?#].*$/, '');
  return clean.slice(Math.max(clean.lastIndexOf('/'), clean.lastIndexOf('\\')) + 1);
}

/** File extension in lower case without the dot ("" if none). */
export function extension(name: string): string {
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** Replaces (or adds) the extension of the last path component. */
export function withExtension(name: string, ext: string): string {
  const base = baseName(name);
  const dot = base.lastIndexOf('.');
  const stem = dot <= 0 ? name : name.slice(0, name.length - (base.length - dot));
  return `${stem}.${ext}`;
}

function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

type NodeFs = typeof import('node:fs');

/**
 * node:fs without a static import (this module must load in browsers). process.getBuiltinModule (Node >= 20.16)
 * is synchronous and bypasses loader hooks, which made a dynamic import per file cost ~0.3 ms under tsx.
 */
async function nodeFs(): Promise<NodeFs> {
  const builtin = (globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined)
    ?.getBuiltinModule;
  return builtin ? (builtin('node:fs') as NodeFs) : await import('node:fs');
}

/**
 * A file on disk (Node only). Read with readFileSync: record files are small (kB to a few MB) and, measured on
 * CinC 2017, fs/promises readFile costs 3-4x more per file; the ByteSource API stays async all the same.
 */
export function pathSource(path: string): ByteSource {
  return {
    name: path,
    async read() {
      const { readFileSync } = await nodeFs();
      try {
        const buffer = readFileSync(path);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOENT') throw new MissingFileError(path);
        throw new FormatError(path, `cannot read file (${code ?? String(error)})`);
      }
    },
    async readRange(start, end) {
      const { openSync, readSync, closeSync } = await nodeFs();
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOENT') throw new MissingFileError(path);
        throw new FormatError(path, `cannot read file (${code ?? String(error)})`);
      }
      try {
        const out = new Uint8Array(Math.max(0, end - start));
        let filled = 0;
        while (filled < out.length) {
          const n = readSync(fd, out, filled, out.length - filled, start + filled);
          if (n === 0) break;
          filled += n;
        }
        return out.subarray(0, filled);
      } finally {
        closeSync(fd);
      }
    },
    sibling(fileName) {
      if (fileName.startsWith('/')) return pathSource(fileName);
      const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
      return pathSource(cut < 0 ? fileName : `${path.slice(0, cut + 1)}${fileName}`);
    },
  };
}

/** fetch with the reader's errors: MissingFileError when absent (or unreachable), FormatError for other failures. */
async function fetchOrThrow(href: string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(href, init);
  } catch (error) {
    throw new MissingFileError(href, `fetch failed (${(error as Error).message})`);
  }
  if (response.status === 404 || response.status === 410)
    throw new MissingFileError(href, `HTTP ${response.status}`);
  if (!response.ok && response.status !== 416)
    throw new FormatError(href, `HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** An http(s) URL, fetched with the global fetch (windowed reads send a Range header). */
export function urlSource(url: string | URL): ByteSource {
  const href = url.toString();
  return {
    name: href,
    async read() {
      return new Uint8Array(await (await fetchOrThrow(href)).arrayBuffer());
    },
    async readRange(start, end) {
      if (end <= start) return new Uint8Array(0);
      const response = await fetchOrThrow(href, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (response.status === 416) return new Uint8Array(0); // the range starts past the end of the file
      const bytes = new Uint8Array(await response.arrayBuffer());
      // A server that ignores Range answers 200 with the whole file.
      return response.status === 206 ? bytes : bytes.subarray(start, end);
    },
    sibling: (fileName) => urlSource(new URL(fileName, href)),
  };
}

/**
 * Bytes in memory. `files` holds the record's other files by name (a header's data files, annotation files);
 * names are matched as given, then by base name.
 */
export function bytesSource(
  bytes: Uint8Array,
  name = '<bytes>',
  files: Map<string, Uint8Array> = new Map(),
): ByteSource {
  return {
    name,
    read: () => Promise.resolve(bytes),
    readRange: (start, end) => Promise.resolve(bytes.subarray(start, Math.max(start, end))),
    sibling(fileName) {
      const found = files.get(fileName) ?? files.get(baseName(fileName));
      if (found) return bytesSource(found, fileName, files);
      return {
        name: fileName,
        read: () => Promise.reject(new MissingFileError(fileName, `not among the files given with ${name}`)),
        sibling: (other) => bytesSource(bytes, name, files).sibling(other),
      };
    },
  };
}

/** Source for a string: a URL when it starts with http(s)://, otherwise a path. */
export function sourceFor(input: string | URL | ByteSource): ByteSource {
  if (typeof input === 'object' && 'read' in input) return input;
  const text = input.toString();
  return isUrl(text) ? urlSource(text) : pathSource(text);
}
