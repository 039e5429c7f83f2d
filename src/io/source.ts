/**
 * Byte sources: where a record's files come from. A path (Node only: node:fs is imported lazily, so this module
 * stays loadable in a browser), a URL (global fetch) or bytes already in memory (with the other files of the
 * record given as a name -> bytes map). `sibling` resolves a file named inside a header relative to it.
 */
import { excerpt, FormatError, MissingFileError, NetworkError } from '../errors.js';
import { nodeBuiltin } from '../util/node-builtin.js';
import { openRegularFile, readSpan } from '../util/regular-file.js';
import { parseExamName } from './hdf5-names.js';
import { DEFAULT_READ_LIMITS } from './limits.js';

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

/**
 * Base name without directories ("a/b/100.hea" -> "100.hea"); works for URLs (their query and fragment dropped),
 * HDF5 exam names ("a/x.hdf5#123" -> "x.hdf5") and both path separators. Elsewhere in a local path, `?` and `#`
 * are ordinary characters ("run#1/t.csv" -> "t.csv").
 */
export function baseName(name: string): string {
  const clean = isUrl(name) ? name.replace(/[?#].*$/, '') : (parseExamName(name)?.file ?? name);
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

export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

type NodeFs = typeof import('node:fs');

/**
 * node:fs without a static import (this module must load in browsers, and a bundler must not see it).
 * process.getBuiltinModule is synchronous and bypasses loader hooks, which made a dynamic import per file cost
 * ~0.3 ms under tsx.
 */
async function nodeFs(): Promise<NodeFs> {
  return Promise.resolve(nodeBuiltin<NodeFs>('node:fs', 'reading a file path'));
}

/** How path and URL sources treat the files a header names. */
export interface SourceOptions {
  /**
   * Follow data-file names that are absolute or climb out of the header's folder with `..` (default false: a
   * header is input, and must not make the reader open /dev/zero, a FIFO or /etc/passwd).
   */
  allowOutsideFolder?: boolean;
  /**
   * Largest file read whole, in bytes (default DEFAULT_READ_LIMITS.maxFileBytes); a window (readRange) may come
   * from a larger file, but may not itself be larger.
   */
  maxFileBytes?: number;
  /** URLs: milliseconds to wait for the response headers (default 30 s; Infinity waits for ever). */
  headersTimeoutMs?: number;
  /** URLs: milliseconds to wait for the next chunk of a response body (default 30 s; Infinity waits for ever). */
  idleTimeoutMs?: number;
}

/** Default SourceOptions.headersTimeoutMs and idleTimeoutMs. */
export const DEFAULT_URL_TIMEOUT_MS = 30_000;

/** Why a file name from a header may not be followed, or null when it stays inside the header's folder. */
export function outsideFolderProblem(fileName: string): string | null {
  if (fileName === '') return 'an empty file name';
  if (/^([\\/]|[A-Za-z]:|[A-Za-z][\w+.-]*:\/\/)/.test(fileName)) return 'an absolute path or URL';
  if (fileName.split(/[\\/]/).includes('..')) return 'a path that climbs out with ".."';
  return null;
}

/** A source whose reads reject with `error` (a refused or missing sibling); its own siblings are refused too. */
function refusedSource(name: string, error: Error): ByteSource {
  return {
    name,
    read: () => Promise.reject(error),
    sibling: (other) => refusedSource(other, error),
  };
}

function leavesFolder(base: string, fileName: string, problem: string): FormatError {
  return new FormatError(
    base,
    `names the file "${excerpt(fileName)}": ${problem} leaves the record's folder (pass allowOutsideFolder to follow it)`,
  );
}

/** The sibling `fileName` of `base`, or a refused source when the name leaves the folder (unless allowed). */
function confinedSibling(
  base: string,
  fileName: string,
  options: SourceOptions,
  make: (name: string) => ByteSource,
): ByteSource {
  const problem = options.allowOutsideFolder ? null : outsideFolderProblem(fileName);
  if (problem === null) return make(fileName);
  return refusedSource(fileName, leavesFolder(base, fileName, problem));
}

/**
 * The URL of `fileName` named in the header at `href`. The name is checked once resolved, as the request will see
 * it: percent-encoded dots (`%2e%2e/`) and scheme-relative forms (`https:evil.example/x.dat`) are only resolved
 * by the URL parser, so a check of the raw text cannot see where they lead.
 */
function urlSibling(href: string, fileName: string, options: SourceOptions): ByteSource {
  let resolved: URL;
  try {
    resolved = new URL(fileName, href);
  } catch {
    return refusedSource(
      fileName,
      new FormatError(href, `names the file "${excerpt(fileName)}", which is not a valid URL relative to it`),
    );
  }
  if (!options.allowOutsideFolder) {
    const folder = new URL('.', href);
    if (resolved.origin !== folder.origin || !resolved.pathname.startsWith(folder.pathname))
      return refusedSource(
        fileName,
        leavesFolder(href, fileName, `a name that resolves to ${excerpt(resolved.href, 200)}`),
      );
  }
  return urlSource(resolved, options);
}

function fileError(path: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new MissingFileError(path);
  return new FormatError(path, `cannot read file (${code ?? String(error)})`);
}

/** Opens `path` as src/util/regular-file.ts does, with the io layer's errors (FormatError, MissingFileError). */
function openRegular(fs: NodeFs, path: string, maxFileBytes: number): { fd: number; size: number } {
  return openRegularFile(fs, path, maxFileBytes, {
    failure: (error) => fileError(path, error),
    notRegular: (kind) => new FormatError(path, `not a regular file (${kind}): refused`),
    tooLarge: (size) =>
      new FormatError(path, `file of ${size} bytes exceeds the limit of ${maxFileBytes} bytes per file`),
  });
}

/**
 * A file on disk (Node only), read synchronously: record files are small (kB to a few MB) and, measured on
 * CinC 2017, fs/promises readFile costs 3-4x more per file; the ByteSource API stays async all the same.
 * Only regular files within `maxFileBytes` are read, and a sibling stays in this file's folder unless allowed.
 */
export function pathSource(path: string, options: SourceOptions = {}): ByteSource {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_READ_LIMITS.maxFileBytes;
  const withFile = async (limit: number, use: (fs: NodeFs, fd: number, size: number) => Uint8Array) => {
    const fs = await nodeFs();
    const { fd, size } = openRegular(fs, path, limit);
    try {
      return use(fs, fd, size);
    } catch (error) {
      if (error instanceof FormatError) throw error;
      throw fileError(path, error);
    } finally {
      fs.closeSync(fd);
    }
  };
  return {
    name: path,
    read: () => withFile(maxFileBytes, (fs, fd, size) => readSpan(fs, fd, 0, size)),
    // A window of a long file: only the bytes read count against maxFileBytes, as for a URL.
    readRange: (start, end) =>
      withFile(Infinity, (fs, fd, size) => {
        const span = Math.min(end, size) - start;
        if (span > maxFileBytes)
          throw new FormatError(
            path,
            `a read of ${span} bytes exceeds the limit of ${maxFileBytes} bytes per file`,
          );
        return readSpan(fs, fd, start, Math.min(end, size));
      }),
    sibling(fileName) {
      const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
      return confinedSibling(path, fileName, options, (name) =>
        pathSource(name.startsWith('/') || cut < 0 ? name : `${path.slice(0, cut + 1)}${name}`, options),
      );
    },
  };
}

/**
 * The deadlines of one request: `signal` aborts it, with a NetworkError naming the URL as its reason, when the
 * headers take longer than `headersTimeoutMs` or the body stalls for `idleTimeoutMs` (re-armed by `idle()` after
 * each chunk). `done()` clears the timer and drops whatever the server still sends.
 */
interface Deadline {
  signal: AbortSignal;
  idle(): void;
  done(): void;
}

/** setTimeout's largest delay (a longer one fires at once): anything longer waits for ever. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function deadline(href: string, options: SourceOptions): Deadline {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number, problem: string) => {
    clearTimeout(timer);
    if (ms <= MAX_TIMER_MS)
      timer = setTimeout(() => controller.abort(new NetworkError(href, problem)), Math.max(0, ms));
  };
  const headersMs = options.headersTimeoutMs ?? DEFAULT_URL_TIMEOUT_MS;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_URL_TIMEOUT_MS;
  arm(headersMs, `no response within ${headersMs} ms (headersTimeoutMs)`);
  return {
    signal: controller.signal,
    idle: () => arm(idleMs, `the response body stalled for ${idleMs} ms (idleTimeoutMs)`),
    done: () => {
      clearTimeout(timer);
      controller.abort();
    },
  };
}

/** The NetworkError of a request its deadline aborted, or null. */
function timedOut(deadline: Deadline): NetworkError | null {
  const { aborted, reason } = deadline.signal;
  return aborted && reason instanceof NetworkError ? reason : null;
}

/**
 * fetch with the reader's errors: MissingFileError when absent (or unreachable), FormatError for other failures,
 * NetworkError when the headers do not come before the deadline.
 */
async function fetchOrThrow(
  href: string,
  deadline: Deadline,
  init: RequestInit = {},
  rangeRead = false,
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(href, { ...init, signal: deadline.signal });
  } catch (error) {
    throw timedOut(deadline) ?? new MissingFileError(href, `fetch failed (${(error as Error).message})`);
  }
  deadline.idle();
  if (response.status === 404 || response.status === 410)
    throw new MissingFileError(href, `HTTP ${response.status}`);
  // 416 (range not satisfiable) answers a range read past the end; to a whole read it is an error like any other.
  if (!response.ok && !(rangeRead && response.status === 416))
    throw new FormatError(href, `HTTP ${response.status} ${response.statusText}`);
  return response;
}

/**
 * A response body of at most `max` bytes, refused as soon as its length (declared or streamed) exceeds it. With
 * `stop`, only the first `stop` bytes are wanted: the body is cancelled once they have come (and only they count).
 */
async function boundedBody(
  response: Response,
  href: string,
  deadline: Deadline,
  max: number,
  stop = Infinity,
): Promise<Uint8Array> {
  try {
    return await readBody(response, href, deadline, max, stop);
  } catch (error) {
    throw timedOut(deadline) ?? error;
  }
}

async function readBody(
  response: Response,
  href: string,
  deadline: Deadline,
  max: number,
  stop: number,
): Promise<Uint8Array> {
  const tooLarge = (bytes: number | string) =>
    new FormatError(href, `file of ${bytes} bytes exceeds the limit of ${max} bytes per file`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Math.min(declared, stop) > max) throw tooLarge(declared);
  if (!response.body) return new Uint8Array(await response.arrayBuffer()).subarray(0, stop);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    deadline.idle();
    chunks.push(chunk.subarray(0, stop - total));
    total += chunks.at(-1)!.length;
    if (total > max) throw tooLarge(`more than ${max}`);
    if (total >= stop) break; // leaving the loop cancels the rest of the body
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * An http(s) URL, fetched with the global fetch (windowed reads send a Range header) within the deadlines of
 * `options` (headersTimeoutMs, idleTimeoutMs).
 */
export function urlSource(url: string | URL, options: SourceOptions = {}): ByteSource {
  const href = url.toString();
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_READ_LIMITS.maxFileBytes;
  const withDeadline = async (use: (deadline: Deadline) => Promise<Uint8Array>) => {
    const timing = deadline(href, options);
    try {
      return await use(timing);
    } finally {
      timing.done();
    }
  };
  return {
    name: href,
    read: () =>
      withDeadline(async (timing) =>
        boundedBody(await fetchOrThrow(href, timing), href, timing, maxFileBytes),
      ),
    async readRange(start, end) {
      if (end <= start) return new Uint8Array(0);
      if (end - start > maxFileBytes)
        throw new FormatError(
          href,
          `a read of ${end - start} bytes exceeds the limit of ${maxFileBytes} bytes per file`,
        );
      return withDeadline(async (timing) => {
        const response = await fetchOrThrow(
          href,
          timing,
          { headers: { Range: `bytes=${start}-${end - 1}` } },
          true,
        );
        if (response.status === 416) return new Uint8Array(0); // the range starts past the end of the file
        // A server that ignores Range answers 200 with the whole file: it is read only as far as `end`.
        const skip = response.status === 206 ? 0 : start;
        const bytes = await boundedBody(response, href, timing, maxFileBytes, skip + end - start);
        return bytes.subarray(skip);
      });
    },
    sibling: (fileName) =>
      confinedSibling(href, fileName, options, () => urlSibling(href, fileName, options)),
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

/**
 * The path of a `file:` URL (a string or URL object; what `import.meta.url` and `pathToFileURL` give), under Node;
 * any other input unchanged. A file URL this system cannot open (a remote host, an encoded slash) is a
 * MissingFileError naming it.
 */
export function filePathOf(input: string | URL): string {
  const text = input.toString();
  if (!/^file:/i.test(text)) return text;
  const { fileURLToPath } = nodeBuiltin<typeof import('node:url')>('node:url', 'reading a file: URL');
  try {
    // The fragment names an HDF5 exam (`part.hdf5#ID`): the path keeps it.
    return fileURLToPath(text) + new URL(text).hash;
  } catch (error) {
    throw new MissingFileError(text, `not a file URL this system can open (${(error as Error).message})`);
  }
}

/** Source for a string or URL: a download when it is http(s)://, otherwise a path (a file: URL is one too). */
export function sourceFor(input: string | URL | ByteSource, options: SourceOptions = {}): ByteSource {
  if (typeof input === 'object' && 'read' in input) return input;
  const text = input.toString();
  return isUrl(text) ? urlSource(text, options) : pathSource(filePathOf(text), options);
}
