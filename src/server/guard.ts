/**
 * What keeps a local server from being driven or starved by others:
 * - `checkOrigin`: only requests addressed to an allowed host name (no DNS rebinding: a page on evil.example that
 *   resolves its name to 127.0.0.1 sends `Host: evil.example`) and, when a browser says where they come from, only
 *   from the server's own origin (a page the user visits cannot post records to it).
 * - `watchUpload`: a request body must arrive within a deadline and at a minimum average rate; a client trickling
 *   bytes is cut (408), so that it releases its queue place at the latest after the deadline. Time the server's
 *   own thread was busy does not count against the client.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../errors.js';
import type { ServeLimits } from './limits.js';

/** Host names a loopback server answers to by default (any port). */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

/** "name" of a Host header value "name:port" (IPv6 literals keep their brackets), lower case. */
export function hostName(host: string): string {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  const colon = trimmed.lastIndexOf(':');
  return colon < 0 ? trimmed : trimmed.slice(0, colon);
}

/** RequestError 403 unless the Host header names an allowed host (any port). */
export function checkHost(request: FastifyRequest, allowedHosts: ReadonlySet<string>): void {
  const host = request.headers.host ?? '';
  if (!allowedHosts.has(hostName(host)))
    throw new RequestError(
      403,
      'Host',
      `'${host.slice(0, 100)}' is not a name of this server (allowed: ${[...allowedHosts].join(', ')}; serve --allow-host adds one)`,
    );
}

/**
 * RequestError 403 when a browser says the request comes from another site (Sec-Fetch-Site) or another origin
 * (Origin). Clients that are not browsers (curl, scripts) send neither.
 */
export function checkOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new RequestError(403, 'Origin', 'requests from other sites are refused');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new RequestError(403, 'Origin', `'${origin.slice(0, 100)}' is not an origin`);
  }
  if (originHost.toLowerCase() !== (request.headers.host ?? '').toLowerCase())
    throw new RequestError(403, 'Origin', `'${origin.slice(0, 100)}' is not this server's origin`);
}

/**
 * Watches the body of `request` as it arrives (by the socket's byte count, without consuming the stream): past
 * `uploadDeadlineMs`, or past `uploadGraceMs` with less than `minUploadBytesPerSecond` on average, `onCut` is told
 * why and the client is answered 408 (when an answer can still be sent) and disconnected; the request's abort
 * handler then releases its queue place. Returns a function that stops watching.
 */
export function watchUpload(
  request: FastifyRequest,
  reply: FastifyReply,
  limits: ServeLimits,
  onCut: (why: string) => void,
): () => void {
  const raw = request.raw;
  const socket = raw.socket;
  const startBytes = socket.bytesRead;
  const progress = new UploadProgress(limits, performance.now());
  const timer = setInterval(() => {
    if (raw.complete || socket.destroyed) return stop();
    const why = progress.check(performance.now(), socket.bytesRead - startBytes);
    if (why === null) return;
    stop();
    onCut(why);
    refuseUpload(reply, why);
  }, UPLOAD_CHECK_MS);
  timer.unref();
  function stop() {
    clearInterval(timer);
  }
  return stop;
}

/** How often an upload's progress is checked (the deadline is met to within this). */
export const UPLOAD_CHECK_MS = 250;
/** How long a cut client has to read its 408 before the connection is destroyed. */
const CUT_GRACE_MS = 1000;

/**
 * The upload rules, judged on the time this thread could read the socket. A check that comes late means the event
 * loop was busy (bytes the client sent meanwhile wait unread in the socket): that time is not held against the
 * client, and a check that comes more than a period late is not judged at all, so that those bytes are read first.
 */
export class UploadProgress {
  #last: number;
  #stalled = 0;

  constructor(
    private readonly limits: Pick<
      ServeLimits,
      'uploadDeadlineMs' | 'uploadGraceMs' | 'minUploadBytesPerSecond'
    >,
    private readonly start: number,
  ) {
    this.#last = start;
  }

  /** Why the upload is cut at `now` (ms, the clock of `start`) with `received` bytes so far, or null. */
  check(now: number, received: number): string | null {
    const late = now - this.#last - UPLOAD_CHECK_MS;
    this.#last = now;
    if (late > 0) this.#stalled += late;
    if (late > UPLOAD_CHECK_MS) return null;
    const elapsed = now - this.start - this.#stalled;
    const { uploadDeadlineMs, uploadGraceMs, minUploadBytesPerSecond } = this.limits;
    if (elapsed > uploadDeadlineMs) return `not complete within ${uploadDeadlineMs} ms`;
    if (elapsed > uploadGraceMs && received < (minUploadBytesPerSecond * elapsed) / 1000)
      return `arriving at ${Math.round((received * 1000) / elapsed)} B/s, below ${minUploadBytesPerSecond} B/s`;
    return null;
  }
}

/** Answers a cut upload 408 and closes its connection (at once when an answer was already sent). */
function refuseUpload(reply: FastifyReply, why: string): void {
  const socket = reply.request.raw.socket;
  if (reply.sent || reply.raw.headersSent) {
    socket.destroy();
    return;
  }
  // Node closes the connection after an answer marked `Connection: close`; a client that does not read it is cut.
  setTimeout(() => socket.destroy(), CUT_GRACE_MS).unref();
  void reply
    .code(408)
    .header('connection', 'close')
    .send(new RequestError(408, 'body', why));
}
