/**
 * What keeps a local server from being driven or starved by others:
 * - `checkOrigin`: only requests addressed to an allowed host name (no DNS rebinding: a page on evil.example that
 *   resolves its name to 127.0.0.1 sends `Host: evil.example`) and, when a browser says where they come from, only
 *   from the server's own origin (a page the user visits cannot post records to it).
 * - `watchUpload`: a request body must arrive within a deadline and at a minimum average rate; a client trickling
 *   bytes is cut, so that it releases its queue place at the latest after the deadline.
 */
import type { FastifyRequest } from 'fastify';
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
 * `uploadDeadlineMs`, or past `uploadGraceMs` with less than `minUploadBytesPerSecond` on average, the connection is
 * destroyed (the request's abort handler then releases its queue place). Returns a function that stops watching.
 */
export function watchUpload(
  request: FastifyRequest,
  limits: ServeLimits,
  onCut: (why: string) => void,
): () => void {
  const raw = request.raw;
  const socket = raw.socket;
  const start = Date.now();
  const startBytes = socket.bytesRead;
  const timer = setInterval(() => {
    if (raw.complete || socket.destroyed) return stop();
    const elapsed = Date.now() - start;
    const received = socket.bytesRead - startBytes;
    const why =
      elapsed > limits.uploadDeadlineMs
        ? `body not received within ${limits.uploadDeadlineMs} ms`
        : elapsed > limits.uploadGraceMs && received < (limits.minUploadBytesPerSecond * elapsed) / 1000
          ? `body arriving at ${Math.round((received * 1000) / elapsed)} B/s, below ${limits.minUploadBytesPerSecond} B/s`
          : null;
    if (why === null) return;
    stop();
    onCut(why);
    socket.destroy();
  }, UPLOAD_CHECK_MS);
  timer.unref();
  function stop() {
    clearInterval(timer);
  }
  return stop;
}

/** How often an upload's progress is checked (the deadline is met to within this). */
export const UPLOAD_CHECK_MS = 250;
